using System.Net;
using System.Net.Sockets;
using OpenDesk.Core;

namespace OpenDesk.Remote.Discovery;

/// <summary>Where <c>opendesk pair-with HOST CODE</c> connects: the address and port, and the mDNS entry it came from, if any.</summary>
/// <param name="Host">The host name or address to connect to.</param>
/// <param name="Port">The port to connect to.</param>
/// <param name="Discovered">The mDNS entry the address came from, or null when HOST was used as given.</param>
public sealed record ResolvedPairingHost(string Host, int Port, DiscoveredPeer? Discovered);

/// <summary>
/// Resolves the HOST argument of <c>opendesk pair-with</c>, which may be an IP address, a host name, or the
/// instance name a server advertises over mDNS (<c>opendesk discover</c> lists them, e.g. <c>vm-7b4e90</c>):
/// <list type="bullet">
/// <item>an IP address is used as given;</item>
/// <item>a bare name (no dot, no colon) is looked up by instance name over mDNS first, since that is what
/// <c>discover</c> shows; if nothing answers, it is used as a host name;</item>
/// <item>a name with a dot is resolved as a host name first (DNS, <c>/etc/hosts</c>, nss-mdns); only if that fails
/// is it looked up as an instance name (instance names may contain dots and spaces).</item>
/// </list>
/// A discovered entry replaces the port too (the advertisement carries the real one). mDNS is only a hint: the
/// pairing code checked in the handshake decides which key is trusted, so a spoofed answer cannot make the
/// controller trust a key.
/// </summary>
public static class PairingHostResolver
{
    /// <summary>How long to look for an instance name by default (the browse returns as soon as it is seen).</summary>
    public static readonly TimeSpan DefaultMdnsTimeout = TimeSpan.FromSeconds(3);

    /// <summary>Resolves <paramref name="host"/> as described on the type.</summary>
    /// <param name="host">The HOST argument.</param>
    /// <param name="port">The port given (or the default), used unless an mDNS entry is found.</param>
    /// <param name="mdnsTimeout">How long to look for the instance name at most.</param>
    /// <param name="cancellationToken">Cancels the lookup.</param>
    public static Task<ResolvedPairingHost> ResolveAsync(string host, int port, TimeSpan mdnsTimeout, CancellationToken cancellationToken = default) =>
        ResolveAsync(host, port, (name, ct) => FindAsync(name, mdnsTimeout, ct), ResolvesAsHostNameAsync, cancellationToken);

    /// <summary>The decision, with the mDNS lookup (name, ct → entry) and the host-name check injectable for tests.</summary>
    internal static async Task<ResolvedPairingHost> ResolveAsync(
        string host,
        int port,
        Func<string, CancellationToken, Task<DiscoveredPeer?>> findByName,
        Func<string, CancellationToken, Task<bool>> resolvesAsHostName,
        CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        host = host.Trim();
        var asGiven = new ResolvedPairingHost(host, port, null);
        if (IPAddress.TryParse(host.Trim('[', ']'), out _))
        {
            return asGiven;
        }

        bool bare = !host.Contains('.', StringComparison.Ordinal) && !host.Contains(':', StringComparison.Ordinal);
        if (!bare && await resolvesAsHostName(host, cancellationToken).ConfigureAwait(false))
        {
            return asGiven;
        }

        DiscoveredPeer? seen = await findByName(host, cancellationToken).ConfigureAwait(false);
        return seen is null ? asGiven : new ResolvedPairingHost(seen.Host, seen.Port, seen);
    }

    private static async Task<DiscoveredPeer?> FindAsync(string name, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            return await MdnsBrowser.FindByNameAsync(name, timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SocketException or IOException or InvalidOperationException)
        {
            return null; // no usable interface: HOST is used as given and the connect reports what fails
        }
    }

    private static async Task<bool> ResolvesAsHostNameAsync(string host, CancellationToken cancellationToken)
    {
        try
        {
            IPAddress[] addresses = await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);
            return addresses.Length > 0;
        }
        catch (SocketException)
        {
            return false;
        }
        catch (ArgumentException)
        {
            return false; // not a valid host name at all (e.g. spaces): only mDNS can know it
        }
    }
}
