using OpenDesk.Core;

namespace OpenDesk.Mcp;

/// <summary>Where the effective default peer of a session comes from.</summary>
public enum PeerSource
{
    /// <summary>Set in this session with <c>opendesk_use</c>.</summary>
    Explicit,
    /// <summary>The persistent default (<c>default-peer</c> in the home directory).</summary>
    Persistent,
    /// <summary>The only trusted peer.</summary>
    Implicit,
    /// <summary>Several trusted peers and no default: a call without <c>peer</c> fails.</summary>
    Ambiguous,
    /// <summary>No peers: this machine.</summary>
    Local,
}

/// <summary>The computer a call without <c>peer</c> goes to.</summary>
/// <param name="Name">The peer name (<c>local</c> for this machine); empty when <see cref="Source"/> is ambiguous.</param>
/// <param name="Source">Why this peer.</param>
/// <param name="Candidates">The trusted peers when ambiguous, else empty.</param>
public sealed record EffectivePeer(string Name, PeerSource Source, IReadOnlyList<string> Candidates);

/// <summary>One action performed in this MCP session (the <c>audit</c> tool).</summary>
/// <param name="At">When the call started.</param>
/// <param name="Peer">The computer it ran on (<c>local</c> or a peer name).</param>
/// <param name="Tool">The tool name.</param>
/// <param name="Action">The <c>action</c> argument, if any.</param>
/// <param name="Arguments">The arguments as JSON (long values shortened).</param>
/// <param name="Error">The error message, or null on success.</param>
/// <param name="Duration">How long the call took.</param>
public sealed record AuditEntry(DateTimeOffset At, string Peer, string Tool, string? Action, string Arguments, string? Error, TimeSpan Duration);

/// <summary>
/// The state of one MCP session: peer routing (per-call <c>peer</c> → explicit default → persistent default → the lone
/// trusted peer → error when several → local), lazily opened and cached peer connections (dropped when they die or
/// are evicted, reopened on the next call), one coordinate frame per peer, and the audit log of this session.
/// </summary>
public sealed class McpSession : IAsyncDisposable
{
    /// <summary>The name of this machine in routing (<c>local</c>).</summary>
    public const string LocalPeer = "local";

    private const int MaxAuditEntries = 10_000;

    private readonly IPeerDirectory? _peers;
    private readonly SemaphoreSlim _connectLock = new(1, 1);
    private readonly Dictionary<string, PeerContext> _connections = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PeerView> _views = new(StringComparer.Ordinal);
    private readonly List<AuditEntry> _audit = [];
    private readonly Lock _stateLock = new();
    private readonly SemaphoreSlim _localLock = new(1, 1);
    private readonly Func<CancellationToken, ValueTask<IComputer>>? _localFactory;
    private PeerContext? _local;
    private string? _explicitDefault;

    /// <summary>Creates a session.</summary>
    /// <param name="local">This machine; the session does not dispose it.</param>
    /// <param name="peers">The peer directory, or null when peers are not available (everything runs locally).</param>
    /// <param name="options">Catalog options, or null for the defaults.</param>
    public McpSession(IComputer local, IPeerDirectory? peers = null, OpenDeskToolOptions? options = null)
        : this(peers, options)
    {
        ArgumentNullException.ThrowIfNull(local);
        _local = new PeerContext(LocalPeer, local, isLocal: true, GetView(LocalPeer));
    }

    /// <summary>
    /// Creates a session whose local computer is created on first local use (a call routed to <c>local</c>, or
    /// <c>opendesk_capabilities</c>/<c>opendesk_describe</c> of <c>local</c>), so a controller that only drives peers
    /// never opens (or starts) a desktop of its own. A factory that throws is called again on the next local use.
    /// </summary>
    /// <param name="localFactory">Creates this machine's computer; called at most once successfully. The session does not dispose what it returns.</param>
    /// <param name="peers">The peer directory, or null when peers are not available (everything runs locally).</param>
    /// <param name="options">Catalog options, or null for the defaults.</param>
    public McpSession(Func<CancellationToken, ValueTask<IComputer>> localFactory, IPeerDirectory? peers = null, OpenDeskToolOptions? options = null)
        : this(peers, options)
    {
        ArgumentNullException.ThrowIfNull(localFactory);
        _localFactory = localFactory;
    }

    private McpSession(IPeerDirectory? peers, OpenDeskToolOptions? options)
    {
        _peers = peers;
        Options = options ?? new OpenDeskToolOptions();
    }

    /// <summary>True once this machine's computer exists (always for a session created with one).</summary>
    public bool IsLocalCreated => Volatile.Read(ref _local) is not null;

    /// <summary>Creates this machine's computer now when the session creates it lazily (e.g. to open a named display ahead of the first call).</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async ValueTask OpenLocalAsync(CancellationToken cancellationToken)
        => _ = await GetContextAsync(LocalPeer, cancellationToken).ConfigureAwait(false);

    /// <summary>The catalog options.</summary>
    public OpenDeskToolOptions Options { get; }

    /// <summary>The peer directory, or null.</summary>
    public IPeerDirectory? Peers => _peers;

    /// <summary>The default set with <c>opendesk_use</c> in this session, or null.</summary>
    public string? ExplicitDefault
    {
        get
        {
            lock (_stateLock)
            {
                return _explicitDefault;
            }
        }
    }

    /// <summary>Names of the open peer connections (never includes <c>local</c>).</summary>
    public IReadOnlyList<string> OpenConnections
    {
        get
        {
            lock (_stateLock)
            {
                return [.. _connections.Keys.Order(StringComparer.Ordinal)];
            }
        }
    }

    /// <summary>The actions of this session, oldest first (at most 10,000).</summary>
    public IReadOnlyList<AuditEntry> AuditLog
    {
        get
        {
            lock (_stateLock)
            {
                return [.. _audit];
            }
        }
    }

    /// <summary>The coordinate frame of the last full screenshot of <paramref name="peer"/>, or null before any.</summary>
    /// <param name="peer">A peer name or <c>local</c>.</param>
    public CoordinateFrame? GetFrame(string peer)
    {
        lock (_stateLock)
        {
            return _views.TryGetValue(peer, out PeerView? v) ? v.Frame : null;
        }
    }

    /// <summary>The default peer for calls without <c>peer</c>, and where it comes from.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async ValueTask<EffectivePeer> GetEffectivePeerAsync(CancellationToken cancellationToken)
    {
        string? explicitDefault = ExplicitDefault;
        if (explicitDefault is not null)
        {
            return new EffectivePeer(explicitDefault, PeerSource.Explicit, []);
        }

        if (_peers is null)
        {
            return new EffectivePeer(LocalPeer, PeerSource.Local, []);
        }

        string? persistent = await _peers.GetDefaultPeerAsync(cancellationToken).ConfigureAwait(false);
        if (!string.IsNullOrWhiteSpace(persistent))
        {
            return new EffectivePeer(persistent, PeerSource.Persistent, []);
        }

        IReadOnlyList<TrustedPeer> trusted = await GetRemotePeersAsync(cancellationToken).ConfigureAwait(false);
        return trusted.Count switch
        {
            0 => new EffectivePeer(LocalPeer, PeerSource.Local, []),
            1 => new EffectivePeer(trusted[0].Name, PeerSource.Implicit, []),
            _ => new EffectivePeer("", PeerSource.Ambiguous, [.. trusted.Select(t => t.Name)]),
        };
    }

    /// <summary>Resolves the computer name for a call: <paramref name="requested"/> when given, else the effective default.</summary>
    /// <param name="requested">The call's <c>peer</c> argument; null, empty or whitespace means not given.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="InvalidArgumentException">Several peers are trusted and no default is set.</exception>
    public async ValueTask<string> ResolveAsync(string? requested, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrWhiteSpace(requested))
        {
            return requested.Trim();
        }

        EffectivePeer effective = await GetEffectivePeerAsync(cancellationToken).ConfigureAwait(false);
        if (effective.Source == PeerSource.Ambiguous)
        {
            throw new InvalidArgumentException(
                $"Multiple peers are paired ({string.Join(", ", effective.Candidates)}) and no default is set. "
                + "Call opendesk_use with one of them (or 'local'), or pass `peer` on this call.");
        }

        return effective.Name;
    }

    /// <summary>Sets the session default (<c>local</c> reverts to this machine).</summary>
    /// <param name="name">A trusted peer's name or <c>local</c>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="NotFoundException">The name is not a trusted peer.</exception>
    public async ValueTask UseAsync(string name, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        name = name.Trim();
        if (!string.Equals(name, LocalPeer, StringComparison.Ordinal))
        {
            await EnsureTrustedAsync(name, cancellationToken).ConfigureAwait(false);
        }

        lock (_stateLock)
        {
            _explicitDefault = name;
        }
    }

    /// <summary>Closes one connection, or all when <paramref name="name"/> is null; clears the session default if it pointed there.</summary>
    /// <param name="name">A peer name, or null for all.</param>
    /// <returns>The names of the closed connections.</returns>
    public async ValueTask<IReadOnlyList<string>> DisconnectAsync(string? name)
    {
        List<PeerContext> closing;
        lock (_stateLock)
        {
            closing = name is null
                ? [.. _connections.Values]
                : _connections.TryGetValue(name, out PeerContext? one) ? [one] : [];
            foreach (PeerContext c in closing)
            {
                _connections.Remove(c.Name);
            }

            if (name is null || string.Equals(_explicitDefault, name, StringComparison.Ordinal))
            {
                _explicitDefault = null;
            }
        }

        foreach (PeerContext c in closing)
        {
            await DisposeQuietlyAsync(c.Computer).ConfigureAwait(false);
        }

        return [.. closing.Select(c => c.Name)];
    }

    /// <summary>The connected computer for a resolved name, connecting lazily (and caching) for remote peers.</summary>
    internal async ValueTask<PeerContext> GetContextAsync(string name, CancellationToken cancellationToken)
    {
        if (string.Equals(name, LocalPeer, StringComparison.Ordinal))
        {
            return Volatile.Read(ref _local) ?? await CreateLocalAsync(cancellationToken).ConfigureAwait(false);
        }

        lock (_stateLock)
        {
            if (_connections.TryGetValue(name, out PeerContext? cached))
            {
                return cached;
            }
        }

        IPeerDirectory peers = _peers ?? throw new NotFoundException(
            $"unknown peer '{name}': this server has no peer directory; only 'local' is available");
        await _connectLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            lock (_stateLock)
            {
                if (_connections.TryGetValue(name, out PeerContext? cached))
                {
                    return cached;
                }
            }

            await EnsureTrustedAsync(name, cancellationToken).ConfigureAwait(false);
            IComputer computer;
            try
            {
                computer = await peers.ConnectAsync(name, cancellationToken).ConfigureAwait(false);
            }
            catch (BusyException e)
            {
                // The server's own hint ("Disconnect them to take over.") is for its operator; the model gets one clear instruction.
                string why = e.Message.Replace(" Disconnect them to take over.", "", StringComparison.Ordinal).Trim();
                throw new BusyException(
                    $"peer '{name}' is busy: {why} Ask the active controller to disconnect (or the peer's owner to run `opendesk disconnect` there), then retry; or use another peer.",
                    e.Details);
            }
            catch (NotFoundException e)
            {
                throw new NotFoundException(
                    $"cannot reach peer '{name}': {e.Message} Check that `opendesk serve` is running there and on the same network.",
                    e.Details);
            }
            catch (OpenDeskException e)
            {
                throw OpenDeskException.FromCode(e.Code, $"cannot connect to peer '{name}': {e.Message}", e.Details);
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or TimeoutException or System.Net.WebSockets.WebSocketException)
            {
                throw new ProtocolException($"cannot connect to peer '{name}': {e.Message}", null, e);
            }

            var context = new PeerContext(name, computer, isLocal: false, GetView(name));
            lock (_stateLock)
            {
                _connections[name] = context;
            }

            return context;
        }
        finally
        {
            _connectLock.Release();
        }
    }

    private async ValueTask<PeerContext> CreateLocalAsync(CancellationToken cancellationToken)
    {
        await _localLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_local is null)
            {
                IComputer computer = await _localFactory!(cancellationToken).ConfigureAwait(false);
                Volatile.Write(ref _local, new PeerContext(LocalPeer, computer, isLocal: true, GetView(LocalPeer)));
            }

            return _local!;
        }
        finally
        {
            _localLock.Release();
        }
    }

    /// <summary>Drops a cached connection that died or was evicted (the next call reconnects).</summary>
    internal async ValueTask DropAsync(PeerContext context)
    {
        if (context.IsLocal)
        {
            return;
        }

        bool removed;
        lock (_stateLock)
        {
            removed = _connections.TryGetValue(context.Name, out PeerContext? current) && ReferenceEquals(current, context)
                && _connections.Remove(context.Name);
        }

        if (removed)
        {
            await DisposeQuietlyAsync(context.Computer).ConfigureAwait(false);
        }
    }

    internal void Record(AuditEntry entry)
    {
        lock (_stateLock)
        {
            if (_audit.Count >= MaxAuditEntries)
            {
                _audit.RemoveAt(0);
            }

            _audit.Add(entry);
        }
    }

    internal async ValueTask<IReadOnlyList<TrustedPeer>> GetRemotePeersAsync(CancellationToken cancellationToken)
    {
        if (_peers is null)
        {
            return [];
        }

        IReadOnlyList<TrustedPeer> all = await _peers.GetTrustedPeersAsync(cancellationToken).ConfigureAwait(false);

        // Controllers allowed to drive this machine are not targets; older entries have an empty role.
        return [.. all.Where(p => !string.Equals(p.Role, "controller", StringComparison.OrdinalIgnoreCase))];
    }

    private async ValueTask EnsureTrustedAsync(string name, CancellationToken cancellationToken)
    {
        IReadOnlyList<TrustedPeer> trusted = await GetRemotePeersAsync(cancellationToken).ConfigureAwait(false);
        if (!trusted.Any(t => string.Equals(t.Name, name, StringComparison.Ordinal)))
        {
            string known = string.Join(", ", new[] { LocalPeer }.Concat(trusted.Select(t => t.Name)));
            throw new NotFoundException($"unknown peer '{name}'. Known: {known} (see opendesk_peers; pair new machines with `opendesk pair`).");
        }
    }

    private PeerView GetView(string name)
    {
        lock (_stateLock)
        {
            if (!_views.TryGetValue(name, out PeerView? view))
            {
                view = new PeerView(this);
                _views[name] = view;
            }

            return view;
        }
    }

    internal Lock StateLock => _stateLock;

    private static async ValueTask DisposeQuietlyAsync(IComputer computer)
    {
        try
        {
            await computer.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is OpenDeskException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The connection is already gone.
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await DisconnectAsync(null).ConfigureAwait(false);
        _connectLock.Dispose();
        _localLock.Dispose();
    }
}

/// <summary>What the session remembers about one computer across reconnects: its frame and last screenshot.</summary>
internal sealed class PeerView(McpSession owner)
{
    private CoordinateFrame? _frame;

    public CoordinateFrame? Frame
    {
        get
        {
            lock (owner.StateLock)
            {
                return _frame;
            }
        }

        set
        {
            lock (owner.StateLock)
            {
                _frame = value;
            }
        }
    }

    /// <summary>Bytes of the last full screenshot sent to the model (for "changed since the previous screenshot").</summary>
    public byte[]? LastScreenshot { get; set; }

    /// <summary>True once this computer returned a settle probe that was not downscaled (fall back to a short fixed wait).</summary>
    public bool ProbeSlow { get; set; }
}

/// <summary>A resolved, connected computer.</summary>
internal sealed class PeerContext(string name, IComputer computer, bool isLocal, PeerView view)
{
    private CapabilityManifest? _manifest;
    private IReadOnlyList<Display>? _displays;

    public string Name { get; } = name;

    public IComputer Computer { get; } = computer;

    public bool IsLocal { get; } = isLocal;

    public PeerView View { get; } = view;

    public async ValueTask<CapabilityManifest> GetManifestAsync(CancellationToken cancellationToken)
        => _manifest ??= await Computer.GetCapabilitiesAsync(cancellationToken).ConfigureAwait(false);

    public async ValueTask<IReadOnlyList<Display>> GetDisplaysAsync(bool refresh, CancellationToken cancellationToken)
    {
        if (_displays is null || refresh)
        {
            _displays = await Computer.Display.GetDisplaysAsync(cancellationToken).ConfigureAwait(false);
        }

        return _displays;
    }
}
