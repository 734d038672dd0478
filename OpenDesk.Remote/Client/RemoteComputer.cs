using System.Runtime.CompilerServices;
using OpenDesk.Core;
using OpenDesk.Remote.Protocol;
using OpenDesk.Remote.Server;

namespace OpenDesk.Remote.Client;

/// <summary>
/// An <see cref="IComputer"/> on another machine, driven over protocol v1. Created by
/// <see cref="OpenDeskClient.ConnectAsync"/> or <see cref="OpenDeskClient.PairWithAsync"/>.
/// <list type="bullet">
/// <item>When the connection drops, the next call reconnects with backoff (0.5, 1, 2, 4, 5 … s) inside a budget
/// (default 30 s); concurrent callers share one reconnect. Idempotent (observation) calls are then replayed once;
/// action calls report the original failure, because they may or may not have happened.</item>
/// <item>After a <c>session.evicted</c> push it never reconnects: every call throws <see cref="SessionEvictedException"/>.</item>
/// <item>Calls whose capability the server's HELLO manifest lacks fail locally with <see cref="CapabilityUnsupportedException"/>.</item>
/// <item>Streams are never resumed after a reconnect.</item>
/// </list>
/// Coordinates are the server's desktop space.
/// </summary>
public sealed class RemoteComputer : IComputer
{
    private static readonly TimeSpan[] s_backoff =
    [
        TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4),
        TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5),
    ];

    private readonly Func<CancellationToken, Task<RemoteConnection>>? _connector;
    private readonly TimeSpan _reconnectBudget;
    private readonly IDisposable? _ownedIdentity;
    private readonly object _gate = new();
    private readonly CancellationTokenSource _disposing = new();
    private RemoteConnection _current;
    private Task<RemoteConnection>? _reconnecting;
    private volatile string? _evictionReason;
    private int _disposed;
    private int _reconnects;

    internal RemoteComputer(RemoteConnection connection, string peerName, byte[] serverPublicKey,
        Func<CancellationToken, Task<RemoteConnection>>? connector, TimeSpan reconnectBudget, IDisposable? ownedIdentity)
    {
        _current = connection;
        _connector = connector;
        _reconnectBudget = reconnectBudget;
        _ownedIdentity = ownedIdentity;
        PeerName = peerName;
        ServerPublicKey = serverPublicKey;
        Attach(connection);
        Display = new DisplayGroup(this);
        Input = new InputGroup(this);
        Windows = new WindowsGroup(this);
        Apps = new AppsGroup(this);
        UI = new UIGroup(this);
        Clipboard = new ClipboardGroup(this);
        Files = new FilesGroup(this);
        Processes = new ProcessesGroup(this);
        Power = new PowerGroup(this);
        Notifications = new NotificationsGroup(this);
    }

    /// <summary>The local name of the server (from trusted peers).</summary>
    public string PeerName { get; }

    /// <summary>The server's static public key.</summary>
    public byte[] ServerPublicKey { get; }

    /// <summary>The server's fingerprint.</summary>
    public string Fingerprint => PeerFingerprint.Of(ServerPublicKey);

    /// <summary>The manifest from the server's latest HELLO, including its <see cref="CapabilityManifest.Description"/>.</summary>
    public CapabilityManifest Manifest => Volatile.Read(ref _current).Manifest;

    /// <summary>The endpoint of the current connection (<c>host:port</c>).</summary>
    public string Endpoint => $"{Volatile.Read(ref _current).Host}:{Volatile.Read(ref _current).Port}";

    /// <summary>True after the server sent <c>session.evicted</c>.</summary>
    public bool IsEvicted => _evictionReason is not null;

    /// <summary>The eviction reason, or null.</summary>
    public string? EvictionReason => _evictionReason;

    /// <summary>How many times this computer has reconnected.</summary>
    public int ReconnectCount => Volatile.Read(ref _reconnects);

    /// <inheritdoc />
    public IComputerDisplay Display { get; }

    /// <inheritdoc />
    public IComputerInput Input { get; }

    /// <inheritdoc />
    public IComputerWindows Windows { get; }

    /// <inheritdoc />
    public IComputerApps Apps { get; }

    /// <inheritdoc />
    public IComputerUI UI { get; }

    /// <inheritdoc />
    public IComputerClipboard Clipboard { get; }

    /// <inheritdoc />
    public IComputerFiles Files { get; }

    /// <inheritdoc />
    public IComputerProcesses Processes { get; }

    /// <inheritdoc />
    public IComputerPower Power { get; }

    /// <inheritdoc />
    public IComputerNotifications Notifications { get; }

    /// <summary>The manifest is served from the cached HELLO (no round trip); the description is not part of it.</summary>
    /// <param name="cancellationToken">Unused.</param>
    public ValueTask<CapabilityManifest> GetCapabilitiesAsync(CancellationToken cancellationToken)
    {
        ThrowIfUnusable();
        return ValueTask.FromResult(Manifest);
    }

    /// <inheritdoc />
    public async ValueTask<EnvironmentInfo> GetEnvironmentAsync(CancellationToken cancellationToken)
        => ValueCodec.ReadEnvironment(await CallAsync("system.environment", null, cancellationToken).ConfigureAwait(false), "result");

    /// <summary>Closes the connection. Later calls throw <see cref="ObjectDisposedException"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _disposing.CancelAsync().ConfigureAwait(false);
        await Volatile.Read(ref _current).DisposeAsync().ConfigureAwait(false);
        _ownedIdentity?.Dispose();
    }

    /// <summary>A unary call with capability pre-check, reconnect and idempotent replay.</summary>
    internal async Task<object?> CallAsync(string method, Dictionary<string, object?>? parameters, CancellationToken cancellationToken)
    {
        ThrowIfUnusable();
        PreCheck(method);
        RemoteConnection connection = Volatile.Read(ref _current);
        try
        {
            try
            {
                return await connection.Peer.InvokeAsync(method, parameters, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
            {
                // A send into a connection that just broke can surface as a cancellation: it is a lost connection.
                throw new PeerDisconnectedException($"the connection to {PeerName} was lost: {ex.InnerException?.Message ?? ex.Message}", ex);
            }
        }
        catch (ProtocolException ex) when (ex is not SessionEvictedException)
        {
            ThrowIfEvicted();
            if (!IsTransient(ex) || _connector is null || cancellationToken.IsCancellationRequested)
            {
                throw;
            }

            RemoteConnection fresh = await ReconnectAsync(connection, cancellationToken).ConfigureAwait(false);
            if (!MethodSets.Idempotent.Contains(method))
            {
                throw;
            }

            return await fresh.Peer.InvokeAsync(method, parameters, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A stream call (never resumed). A dropped connection triggers a reconnect for later calls.</summary>
    internal async IAsyncEnumerable<object?> StreamAsync(string method, Dictionary<string, object?>? parameters, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ThrowIfUnusable();
        PreCheck(method);
        RemoteConnection connection = Volatile.Read(ref _current);
        IAsyncEnumerator<object?> items = connection.Peer.StreamAsync(method, parameters, cancellationToken).GetAsyncEnumerator(cancellationToken);
        try
        {
            while (true)
            {
                bool hasItem;
                try
                {
                    hasItem = await items.MoveNextAsync().ConfigureAwait(false);
                }
                catch (ProtocolException) when (IsEvicted)
                {
                    ThrowIfEvicted();
                    throw;
                }

                if (!hasItem)
                {
                    yield break;
                }

                yield return items.Current;
            }
        }
        finally
        {
            await items.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static bool IsTransient(ProtocolException ex) => ex.Code == ErrorCode.Protocol;

    private void PreCheck(string method)
    {
        CapabilityManifest manifest = Manifest;
        IReadOnlyList<Capability> needed = ComputerDispatcher.RequiredCapabilities(method);
        if (needed.Count > 0 && manifest.Capabilities.Count > 0 && !needed.Any(manifest.Has))
        {
            throw new CapabilityUnsupportedException(needed[0].Name, manifest.Backend);
        }
    }

    private void ThrowIfUnusable()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        ThrowIfEvicted();
    }

    private void ThrowIfEvicted()
    {
        if (_evictionReason is { } reason)
        {
            throw new SessionEvictedException(reason);
        }
    }

    private void Attach(RemoteConnection connection)
    {
        connection.Peer.PushReceived = push =>
        {
            if (push.Topic == PushFrame.SessionEvicted)
            {
                _evictionReason = push.Payload.TryGetValue("reason", out object? r) && r is string s && s.Length > 0 ? s : "admin_disconnect";
            }
        };
    }

    private Task<RemoteConnection> ReconnectAsync(RemoteConnection failed, CancellationToken cancellationToken)
    {
        Task<RemoteConnection> shared;
        lock (_gate)
        {
            if (!ReferenceEquals(_current, failed) && !_current.Peer.IsClosed)
            {
                return Task.FromResult(_current);
            }

            _reconnecting ??= Task.Run(() => ReconnectLoopAsync(failed));
            shared = _reconnecting;
        }

        return shared.WaitAsync(cancellationToken);
    }

    private async Task<RemoteConnection> ReconnectLoopAsync(RemoteConnection failed)
    {
        try
        {
            await failed.DisposeAsync().ConfigureAwait(false);
            DateTime start = DateTime.UtcNow;
            Exception? last = null;
            for (int attempt = 0; attempt < s_backoff.Length; attempt++)
            {
                ThrowIfUnusable();
                try
                {
                    RemoteConnection fresh = await _connector!(_disposing.Token).ConfigureAwait(false);
                    Attach(fresh);
                    lock (_gate)
                    {
                        _current = fresh;
                    }

                    Interlocked.Increment(ref _reconnects);
                    return fresh;
                }
                catch (Exception ex) when (ex is not BusyException and not OperationCanceledException
                    && !(ex is HandshakeException h && h.Reason == HandshakeFailure.UnexpectedPeer))
                {
                    last = ex;
                }

                TimeSpan delay = s_backoff[attempt];
                if (DateTime.UtcNow - start + delay > _reconnectBudget)
                {
                    break;
                }

                await Task.Delay(delay, _disposing.Token).ConfigureAwait(false);
            }

            throw new PeerDisconnectedException(
                $"lost the connection to {PeerName} and could not reconnect within {_reconnectBudget.TotalSeconds:0} s: {last?.Message}", last);
        }
        finally
        {
            lock (_gate)
            {
                _reconnecting = null;
            }
        }
    }

    private static Dictionary<string, object?> P(params (string Key, object? Value)[] items)
    {
        var map = new Dictionary<string, object?>(items.Length, StringComparer.Ordinal);
        foreach ((string key, object? value) in items)
        {
            map[key] = value;
        }

        return map;
    }

    private sealed class DisplayGroup(RemoteComputer c) : IComputerDisplay
    {
        public async ValueTask<IReadOnlyList<Display>> GetDisplaysAsync(CancellationToken cancellationToken)
            => ValueCodec.ReadItems(await c.CallAsync("display.displays", null, cancellationToken).ConfigureAwait(false), ValueCodec.ReadDisplay);

        public async ValueTask<Pixmap> CaptureAsync(CaptureOptions options, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(options);
            // Encoding extensions: only for servers that advertise them (Python servers reject unknown params).
            Dictionary<string, object?> p = ValueCodec.CaptureParams(options, includeExtensions: c.Manifest.Limits.ContainsKey("display.capture"));
            return ValueCodec.ReadPixmap(await c.CallAsync("display.capture", p, cancellationToken).ConfigureAwait(false), "result");
        }

        public async ValueTask<Point> GetCursorPositionAsync(CancellationToken cancellationToken)
            => ValueCodec.ReadPoint(await c.CallAsync("display.cursor_position", null, cancellationToken).ConfigureAwait(false), "result");

        public async IAsyncEnumerable<DisplayFrame> SubscribeAsync(DisplayStreamOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(options);
            Dictionary<string, object?> p = ValueCodec.SubscribeParams(options);
            await foreach (object? item in c.StreamAsync("display.subscribe", p, cancellationToken).ConfigureAwait(false))
            {
                yield return ValueCodec.ReadDisplayFrame(item, "item");
            }
        }
    }

    private sealed class InputGroup(RemoteComputer c) : IComputerInput
    {
        public async ValueTask SendPointerAsync(PointerEvent pointerEvent, CancellationToken cancellationToken)
            => await c.CallAsync("input.pointer", P(("event", ValueCodec.ToWire(pointerEvent))), cancellationToken).ConfigureAwait(false);

        public async ValueTask SendKeyAsync(KeyEvent keyEvent, CancellationToken cancellationToken)
            => await c.CallAsync("input.key", P(("event", ValueCodec.ToWire(keyEvent))), cancellationToken).ConfigureAwait(false);

        public async ValueTask TypeTextAsync(TextInput textInput, CancellationToken cancellationToken)
            => await c.CallAsync("input.text", P(("text_input", ValueCodec.ToWire(textInput))), cancellationToken).ConfigureAwait(false);

        public async IAsyncEnumerable<InputEvent> SubscribeAsync([EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await foreach (object? item in c.StreamAsync("input.subscribe", null, cancellationToken).ConfigureAwait(false))
            {
                yield return ValueCodec.ReadInputEvent(item, "item");
            }
        }
    }

    private sealed class WindowsGroup(RemoteComputer c) : IComputerWindows
    {
        public async ValueTask<IReadOnlyList<Window>> ListAsync(CancellationToken cancellationToken)
            => ValueCodec.ReadItems(await c.CallAsync("windows.list", null, cancellationToken).ConfigureAwait(false), ValueCodec.ReadWindow);

        public async ValueTask<Window?> GetFocusedAsync(CancellationToken cancellationToken)
        {
            object? result = await c.CallAsync("windows.focused", null, cancellationToken).ConfigureAwait(false);
            return ValueCodec.ReadOptionalField(result, "window", ValueCodec.ReadWindow);
        }

        public async ValueTask FocusAsync(string windowId, CancellationToken cancellationToken)
            => await c.CallAsync("windows.focus", P(("window_id", windowId)), cancellationToken).ConfigureAwait(false);

        public async ValueTask MoveAsync(string windowId, Rect bounds, CancellationToken cancellationToken)
            => await c.CallAsync("windows.move", P(("window_id", windowId), ("bounds", ValueCodec.ToWire(bounds))), cancellationToken).ConfigureAwait(false);

        public async ValueTask CloseAsync(string windowId, CancellationToken cancellationToken)
            => await c.CallAsync("windows.close", P(("window_id", windowId)), cancellationToken).ConfigureAwait(false);
    }

    private sealed class AppsGroup(RemoteComputer c) : IComputerApps
    {
        public async ValueTask OpenAsync(string name, CancellationToken cancellationToken)
            => await c.CallAsync("apps.open", P(("name", name)), cancellationToken).ConfigureAwait(false);

        public async ValueTask CloseAsync(string name, CancellationToken cancellationToken)
            => await c.CallAsync("apps.close", P(("name", name)), cancellationToken).ConfigureAwait(false);

        public async ValueTask FocusAsync(string name, CancellationToken cancellationToken)
            => await c.CallAsync("apps.focus", P(("name", name)), cancellationToken).ConfigureAwait(false);

        public async ValueTask<IReadOnlyList<string>> ListAsync(CancellationToken cancellationToken)
            => ValueCodec.ReadItems(await c.CallAsync("apps.list", null, cancellationToken).ConfigureAwait(false),
                (x, path) => x as string ?? throw new InvalidArgumentException($"{path}: apps.list items must be strings"));
    }

    private sealed class UIGroup(RemoteComputer c) : IComputerUI
    {
        public async ValueTask<UIElement> GetTreeAsync(UITreeQuery query, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(query);
            Dictionary<string, object?> p = ValueCodec.UITreeParams(query, includeExtensions: false);
            return ValueCodec.ReadUIElement(await c.CallAsync("ui.tree", p, cancellationToken).ConfigureAwait(false), "result");
        }

        public async ValueTask PerformActionAsync(UIElement element, string action, string? app, CancellationToken cancellationToken)
            => await c.CallAsync("ui.action", P(("element", ValueCodec.ToWire(element)), ("action", action), ("app", app)), cancellationToken).ConfigureAwait(false);
    }

    private sealed class ClipboardGroup(RemoteComputer c) : IComputerClipboard
    {
        public async ValueTask<ClipboardContents> ReadAsync(CancellationToken cancellationToken)
            => ValueCodec.ReadClipboardContents(await c.CallAsync("clipboard.read", null, cancellationToken).ConfigureAwait(false), "result");

        public async ValueTask WriteAsync(ClipboardContents contents, CancellationToken cancellationToken)
            => await c.CallAsync("clipboard.write", P(("contents", ValueCodec.ToWire(contents))), cancellationToken).ConfigureAwait(false);
    }

    private sealed class FilesGroup(RemoteComputer c) : IComputerFiles
    {
        public async ValueTask<byte[]> ReadAsync(string path, CancellationToken cancellationToken)
        {
            object? result = await c.CallAsync("fs.read", P(("path", path)), cancellationToken).ConfigureAwait(false);
            return ValueCodec.ReadBytesField(result, "data");
        }

        public async ValueTask WriteAsync(string path, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
            => await c.CallAsync("fs.write", P(("path", path), ("data", data.ToArray())), cancellationToken).ConfigureAwait(false);

        public async ValueTask<IReadOnlyList<FileEntry>> ListAsync(string path, CancellationToken cancellationToken)
            => ValueCodec.ReadItems(await c.CallAsync("fs.list", P(("path", path)), cancellationToken).ConfigureAwait(false), ValueCodec.ReadFileEntry);

        public async ValueTask<FileEntry> StatAsync(string path, CancellationToken cancellationToken)
            => ValueCodec.ReadFileEntry(await c.CallAsync("fs.stat", P(("path", path)), cancellationToken).ConfigureAwait(false), "result");

        public async ValueTask DeleteAsync(string path, CancellationToken cancellationToken)
            => await c.CallAsync("fs.delete", P(("path", path)), cancellationToken).ConfigureAwait(false);

        public async ValueTask MoveAsync(string source, string destination, CancellationToken cancellationToken)
            => await c.CallAsync("fs.move", P(("src", source), ("dst", destination)), cancellationToken).ConfigureAwait(false);

        public async ValueTask CreateDirectoryAsync(string path, bool parents, CancellationToken cancellationToken)
            => await c.CallAsync("fs.mkdir", P(("path", path), ("parents", parents)), cancellationToken).ConfigureAwait(false);
    }

    private sealed class ProcessesGroup(RemoteComputer c) : IComputerProcesses
    {
        public async ValueTask<IReadOnlyList<ProcessInfo>> ListAsync(CancellationToken cancellationToken)
            => ValueCodec.ReadItems(await c.CallAsync("process.list", null, cancellationToken).ConfigureAwait(false), ValueCodec.ReadProcess);

        public async ValueTask<CompletedCommand> ShellAsync(ShellCommand command, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(command);
            return ValueCodec.ReadCompletedCommand(await c.CallAsync("process.shell", ValueCodec.ShellParams(command), cancellationToken).ConfigureAwait(false), "result");
        }

        public async ValueTask<CompletedCommand> ExecAsync(ExecCommand command, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(command);
            return ValueCodec.ReadCompletedCommand(await c.CallAsync("process.exec", ValueCodec.ExecParams(command), cancellationToken).ConfigureAwait(false), "result");
        }
    }

    private sealed class PowerGroup(RemoteComputer c) : IComputerPower
    {
        public async ValueTask LockAsync(CancellationToken cancellationToken)
            => await c.CallAsync("power.lock", null, cancellationToken).ConfigureAwait(false);
    }

    private sealed class NotificationsGroup(RemoteComputer c) : IComputerNotifications
    {
        public async ValueTask<IReadOnlyList<Notification>> ListAsync(CancellationToken cancellationToken)
            => ValueCodec.ReadItems(await c.CallAsync("notifications.list", null, cancellationToken).ConfigureAwait(false), ValueCodec.ReadNotification);
    }
}
