namespace OpenDesk.Core;

/// <summary>A machine this one trusts (an entry of <c>trusted-peers.json</c>).</summary>
/// <param name="Name">The local name of the peer, e.g. <c>desk2</c> or <c>peer-7b4e90</c>.</param>
/// <param name="PublicKey">The peer's static X25519 public key (32 bytes).</param>
/// <param name="Role"><c>remote</c> (a machine this one can drive), <c>controller</c> (a machine allowed to drive this one) or empty (older entries).</param>
/// <param name="PairedAt">When it was paired.</param>
/// <param name="Description">The description the peer broadcast at the last connect.</param>
/// <param name="DescriptionOverride">A local override of the description, if set.</param>
/// <param name="LastHost">The last host it was reached at, if any.</param>
/// <param name="LastPort">The last port it was reached at, if any.</param>
public sealed record TrustedPeer(
    string Name,
    byte[] PublicKey,
    string Role,
    DateTimeOffset PairedAt,
    string Description = "",
    string DescriptionOverride = "",
    string? LastHost = null,
    int? LastPort = null)
{
    /// <summary>The fingerprint shown to users: the first 16 hex digits of the key in groups of 4 (<c>7b4e:909b:be7f:fe44</c>).</summary>
    public string Fingerprint => PeerFingerprint.Of(PublicKey);

    /// <summary>The override when set, else the broadcast description.</summary>
    public string EffectiveDescription => string.IsNullOrWhiteSpace(DescriptionOverride) ? Description : DescriptionOverride;
}

/// <summary>A peer seen on the LAN through mDNS. A hint only: trust is decided by the key in the handshake.</summary>
/// <param name="Name">The advertised instance name.</param>
/// <param name="Host">The address to connect to (IPv4 preferred).</param>
/// <param name="Port">The port.</param>
/// <param name="PublicKey">The advertised static public key (32 bytes).</param>
/// <param name="Description">The advertised description head (≤ 120 bytes).</param>
/// <param name="PairedAs">The local name when this key is already trusted, else null.</param>
public sealed record DiscoveredPeer(string Name, string Host, int Port, byte[] PublicKey, string Description, string? PairedAs)
{
    /// <summary>The fingerprint of <see cref="PublicKey"/>.</summary>
    public string Fingerprint => PeerFingerprint.Of(PublicKey);
}

/// <summary>Fingerprints of static public keys.</summary>
public static class PeerFingerprint
{
    /// <summary>The first 16 lower-case hex digits of <paramref name="publicKey"/>, in 4 groups of 4 joined by <c>:</c>.</summary>
    /// <param name="publicKey">A public key (at least 8 bytes).</param>
    public static string Of(ReadOnlySpan<byte> publicKey)
    {
        if (publicKey.Length < 8)
        {
            throw new ArgumentException("A public key has at least 8 bytes.", nameof(publicKey));
        }

        string hex = Convert.ToHexStringLower(publicKey[..8]);
        return $"{hex[..4]}:{hex[4..8]}:{hex[8..12]}:{hex[12..16]}";
    }

    /// <summary>The default peer name for a key: <c>peer-</c> and its first 6 hex digits.</summary>
    /// <param name="publicKey">A public key (at least 3 bytes).</param>
    public static string DefaultName(ReadOnlySpan<byte> publicKey) => "peer-" + Convert.ToHexStringLower(publicKey[..3]);
}

/// <summary>
/// The controller's view of other machines: trusted peers, the persistent default, descriptions, connections by
/// name and LAN discovery. Implemented by OpenDesk.Remote over the home directory; the MCP session uses it to
/// route tool calls. Pairing is deliberately not part of it.
/// </summary>
public interface IPeerDirectory
{
    /// <summary>The trusted peers this machine can drive, sorted by name (re-read on every call).</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<IReadOnlyList<TrustedPeer>> GetTrustedPeersAsync(CancellationToken cancellationToken);

    /// <summary>The persistent default peer (<c>default-peer</c> file), or null when unset or no longer trusted.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<string?> GetDefaultPeerAsync(CancellationToken cancellationToken);

    /// <summary>Sets (or with null clears) the persistent default peer.</summary>
    /// <param name="name">A trusted peer's name, or null.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="NotFoundException">The name is not a trusted peer.</exception>
    ValueTask SetDefaultPeerAsync(string? name, CancellationToken cancellationToken);

    /// <summary>Sets (or with null clears) the local description override of a peer.</summary>
    /// <param name="name">A trusted peer's name.</param>
    /// <param name="description">The override, or null to clear it.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="NotFoundException">The name is not a trusted peer.</exception>
    ValueTask SetDescriptionOverrideAsync(string name, string? description, CancellationToken cancellationToken);

    /// <summary>Connects to a trusted peer by name (cached endpoint first, then discovery by key) and authenticates.</summary>
    /// <param name="name">A trusted peer's name.</param>
    /// <param name="cancellationToken">Cancels the connect.</param>
    /// <returns>A connected computer; the caller owns and disposes it.</returns>
    /// <exception cref="NotFoundException">The name is not a trusted peer, or it cannot be found.</exception>
    /// <exception cref="BusyException">Another controller is active on the peer.</exception>
    ValueTask<IComputer> ConnectAsync(string name, CancellationToken cancellationToken);

    /// <summary>Browses the LAN for OpenDesk servers.</summary>
    /// <param name="timeout">How long to listen.</param>
    /// <param name="cancellationToken">Cancels the browse.</param>
    ValueTask<IReadOnlyList<DiscoveredPeer>> DiscoverAsync(TimeSpan timeout, CancellationToken cancellationToken);
}
