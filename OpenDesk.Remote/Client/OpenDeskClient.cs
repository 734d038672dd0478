using System.Net.Sockets;
using System.Net.WebSockets;
using OpenDesk.Core;
using OpenDesk.Remote.Discovery;
using OpenDesk.Remote.Peering;
using OpenDesk.Remote.Protocol;
using OpenDesk.Remote.Trust;

namespace OpenDesk.Remote.Client;

/// <summary>
/// The controller side: pair with a server once (<see cref="PairWithAsync"/>), then connect to it by name
/// (<see cref="ConnectAsync"/>) and drive it as an <see cref="IComputer"/>.
/// </summary>
public static class OpenDeskClient
{
    /// <summary>The default server port.</summary>
    public const int DefaultPort = 8423;

    /// <summary>
    /// Connects and authenticates to a server. <paramref name="target"/> is a trusted peer's name (tried at its cached
    /// endpoint, then looked up on the LAN by key over mDNS), an explicit <c>ws://host:port#&lt;server key, 64 hex&gt;</c>,
    /// or null for the persistent default peer.
    /// </summary>
    /// <param name="target">A peer name, an explicit URL, or null.</param>
    /// <param name="options">Settings, or null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the connect.</param>
    /// <returns>A connected computer; the caller disposes it.</returns>
    /// <exception cref="NotFoundException">The name is not trusted, no default is set, or the peer cannot be reached.</exception>
    /// <exception cref="BusyException">Another controller is active on the server.</exception>
    /// <exception cref="InvalidArgumentException">The URL is malformed or lacks the key fragment.</exception>
    public static async Task<RemoteComputer> ConnectAsync(string? target = null, OpenDeskClientOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new OpenDeskClientOptions();
        OpenDeskHome home = options.ResolveHome();
        var trust = new TrustStore(home);

        if (target is not null && (target.StartsWith("ws://", StringComparison.OrdinalIgnoreCase) || target.StartsWith("wss://", StringComparison.OrdinalIgnoreCase)))
        {
            (Uri uri, byte[] key) = ParseExplicit(target);
            string name = trust.FindByKey(key)?.Name ?? PeerFingerprint.DefaultName(key);
            return await ConnectToAsync(home, trust, options, name, key, [(uri.Host, uri.Port)], cancellationToken).ConfigureAwait(false);
        }

        if (string.IsNullOrWhiteSpace(target))
        {
            target = home.ReadDefaultPeerName();
            if (target is null)
            {
                throw new NotFoundException("no peer given and no default peer set: name one, or run `opendesk peers default NAME`");
            }
        }

        TrustedPeer peer = trust.Find(target) is { } found && found.Role != TrustStore.ControllerRole
            ? found
            : throw new NotFoundException($"no trusted peer named '{target}': pair first with `opendesk pair-with HOST CODE`");

        var endpoints = new List<(string Host, int Port)>();
        if (peer.LastHost is { } host)
        {
            endpoints.Add((host, peer.LastPort ?? DefaultPort));
        }

        return await ConnectToAsync(home, trust, options, peer.Name, peer.PublicKey, endpoints, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Pairs with a server in pairing mode (<c>opendesk pair</c> on it shows the code), stores it as a trusted peer named
    /// <paramref name="name"/> (default <c>peer-&lt;6 hex&gt;</c>) with its endpoint, and returns the open session
    /// (without auto-reconnect).
    /// </summary>
    /// <param name="host">The server's host name or address.</param>
    /// <param name="code">The 6-digit code shown on the server.</param>
    /// <param name="port">The server port (default 8423).</param>
    /// <param name="name">The local name for the server, or null.</param>
    /// <param name="options">Settings, or null for the defaults.</param>
    /// <param name="cancellationToken">Cancels pairing.</param>
    /// <exception cref="PermissionDeniedException">The code was wrong.</exception>
    /// <exception cref="NotFoundException">The server cannot be reached.</exception>
    public static async Task<RemoteComputer> PairWithAsync(string host, string code, int port = DefaultPort, string? name = null,
        OpenDeskClientOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        ArgumentException.ThrowIfNullOrWhiteSpace(code);
        options ??= new OpenDeskClientOptions();
        OpenDeskHome home = options.ResolveHome();
        var trust = new TrustStore(home);
        Identity identity = LoadIdentity(home);
        try
        {
            var uri = new Uri($"ws://{FormatHost(host)}:{port}");
            IMessageTransport transport = await OpenTransportAsync(uri, options, cancellationToken).ConfigureAwait(false);
            SecureChannel channel;
            byte[] serverKey;
            try
            {
                // PBKDF2 (200 000 rounds) on both sides plus a human: allow more than a normal connect.
                var handshake = new HandshakeOptions { Timeout = options.ConnectTimeout + TimeSpan.FromSeconds(10) };
                (channel, serverKey) = await Handshake.PairAsClientAsync(transport, code.Trim(), identity, handshake, cancellationToken).ConfigureAwait(false);
            }
            catch (HandshakeException ex) when (ex.Reason == HandshakeFailure.WrongCode)
            {
                throw new PermissionDeniedException($"pairing with {host}:{port} failed: wrong code");
            }
            catch (HandshakeException ex)
            {
                throw new ProtocolException($"pairing with {host}:{port} failed: {ex.ReasonName}: {ex.Message}", null, ex);
            }

            string stored = trust.Add(serverKey, string.IsNullOrWhiteSpace(name) ? PeerFingerprint.DefaultName(serverKey) : name.Trim(), TrustStore.RemoteRole, host, port);
            RemoteConnection connection = await FinishConnectionAsync(channel, trust, serverKey, host, port, options, cancellationToken).ConfigureAwait(false);
            return new RemoteComputer(connection, stored, serverKey, connector: null, options.ReconnectBudget, identity);
        }
        catch
        {
            identity.Dispose();
            throw;
        }
    }

    internal static (Uri Uri, byte[] Key) ParseExplicit(string target)
    {
        if (!Uri.TryCreate(target, UriKind.Absolute, out Uri? uri) || uri.Host.Length == 0)
        {
            throw new InvalidArgumentException($"'{target}' is not a valid ws://host:port#<key> URL");
        }

        string fragment = uri.Fragment.TrimStart('#');
        if (fragment.Length != 64 || !fragment.All(Uri.IsHexDigit))
        {
            throw new InvalidArgumentException("an explicit URL needs the server's public key as a 64-hex fragment: ws://host:port#<key>");
        }

        int port = uri.IsDefaultPort ? 80 : uri.Port;
        return (new UriBuilder(uri) { Fragment = "", Port = port }.Uri, Convert.FromHexString(fragment));
    }

    private static async Task<RemoteComputer> ConnectToAsync(OpenDeskHome home, TrustStore trust, OpenDeskClientOptions options, string name, byte[] key,
        List<(string Host, int Port)> endpoints, CancellationToken cancellationToken)
    {
        Identity identity = LoadIdentity(home);
        try
        {
            (string Host, int Port)? last = endpoints.Count > 0 ? endpoints[0] : null;

            async Task<RemoteConnection> ConnectOnceAsync(CancellationToken ct)
            {
                var failures = new List<string>();
                var candidates = new List<(string Host, int Port)>(last is { } l ? [l] : []);
                for (int i = 0; ; i++)
                {
                    if (i == candidates.Count)
                    {
                        if (!options.UseMdns || i > 1)
                        {
                            break;
                        }

                        DiscoveredPeer? seen = null;
                        try
                        {
                            seen = await MdnsBrowser.FindAsync(key, options.MdnsTimeout, ct).ConfigureAwait(false);
                        }
                        catch (Exception ex) when (ex is SocketException or IOException or InvalidOperationException)
                        {
                            failures.Add("mDNS: " + ex.Message);
                        }

                        if (seen is null || candidates.Contains((seen.Host, seen.Port)))
                        {
                            failures.Add("not found on the LAN (mDNS)");
                            break;
                        }

                        candidates.Add((seen.Host, seen.Port));
                    }

                    (string host, int port) = candidates[i];
                    try
                    {
                        RemoteConnection connection = await ConnectEndpointAsync(identity, trust, key, host, port, options, ct).ConfigureAwait(false);
                        last = (host, port);
                        return connection;
                    }
                    catch (Exception ex) when (IsUnreachable(ex))
                    {
                        failures.Add($"{host}:{port}: {ex.Message}");
                    }
                }

                throw new NotFoundException($"cannot reach {name} ({string.Join("; ", failures)}); if its address changed, pair again with `opendesk pair-with <ip> CODE`");
            }

            RemoteConnection first;
            try
            {
                first = await ConnectOnceAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (HandshakeException ex)
            {
                throw new PermissionDeniedException($"{name} refused this controller ({ex.ReasonName}): it may have been unpaired; pair again with `opendesk pair-with HOST CODE`");
            }

            return new RemoteComputer(first, name, key, options.AutoReconnect ? ConnectOnceAsync : null, options.ReconnectBudget, identity);
        }
        catch
        {
            identity.Dispose();
            throw;
        }
    }

    private static bool IsUnreachable(Exception ex)
        => ex is WebSocketException or SocketException or IOException or HttpRequestException or TimeoutException or PeerDisconnectedException
            || (ex is OperationCanceledException && ex.InnerException is TimeoutException)
            || (ex is HandshakeException h && h.Reason is HandshakeFailure.Timeout or HandshakeFailure.Protocol);

    private static async Task<RemoteConnection> ConnectEndpointAsync(Identity identity, TrustStore trust, byte[] key, string host, int port,
        OpenDeskClientOptions options, CancellationToken cancellationToken)
    {
        var uri = new Uri($"ws://{FormatHost(host)}:{port}");
        IMessageTransport transport = await OpenTransportAsync(uri, options, cancellationToken).ConfigureAwait(false);
        SecureChannel channel;
        try
        {
            channel = await Handshake.AuthAsClientAsync(transport, identity, key, new HandshakeOptions { Timeout = options.ConnectTimeout }, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await transport.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return await FinishConnectionAsync(channel, trust, key, host, port, options, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<IMessageTransport> OpenTransportAsync(Uri uri, OpenDeskClientOptions options, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.ConnectTimeout);
        try
        {
            return await WebSocketTransport.ConnectAsync(uri, timeout.Token, options.MaxMessageSize).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"no answer from {uri.Authority} within {options.ConnectTimeout.TotalSeconds:0.#} s", ex);
        }
    }

    private static async Task<RemoteConnection> FinishConnectionAsync(SecureChannel channel, TrustStore trust, byte[] key, string host, int port,
        OpenDeskClientOptions options, CancellationToken cancellationToken)
    {
        var peer = new Peer(channel);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.ConnectTimeout);
            HelloFrame hello = await peer.ExchangeHelloAsync(HelloFrame.Client(), timeout.Token).ConfigureAwait(false);
            CapabilityManifest manifest;
            try
            {
                manifest = ValueCodec.ReadCapabilityManifest(hello.Capabilities, "hello.capabilities");
            }
            catch (InvalidArgumentException)
            {
                manifest = CapabilityManifest.Empty;
            }

            peer.Start();
            try
            {
                trust.RecordConnection(key, host, port, manifest.Description);
            }
            catch (IOException)
            {
                // Caching the endpoint is best effort.
            }

            return new RemoteConnection(peer, manifest, host, port);
        }
        catch
        {
            await peer.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static Identity LoadIdentity(OpenDeskHome home)
    {
        byte[] raw = home.LoadOrCreateIdentityKey();
        try
        {
            return Identity.FromPrivateKey(raw);
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(raw);
        }
    }

    private static string FormatHost(string host) => host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('[') ? $"[{host}]" : host;
}
