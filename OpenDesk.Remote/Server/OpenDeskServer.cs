using System.Net;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OpenDesk.Core;
using OpenDesk.Remote.Discovery;
using OpenDesk.Remote.Peering;
using OpenDesk.Remote.Protocol;
using OpenDesk.Remote.Trust;

namespace OpenDesk.Remote.Server;

/// <summary>
/// The OpenDesk server (<c>opendesk serve</c> / <c>opendesk pair</c>): a WebSocket endpoint (Kestrel) that runs the
/// protocol-v1 pairing or auth handshake, allows one controller at a time (the same key bumps its old session, another
/// key gets HELLO error <c>busy</c>), serves every protocol method from an <see cref="IComputer"/> with a per-call policy
/// and an audit log, and answers the local admin socket. Trust is re-read from <c>trusted-peers.json</c> on every
/// handshake.
/// </summary>
public sealed class OpenDeskServer : IAsyncDisposable, IAdminTarget
{
    /// <summary>Interval of the unsolicited pongs that keep an idle WebSocket alive (as the middleware was configured).</summary>
    private static readonly TimeSpan KeepAliveInterval = TimeSpan.FromSeconds(20);

    private readonly IComputer _computer;
    private readonly OpenDeskServerOptions _options;
    private readonly TrustStore _trust;
    private readonly AuditLog _audit;
    private readonly ICallPolicy _policy;
    private readonly Identity _identity;
    private readonly SemaphoreSlim _acceptLock = new(1, 1);
    private readonly List<ServerSession> _sessions = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _connections = [];
    private KestrelServer? _kestrel;
    private AdminServer? _admin;
    private MdnsAdvertiser? _advertiser;
    private PairingState? _pairing;
    private int _disposed;

    /// <summary>Creates a server for <paramref name="computer"/>; call <see cref="StartAsync"/> to listen.</summary>
    /// <param name="computer">The computer controllers drive. The server does not dispose it.</param>
    /// <param name="options">Settings.</param>
    public OpenDeskServer(IComputer computer, OpenDeskServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(computer);
        ArgumentNullException.ThrowIfNull(options);
        _computer = computer;
        _options = options;
        options.Home.EnsureExists();
        _trust = new TrustStore(options.Home);
        _audit = new AuditLog(options.Home, options.EnableAudit);
        _policy = options.Approval == ApprovalMode.Console ? ConsolePolicy.ForConsole() : AllowAllPolicy.Instance;
        byte[] key = options.Home.LoadOrCreateIdentityKey();
        try
        {
            _identity = Identity.FromPrivateKey(key);
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>The category of the server's log events (<see cref="OpenDeskServerOptions.Logger"/>).</summary>
    public const string LogCategory = "opendesk.server";

    /// <summary>This server's static public key (32 bytes).</summary>
    public byte[] PublicKey => _identity.PublicKey;

    /// <summary>This server's fingerprint (<c>xxxx:xxxx:xxxx:xxxx</c>).</summary>
    public string Fingerprint => _identity.Fingerprint;

    /// <summary>The bound port (after <see cref="StartAsync"/>).</summary>
    public int Port { get; private set; }

    /// <summary>The host it listens on.</summary>
    public string Host => _options.Host;

    /// <summary>The number of trusted controllers (entries with role <c>controller</c> or no role).</summary>
    public int TrustedControllerCount => _trust.GetByRole(TrustStore.ControllerRole).Count;

    /// <summary>The mDNS instance name while advertising, else null.</summary>
    public string? AdvertisedName => _advertiser?.InstanceName;

    /// <summary>Completes when the server has stopped.</summary>
    public Task Completion => _stoppedTcs.Task;

    private readonly TaskCompletionSource _stoppedTcs = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Binds the WebSocket endpoint, starts the admin socket and the mDNS advertiser.</summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <exception cref="IOException">The port is in use, or another server owns the admin socket.</exception>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (_policy.StartupNotice is { } notice)
        {
            ServerLog.PolicyNotice(_options.Logger, notice);
        }

        if (_options.EnableAdmin && !OperatingSystem.IsWindows())
        {
            _admin = AdminServer.Start(_options.Home.AdminSocketPath, this);
        }

        // A bare Kestrel server, no generic host: no DI container, configuration, hosting, routing, HTTPS or QUIC
        // assemblies, so a smaller idle RSS (docs/benchmarks.md, "Remote layer"). The WebSocket upgrade is our own
        // (WebSocketHandshake): the middleware's SHA-1 would load OpenSSL.
        var kestrelOptions = new KestrelServerOptions { AddServerHeader = false, ApplicationServices = EmptyServices.Instance };
        kestrelOptions.Limits.MaxRequestBodySize = null;
        kestrelOptions.Listen(ResolveListenAddress(_options.Host), _options.Port);
        var kestrel = new KestrelServer(
            Options.Create(kestrelOptions),
            new SocketTransportFactory(Options.Create(new SocketTransportOptions()), NullLoggerFactory.Instance),
            NullLoggerFactory.Instance);
        try
        {
            await kestrel.StartAsync(new HttpApplication(HandleHttpAsync), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            kestrel.Dispose();
            if (_admin is not null)
            {
                await _admin.DisposeAsync().ConfigureAwait(false);
            }

            throw new IOException($"cannot listen on {_options.Host}:{_options.Port}: {ex.Message}", ex);
        }

        _kestrel = kestrel;
        string bound = kestrel.Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Port = new Uri(bound).Port;

        if (_options.AdvertiseMdns)
        {
            try
            {
                _advertiser = await MdnsAdvertiser.StartAsync(new MdnsAdvertisement(Port, PublicKey, _options.Home.ReadDescription()), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                ServerLog.MdnsOff(_options.Logger, ex.Message);
            }
        }
    }

    /// <summary>
    /// Pairing mode: until a controller pairs with <paramref name="code"/>, <paramref name="timeout"/> passes, or
    /// <see cref="OpenDeskServerOptions.MaxPairingAttempts"/> wrong codes arrive, every new connection is a pairing
    /// attempt. The new controller is trusted as <c>peer-&lt;6 hex&gt;</c> and its session stays open.
    /// </summary>
    /// <param name="code">The 6-digit code the user types on the controller.</param>
    /// <param name="timeout">How long pairing stays open (the CLI uses 300 s).</param>
    /// <param name="cancellationToken">Ends pairing early.</param>
    public async Task<PairingResult> PairAsync(string code, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(code);
        var state = new PairingState(code);
        if (Interlocked.CompareExchange(ref _pairing, state, null) is not null)
        {
            throw new InvalidOperationException("pairing is already in progress");
        }

        try
        {
            return await state.Result.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return new PairingResult(false, null, null, $"pairing expired after {timeout.TotalSeconds:0} s");
        }
        finally
        {
            Interlocked.CompareExchange(ref _pairing, null, state);
        }
    }

    /// <summary>Creates a random 6-digit pairing code.</summary>
    public static string GeneratePairingCode()
        => System.Security.Cryptography.RandomNumberGenerator.GetInt32(1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The number of open controller sessions (0 or 1).</summary>
    public int SessionCount
    {
        get
        {
            lock (_sessions)
            {
                return _sessions.Count;
            }
        }
    }

    /// <summary>Completes when the session of the controller that paired last has ended (null before a pairing).</summary>
    public Task? PairedSessionCompletion { get; private set; }

    IReadOnlyList<Dictionary<string, object?>> IAdminTarget.ListSessions()
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;
        lock (_sessions)
        {
            return [.. _sessions.Select(s => s.ToAdminMap(now))];
        }
    }

    async Task<int> IAdminTarget.KillAsync(string? sessionId, string reason)
    {
        ServerSession[] victims;
        lock (_sessions)
        {
            victims = [.. _sessions.Where(s => sessionId is null || s.Id == sessionId)];
        }

        foreach (ServerSession session in victims)
        {
            await session.KillAsync(reason).ConfigureAwait(false);
        }

        return victims.Length;
    }

    /// <summary>The open sessions (tests).</summary>
    internal ServerSession[] SessionsForTest()
    {
        lock (_sessions)
        {
            return [.. _sessions];
        }
    }

    /// <summary>Closes every session without an eviction push, as a crash or network loss would (tests).</summary>
    internal async Task DropConnectionsForTestAsync()
    {
        ServerSession[] sessions;
        lock (_sessions)
        {
            sessions = [.. _sessions];
        }

        foreach (ServerSession session in sessions)
        {
            await session.Peer.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Evicts every session (<c>session.evicted</c> push), stops listening and advertising.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        await ((IAdminTarget)this).KillAsync(null, "server_shutdown").ConfigureAwait(false);
        if (_advertiser is not null)
        {
            await _advertiser.DisposeAsync().ConfigureAwait(false);
        }

        if (_admin is not null)
        {
            await _admin.DisposeAsync().ConfigureAwait(false);
        }

        if (_kestrel is not null)
        {
            using var stopTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await _kestrel.StopAsync(stopTimeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }

            _kestrel.Dispose();
        }

        Task[] connections;
        lock (_connections)
        {
            connections = [.. _connections];
        }

        await Task.WhenAll(connections).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _audit.Dispose();
        _identity.Dispose();
        _stoppedTcs.TrySetResult();
    }

    private static IPAddress ResolveListenAddress(string host)
    {
        if (IPAddress.TryParse(host, out IPAddress? address))
        {
            return address;
        }

        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return IPAddress.Loopback;
        }

        return Dns.GetHostAddresses(host).FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
            ?? throw new IOException($"cannot resolve {host}");
    }

    private async Task HandleHttpAsync(HttpContext context)
    {
        WebSocket? socket = await AcceptWebSocketAsync(context).ConfigureAwait(false);
        if (socket is null)
        {
            return;
        }

        string remote = $"{context.Connection.RemoteIpAddress?.MapToIPv4()}:{context.Connection.RemotePort}";
        var transport = new WebSocketTransport(socket, _options.MaxMessageSize);
        Task connection = HandleConnectionAsync(transport, remote, _stopping.Token);
        lock (_connections)
        {
            _connections.Add(connection);
        }

        try
        {
            await connection.ConfigureAwait(false);
        }
        finally
        {
            lock (_connections)
            {
                _connections.Remove(connection);
            }
        }
    }

    internal async Task HandleConnectionAsync(IMessageTransport transport, string remoteAddress, CancellationToken stopping)
    {
        try
        {
            await RunConnectionAsync(transport, remoteAddress, stopping).ConfigureAwait(false);
        }
        finally
        {
            await transport.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task RunConnectionAsync(IMessageTransport transport, string remoteAddress, CancellationToken stopping)
    {
        TaskCompletionSource? pairedSession = null;
        try
        {
            await RunConnectionCoreAsync(transport, remoteAddress, tcs => pairedSession = tcs, stopping).ConfigureAwait(false);
        }
        finally
        {
            pairedSession?.TrySetResult();
        }
    }

    private async Task RunConnectionCoreAsync(IMessageTransport transport, string remoteAddress, Action<TaskCompletionSource> onPaired, CancellationToken stopping)
    {
        TaskCompletionSource? pairedSession = null;
        var handshakeOptions = new HandshakeOptions { Timeout = _options.HandshakeTimeout };
        PairingState? pairing = Volatile.Read(ref _pairing);
        SecureChannel channel;
        byte[] clientKey;
        string mode;
        try
        {
            if (pairing is not null && !pairing.Result.Task.IsCompleted)
            {
                mode = "pair";
                (channel, clientKey) = await Handshake.PairAsServerAsync(transport, pairing.Code, _identity, handshakeOptions, stopping).ConfigureAwait(false);
                string name = _trust.Add(clientKey, PeerFingerprint.DefaultName(clientKey), TrustStore.ControllerRole);
                pairedSession = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                PairedSessionCompletion = pairedSession.Task;
                onPaired(pairedSession);
                pairing.Succeed(name, PeerFingerprint.Of(clientKey));
                ServerLog.Paired(_options.Logger, name, PeerFingerprint.Of(clientKey), remoteAddress);
            }
            else
            {
                mode = "serve";
                (channel, clientKey) = await Handshake.AuthAsServerAsync(transport, _identity, k => SafeIsTrusted(k), handshakeOptions, stopping).ConfigureAwait(false);
            }
        }
        catch (HandshakeException ex)
        {
            Rejected(null, [], remoteAddress, "auth_failed: " + ex.ReasonName);
            // The client usually detects a wrong code first (pair_offer does not decrypt) and hangs up, so the server
            // sees a closed connection: every failed pairing handshake counts as a wrong attempt, except an already
            // paired controller trying to authenticate (auth_hello) while pairing is open.
            bool notAPairingAttempt = ex.Message.Contains("got 'auth_hello'", StringComparison.Ordinal);
            if (pairing is not null && !notAPairingAttempt && pairing.WrongCode() >= _options.MaxPairingAttempts)
            {
                pairing.Fail($"pairing closed after {_options.MaxPairingAttempts} wrong codes");
            }

            return;
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ProtocolException or WebSocketException)
        {
            Rejected(null, [], remoteAddress, "handshake_error: " + ex.Message);
            return;
        }

        string peerName = _trust.FindByKey(clientKey)?.Name ?? PeerFingerprint.DefaultName(clientKey);
        CapabilityManifest manifest;
        try
        {
            manifest = await _computer.GetCapabilitiesAsync(stopping).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            manifest = CapabilityManifest.Empty;
            ServerLog.CapabilitiesUnavailable(_options.Logger, ex.Message);
        }

        ServerSession? session = null;
        var caller = new CallerContext("", peerName, clientKey);
        Peer peer;
        await _acceptLock.WaitAsync(stopping).ConfigureAwait(false);
        try
        {
            ServerSession[] same, others;
            lock (_sessions)
            {
                same = [.. _sessions.Where(s => s.SameKey(clientKey))];
                others = [.. _sessions.Where(s => !s.SameKey(clientKey))];
            }

            foreach (ServerSession old in same)
            {
                await old.KillAsync("admin_disconnect").ConfigureAwait(false);
                lock (_sessions)
                {
                    _sessions.Remove(old);
                }
            }

            if (others.Length > 0)
            {
                string names = string.Join(", ", others.Select(s => s.PeerName));
                string message = $"server is busy: {names} is the active controller. Disconnect them to take over.";
                // Audited before the controller can see the rejection, so whoever it tells finds the line already there.
                Rejected(peerName, clientKey, remoteAddress, "busy: " + message);
                await RejectBusyAsync(channel, message).ConfigureAwait(false);
                return;
            }

            var dispatcherHolder = new DispatcherHolder();
            peer = new Peer(channel, dispatcherHolder);
            session = new ServerSession(peer, peerName, clientKey, remoteAddress, mode, DateTimeOffset.UtcNow);
            caller = caller with { SessionId = session.Id };
            dispatcherHolder.Dispatcher = new ComputerDispatcher(_computer, _policy, _audit, caller, manifest);
            lock (_sessions)
            {
                _sessions.Add(session);
            }
        }
        finally
        {
            _acceptLock.Release();
        }

        try
        {
            using (var helloTimeout = CancellationTokenSource.CreateLinkedTokenSource(stopping))
            {
                helloTimeout.CancelAfter(_options.HandshakeTimeout);
                HelloFrame hello = HelloFrame.Server(ValueCodec.ToPeerWire(manifest, _options.Home.ReadDescription()));
                await peer.ExchangeHelloAsync(hello, helloTimeout.Token).ConfigureAwait(false);
            }

            // The session's opening line comes before any call of it can be served (and audited).
            _audit.SessionOpened(session.Id, peerName, clientKey, remoteAddress, mode);
            ServerLog.SessionOpened(_options.Logger, session.Id, peerName, remoteAddress, mode);
            peer.Start();
            session.EndOpening();
            await peer.Completion.WaitAsync(stopping).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            string reason = session.CloseReason.Length > 0 ? session.CloseReason
                : peer.CloseReason is { } error ? "error: " + error.Message : "";
            TimeSpan duration = DateTimeOffset.UtcNow - session.StartedAt;
            _audit.SessionClosed(session.Id, peerName, clientKey, duration, reason);
            ServerLog.SessionClosed(_options.Logger, session.Id, peerName, Math.Round(duration.TotalSeconds, 1), reason.Length > 0 ? reason : "the controller left");
        }
        catch (Exception ex) when (ex is OperationCanceledException or OpenDeskException or IOException)
        {
            Rejected(peerName, clientKey, remoteAddress, "handshake_error: hello: " + ex.Message);
        }
        finally
        {
            session.EndOpening();
            lock (_sessions)
            {
                _sessions.Remove(session);
            }

            await peer.DisposeAsync().ConfigureAwait(false);
        }
    }

    private void Rejected(string? peerName, byte[] peerKey, string remoteAddress, string reason)
    {
        _audit.SessionRejected(peerName, peerKey, remoteAddress, reason);
        ServerLog.SessionRejected(_options.Logger, remoteAddress, peerName ?? "unknown", reason);
    }

    private bool SafeIsTrusted(byte[] key)
    {
        try
        {
            return _trust.IsTrustedController(key);
        }
        catch (InvalidDataException ex)
        {
            ServerLog.TrustUnreadable(_options.Logger, ex.Message);
            return false;
        }
    }

    private static async Task RejectBusyAsync(SecureChannel channel, string message)
    {
        var peer = new Peer(channel);
        try
        {
            using var drain = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await peer.ExchangeHelloAsync(HelloFrame.Rejection(new ErrorInfo(ErrorCode.Busy.ToWireName(), message)), drain.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or OpenDeskException or IOException)
        {
            // The controller's HELLO was read (or not, within 2 s); either way the connection closes now.
        }
        finally
        {
            await peer.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The RFC 6455 server handshake over Kestrel's HTTP/1.1 upgrade; null (after a 426 or 400 answer) when the request
    /// is not a valid WebSocket upgrade.
    /// </summary>
    private static async Task<WebSocket?> AcceptWebSocketAsync(HttpContext context)
    {
        IHttpUpgradeFeature? upgrade = context.Features.Get<IHttpUpgradeFeature>();
        WebSocketHandshake.Verdict verdict = WebSocketHandshake.Check(
            context.Request.Method, context.Request.Headers, upgrade?.IsUpgradableRequest == true, out string problem);
        if (verdict != WebSocketHandshake.Verdict.Upgrade)
        {
            context.Response.StatusCode = verdict == WebSocketHandshake.Verdict.Malformed
                ? StatusCodes.Status400BadRequest
                : StatusCodes.Status426UpgradeRequired;
            if (verdict == WebSocketHandshake.Verdict.UnsupportedVersion)
            {
                context.Response.Headers.SecWebSocketVersion = WebSocketHandshake.SupportedVersion;
            }

            await context.Response.WriteAsync(problem + "\n").ConfigureAwait(false);
            return null;
        }

        // No subprotocol and no compression extension are negotiated (the protocol uses neither).
        context.Response.Headers.Connection = "Upgrade";
        context.Response.Headers.Upgrade = "websocket";
        context.Response.Headers.SecWebSocketAccept = WebSocketHandshake.ComputeAccept(context.Request.Headers.SecWebSocketKey.ToString());
        Stream stream = await upgrade!.UpgradeAsync().ConfigureAwait(false); // sends 101 Switching Protocols
        return WebSocket.CreateFromStream(stream, new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = KeepAliveInterval });
    }

    /// <summary>Kestrel's application: one <see cref="DefaultHttpContext"/> per request, handed to the middleware.</summary>
    private sealed class HttpApplication(RequestDelegate handler) : IHttpApplication<HttpContext>
    {
        public HttpContext CreateContext(IFeatureCollection contextFeatures) => new DefaultHttpContext(contextFeatures);

        public Task ProcessRequestAsync(HttpContext context) => handler(context);

        public void DisposeContext(HttpContext context, Exception? exception)
        {
        }
    }

    /// <summary>Kestrel asks its options for services; a bare server has none.</summary>
    private sealed class EmptyServices : IServiceProvider
    {
        public static EmptyServices Instance { get; } = new();

        public object? GetService(Type serviceType) => null;
    }

    private sealed class DispatcherHolder : IRequestHandler
    {
        public ComputerDispatcher? Dispatcher { get; set; }

        public async ValueTask<object?> HandleAsync(string method, IReadOnlyDictionary<string, object?> parameters, CancellationToken cancellationToken)
            => await Dispatcher!.InvokeAsync(method, parameters, cancellationToken).ConfigureAwait(false);

        public IAsyncEnumerable<object?> HandleStreamAsync(string method, IReadOnlyDictionary<string, object?> parameters, CancellationToken cancellationToken)
            => Dispatcher!.StreamAsync(method, parameters, cancellationToken);
    }

    private sealed class PairingState(string code)
    {
        private int _wrong;

        public string Code { get; } = code;

        public TaskCompletionSource<PairingResult> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int WrongCode() => Interlocked.Increment(ref _wrong);

        public void Succeed(string name, string fingerprint)
            => Result.TrySetResult(new PairingResult(true, name, fingerprint, $"paired with {name} ({fingerprint})"));

        public void Fail(string message) => Result.TrySetResult(new PairingResult(false, null, null, message));
    }
}
