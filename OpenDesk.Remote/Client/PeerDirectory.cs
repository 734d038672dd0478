using OpenDesk.Core;
using OpenDesk.Remote.Discovery;
using OpenDesk.Remote.Trust;

namespace OpenDesk.Remote.Client;

/// <summary>
/// <see cref="IPeerDirectory"/> over an OpenDesk home: the machines this one can drive (<c>trusted-peers.json</c>
/// entries with role <c>remote</c> or no role), the persistent default peer, description overrides, connections by
/// name (<see cref="OpenDeskClient.ConnectAsync"/>) and mDNS discovery. Every call re-reads the files.
/// </summary>
public sealed class PeerDirectory : IPeerDirectory
{
    private readonly OpenDeskClientOptions _options;
    private readonly TrustStore _trust;

    /// <summary>Creates a directory over <paramref name="home"/>.</summary>
    /// <param name="home">The home directory.</param>
    /// <param name="options">Connection settings (its <see cref="OpenDeskClientOptions.Home"/> is replaced by <paramref name="home"/>).</param>
    public PeerDirectory(OpenDeskHome home, OpenDeskClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(home);
        Home = home;
        _options = new OpenDeskClientOptions
        {
            Home = home,
            ConnectTimeout = options?.ConnectTimeout ?? TimeSpan.FromSeconds(5),
            AutoReconnect = options?.AutoReconnect ?? true,
            ReconnectBudget = options?.ReconnectBudget ?? TimeSpan.FromSeconds(30),
            UseMdns = options?.UseMdns ?? true,
            MdnsTimeout = options?.MdnsTimeout ?? TimeSpan.FromSeconds(2),
            MaxMessageSize = options?.MaxMessageSize ?? 64 * 1024 * 1024,
        };
        _trust = new TrustStore(home);
    }

    /// <summary>The home directory.</summary>
    public OpenDeskHome Home { get; }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<TrustedPeer>> GetTrustedPeersAsync(CancellationToken cancellationToken)
        => ValueTask.FromResult(_trust.GetByRole(TrustRoles.Remote));

    /// <summary>Every entry of <c>trusted-peers.json</c> (machines this one drives and controllers allowed to drive it), by name.</summary>
    public IReadOnlyList<TrustedPeer> GetAllPeers() => _trust.GetAll();

    /// <summary>The entry with this name or 64-hex key, or null.</summary>
    /// <param name="nameOrKeyHex">A name or a public key in hex.</param>
    public TrustedPeer? Find(string nameOrKeyHex) => _trust.Find(nameOrKeyHex);

    /// <inheritdoc />
    public ValueTask<string?> GetDefaultPeerAsync(CancellationToken cancellationToken)
    {
        string? name = Home.ReadDefaultPeerName();
        return ValueTask.FromResult(name is not null && _trust.Find(name) is { } p && p.Name == name ? name : null);
    }

    /// <inheritdoc />
    public ValueTask SetDefaultPeerAsync(string? name, CancellationToken cancellationToken)
    {
        if (name is not null && _trust.Find(name) is not { } peer)
        {
            throw new NotFoundException($"no trusted peer named '{name}'");
        }

        Home.WriteDefaultPeerName(name is null ? null : _trust.Find(name)!.Name);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask SetDescriptionOverrideAsync(string name, string? description, CancellationToken cancellationToken)
    {
        _trust.SetDescriptionOverride(name, description);
        return ValueTask.CompletedTask;
    }

    /// <summary>Renames a trusted peer (the cached endpoint and description are dropped, as in Python opendesk).</summary>
    /// <param name="nameOrKeyHex">The current name or key.</param>
    /// <param name="newName">The new name.</param>
    /// <exception cref="NotFoundException">No such peer.</exception>
    /// <exception cref="InvalidArgumentException">The new name is taken.</exception>
    public void Rename(string nameOrKeyHex, string newName)
    {
        string? oldName = _trust.Find(nameOrKeyHex)?.Name;
        _trust.Rename(nameOrKeyHex, newName);
        if (oldName is not null && Home.ReadDefaultPeerName() == oldName)
        {
            Home.WriteDefaultPeerName(newName);
        }
    }

    /// <summary>Removes a trusted peer by name or key; returns it, or null when none matched.</summary>
    /// <param name="nameOrKeyHex">The name or key.</param>
    public TrustedPeer? Remove(string nameOrKeyHex)
    {
        TrustedPeer? removed = _trust.Remove(nameOrKeyHex);
        if (removed is not null && Home.ReadDefaultPeerName() == removed.Name)
        {
            Home.WriteDefaultPeerName(null);
        }

        return removed;
    }

    /// <inheritdoc />
    public async ValueTask<IComputer> ConnectAsync(string name, CancellationToken cancellationToken)
        => await OpenDeskClient.ConnectAsync(name, _options, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<DiscoveredPeer>> DiscoverAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        IReadOnlyList<DiscoveredPeer> seen = await MdnsBrowser.DiscoverAsync(timeout, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<TrustedPeer> trusted = _trust.GetAll();
        return [.. seen.Select(d => d with { PairedAs = trusted.FirstOrDefault(t => t.PublicKey.AsSpan().SequenceEqual(d.PublicKey))?.Name })];
    }
}

/// <summary>Role names of <c>trusted-peers.json</c> entries.</summary>
internal static class TrustRoles
{
    public const string Remote = TrustStore.RemoteRole;
}
