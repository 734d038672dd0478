using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using OpenDesk.Core;

namespace OpenDesk.Testing;

/// <summary>
/// An in-memory <see cref="IComputer"/> for unit tests. It records every call (<see cref="Calls"/>, protocol-v1 method
/// names with a short summary), keeps real state (cursor, clipboard, files, windows, a small UI tree with a "Save"
/// button and a "Name" text field) and captures a real PNG whose size follows the request. Capabilities can be
/// removed to test <see cref="CapabilityUnsupportedException"/> paths.
/// </summary>
public sealed class FakeComputer : IComputer
{
    /// <summary>The desktop size of the single fake display.</summary>
    public const int DesktopWidth = 1280, DesktopHeight = 800;

    private readonly ConcurrentQueue<string> _calls = new();
    private readonly ConcurrentQueue<InputEvent> _inputEvents = new();
    private readonly Channel<InputEvent> _observed = Channel.CreateUnbounded<InputEvent>();
    private readonly Dictionary<string, byte[]> _files = new(StringComparer.Ordinal);
    private readonly HashSet<string> _directories = new(StringComparer.Ordinal) { "/" };
    private readonly List<Window> _windows =
    [
        new Window("101", "Untitled - Editor", "editor", 4242, new Rect(100, 80, 800, 600), Focused: true),
        new Window("102", "Terminal", "xterm", 4343, new Rect(300, 200, 640, 400)),
    ];
    private readonly HashSet<Capability> _capabilities;
    private readonly Lock _gate = new();
    private ClipboardContents _clipboard = ClipboardContents.Empty;
    private Point _cursor = new(DesktopWidth / 2, DesktopHeight / 2);
    private string _nameFieldValue = string.Empty;
    private int _saveClicks;

    /// <summary>Creates a fake with every capability it implements.</summary>
    public FakeComputer()
        : this(SupportedCapabilities)
    {
    }

    /// <summary>Creates a fake that advertises only <paramref name="capabilities"/> (each must be in <see cref="SupportedCapabilities"/>).</summary>
    public FakeComputer(IEnumerable<Capability> capabilities)
    {
        _capabilities = [.. capabilities];
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

    /// <summary>Everything the fake implements.</summary>
    public static IReadOnlyList<Capability> SupportedCapabilities { get; } =
    [
        Capability.DisplayCapture, Capability.DisplayStream, Capability.InputPointer, Capability.InputKeyboard,
        Capability.InputText, Capability.UiTree, Capability.UiActions, Capability.WindowsList, Capability.WindowsManipulate,
        Capability.AppLifecycle, Capability.ClipboardRead, Capability.ClipboardWrite, Capability.FsRead, Capability.FsWrite,
        Capability.ProcessList, Capability.PowerLock, Capability.NotificationsList,
    ];

    /// <summary>Backend name in the manifest.</summary>
    public string Backend { get; init; } = "fake";

    /// <summary>Recorded calls, oldest first, e.g. <c>input.pointer down (10, 20) left</c>.</summary>
    public IReadOnlyList<string> Calls => [.. _calls];

    /// <summary>Input events sent through <see cref="Input"/>, oldest first.</summary>
    public IReadOnlyList<InputEvent> InputEvents => [.. _inputEvents];

    /// <summary>How many times the "Save" button was clicked (via <c>ui.action</c> or a pointer click on its bounds).</summary>
    public int SaveClicks => Volatile.Read(ref _saveClicks);

    /// <summary>The current value of the "Name" text field (set by <c>ui.action set_value</c> or typing while it has focus).</summary>
    public string NameFieldValue { get { lock (_gate) { return _nameFieldValue; } } }

    /// <summary>Bounds of the "Save" button in desktop space.</summary>
    public static Rect SaveButtonBounds { get; } = new(700, 600, 120, 40);

    /// <summary>Bounds of the "Name" text field in desktop space.</summary>
    public static Rect NameFieldBounds { get; } = new(200, 200, 400, 32);

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

    /// <summary>True after <see cref="DisposeAsync"/>.</summary>
    public bool IsDisposed { get; private set; }

    /// <summary>True after a <c>power.lock</c>.</summary>
    public bool IsLocked { get; private set; }

    /// <summary>The fake's only display.</summary>
    public static Display PrimaryDisplay { get; } = new("0", new Rect(0, 0, DesktopWidth, DesktopHeight), 1.0, true, "FAKE-1");

    /// <inheritdoc />
    public ValueTask<CapabilityManifest> GetCapabilitiesAsync(CancellationToken cancellationToken)
    {
        Record("system.capabilities");
        var limits = new Dictionary<string, IReadOnlyDictionary<string, object?>>
        {
            ["display.stream"] = new Dictionary<string, object?> { ["max_fps"] = 30 },
        };
        return ValueTask.FromResult(new CapabilityManifest([.. _capabilities], limits, "0.1", Backend));
    }

    /// <inheritdoc />
    public ValueTask<EnvironmentInfo> GetEnvironmentAsync(CancellationToken cancellationToken)
    {
        Record("system.environment");
        return ValueTask.FromResult(new EnvironmentInfo("linux", "fake 1.0", "fakehost", "en_US.UTF-8", "UTC", [PrimaryDisplay]));
    }

    /// <summary>Disposes the fake (idempotent).</summary>
    public ValueTask DisposeAsync()
    {
        IsDisposed = true;
        _observed.Writer.TryComplete();
        return ValueTask.CompletedTask;
    }

    /// <summary>The UI tree the fake exposes: a window with a "Name" field, a "Save" and a "Cancel" button.</summary>
    public UIElement BuildTree() => new(
        "frame",
        "Untitled - Editor",
        Bounds: new Rect(100, 80, 800, 600),
        Children:
        [
            new UIElement("text", "Name", NameFieldValue, NameFieldBounds, Actions: ["focus", UIActions.SetValue],
                Metadata: new Dictionary<string, object?> { ["path"] = "0" }),
            new UIElement("push button", "Save", null, SaveButtonBounds, Actions: [UIActions.Click],
                Metadata: new Dictionary<string, object?> { ["path"] = "1" }),
            new UIElement("push button", "Cancel", null, new Rect(540, 600, 120, 40), Actions: [UIActions.Click],
                Metadata: new Dictionary<string, object?> { ["path"] = "2" }),
        ],
        Metadata: new Dictionary<string, object?> { ["path"] = "" });

    private void Record(string call) => _calls.Enqueue(call);

    private void Require(Capability capability)
    {
        if (!_capabilities.Contains(capability))
        {
            throw new CapabilityUnsupportedException(capability.Name, Backend);
        }
    }

    private static string NormalisePath(string path)
    {
        if (string.IsNullOrEmpty(path) || path[0] != '/')
        {
            throw new InvalidArgumentException($"path must be absolute: '{path}'");
        }

        string trimmed = path.TrimEnd('/');
        return trimmed.Length == 0 ? "/" : trimmed;
    }

    private static string Parent(string path)
    {
        int i = path.LastIndexOf('/');
        return i <= 0 ? "/" : path[..i];
    }

    private sealed class DisplayGroup(FakeComputer c) : IComputerDisplay
    {
        public ValueTask<IReadOnlyList<Display>> GetDisplaysAsync(CancellationToken cancellationToken)
        {
            c.Require(Capability.DisplayCapture);
            c.Record("display.displays");
            return ValueTask.FromResult<IReadOnlyList<Display>>([PrimaryDisplay]);
        }

        public ValueTask<Pixmap> CaptureAsync(CaptureOptions options, CancellationToken cancellationToken)
        {
            c.Require(Capability.DisplayCapture);
            c.Record($"display.capture {(options.Region is { } r ? r.ToString() : options.DisplayId ?? "desktop")}");
            return ValueTask.FromResult(Capture(options));
        }

        public ValueTask<Point> GetCursorPositionAsync(CancellationToken cancellationToken)
        {
            c.Require(Capability.InputPointer);
            c.Record("display.cursor_position");
            lock (c._gate)
            {
                return ValueTask.FromResult(c._cursor);
            }
        }

        public async IAsyncEnumerable<DisplayFrame> SubscribeAsync(DisplayStreamOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            c.Require(Capability.DisplayStream);
            c.Record($"display.subscribe fps={options.Fps}");
            var period = TimeSpan.FromSeconds(1.0 / Math.Clamp(options.Fps, 1, 30));
            using var timer = new PeriodicTimer(period);
            for (long n = 0; ; n++)
            {
                Pixmap pixmap = Capture(new CaptureOptions(options.DisplayId, options.Region) { MaxWidth = 160 });
                yield return new DisplayFrame(pixmap, n, n == 0);
                try
                {
                    if (!await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
                    {
                        yield break;
                    }
                }
                catch (OperationCanceledException)
                {
                    yield break;
                }
            }
        }

        private Pixmap Capture(CaptureOptions options)
        {
            Rect area = options.Region ?? PrimaryDisplay.Bounds;
            area = area.Intersect(PrimaryDisplay.Bounds);
            if (area.IsEmpty)
            {
                throw new InvalidArgumentException($"region {options.Region} is outside the desktop");
            }

            int logicalW = (int)area.Width, logicalH = (int)area.Height;
            double scale = 1.0;
            if (options.MaxWidth is int mw && mw > 0 && logicalW > mw)
            {
                scale = Math.Min(scale, (double)mw / logicalW);
            }

            if (options.MaxHeight is int mh && mh > 0 && logicalH > mh)
            {
                scale = Math.Min(scale, (double)mh / logicalH);
            }

            int w = Math.Max(1, (int)Math.Round(logicalW * scale)), h = Math.Max(1, (int)Math.Round(logicalH * scale));
            Rect save = SaveButtonBounds;
            int saves = c.SaveClicks;
            byte[] png = TestPng.Encode(w, h, (x, y) =>
            {
                double dx = area.X + (x / scale), dy = area.Y + (y / scale);
                return save.Contains(new Point(dx, dy)) ? 0x2060C0 + saves : 0xF0F0F0;
            });
            return new Pixmap(png, PixmapFormat.Png, w, h, logicalW, logicalH, options.Region is null ? options.DisplayId ?? PrimaryDisplay.Id : null, DateTimeOffset.UtcNow);
        }
    }

    private sealed class InputGroup(FakeComputer c) : IComputerInput
    {
        public ValueTask SendPointerAsync(PointerEvent pointerEvent, CancellationToken cancellationToken)
        {
            c.Require(Capability.InputPointer);
            Point p = pointerEvent.Point;
            if (!PrimaryDisplay.Bounds.Contains(p))
            {
                throw new InvalidArgumentException($"point {p} is outside the desktop {PrimaryDisplay.Bounds}");
            }

            string button = pointerEvent.Action is PointerAction.Down or PointerAction.Up ? " " + (pointerEvent.Button ?? MouseButton.Left).ToWireName() : string.Empty;
            c.Record($"input.pointer {pointerEvent.Action.ToWireName()} {p}{button}");
            lock (c._gate)
            {
                c._cursor = p;
            }

            if (pointerEvent.Action == PointerAction.Up && (pointerEvent.Button ?? MouseButton.Left) == MouseButton.Left && SaveButtonBounds.Contains(p))
            {
                Interlocked.Increment(ref c._saveClicks);
            }

            Observe(pointerEvent);
            return ValueTask.CompletedTask;
        }

        public ValueTask SendKeyAsync(KeyEvent keyEvent, CancellationToken cancellationToken)
        {
            c.Require(Capability.InputKeyboard);
            if (string.IsNullOrWhiteSpace(keyEvent.Keysym))
            {
                throw new InvalidArgumentException("keysym must not be empty");
            }

            c.Record($"input.key {keyEvent.Action.ToWireName()} {keyEvent.Keysym}");
            Observe(keyEvent);
            return ValueTask.CompletedTask;
        }

        public ValueTask TypeTextAsync(TextInput textInput, CancellationToken cancellationToken)
        {
            c.Require(Capability.InputText);
            c.Record($"input.text {textInput.Text.Length} chars");
            lock (c._gate)
            {
                if (NameFieldBounds.Contains(c._cursor))
                {
                    c._nameFieldValue += textInput.Text;
                }
            }

            return ValueTask.CompletedTask;
        }

        public async IAsyncEnumerable<InputEvent> SubscribeAsync([EnumeratorCancellation] CancellationToken cancellationToken)
        {
            c.Require(Capability.InputPointer);
            c.Record("input.subscribe");
            while (true)
            {
                InputEvent e;
                try
                {
                    e = await c._observed.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException)
                {
                    yield break;
                }

                yield return e;
            }
        }

        private void Observe(InputEvent e)
        {
            c._inputEvents.Enqueue(e);
            c._observed.Writer.TryWrite(e);
        }
    }

    private sealed class WindowsGroup(FakeComputer c) : IComputerWindows
    {
        public ValueTask<IReadOnlyList<Window>> ListAsync(CancellationToken cancellationToken)
        {
            c.Require(Capability.WindowsList);
            c.Record("windows.list");
            lock (c._gate)
            {
                return ValueTask.FromResult<IReadOnlyList<Window>>([.. c._windows]);
            }
        }

        public ValueTask<Window?> GetFocusedAsync(CancellationToken cancellationToken)
        {
            c.Require(Capability.WindowsList);
            c.Record("windows.focused");
            lock (c._gate)
            {
                return ValueTask.FromResult(c._windows.FirstOrDefault(w => w.Focused));
            }
        }

        public ValueTask FocusAsync(string windowId, CancellationToken cancellationToken)
        {
            c.Require(Capability.WindowsManipulate);
            c.Record($"windows.focus {windowId}");
            Update(windowId, _ => true, (w, _) => w with { Focused = w.Id == windowId });
            return ValueTask.CompletedTask;
        }

        public ValueTask MoveAsync(string windowId, Rect bounds, CancellationToken cancellationToken)
        {
            c.Require(Capability.WindowsManipulate);
            if (bounds.IsEmpty)
            {
                throw new InvalidArgumentException($"bounds must have a positive size: {bounds}");
            }

            c.Record($"windows.move {windowId} {bounds}");
            Update(windowId, w => w.Id == windowId, (w, _) => w with { Bounds = bounds });
            return ValueTask.CompletedTask;
        }

        public ValueTask CloseAsync(string windowId, CancellationToken cancellationToken)
        {
            c.Require(Capability.WindowsManipulate);
            c.Record($"windows.close {windowId}");
            lock (c._gate)
            {
                if (c._windows.RemoveAll(w => w.Id == windowId) == 0)
                {
                    throw new NotFoundException($"no window with id '{windowId}'");
                }
            }

            return ValueTask.CompletedTask;
        }

        private void Update(string windowId, Func<Window, bool> which, Func<Window, int, Window> change)
        {
            lock (c._gate)
            {
                if (!c._windows.Any(w => w.Id == windowId))
                {
                    throw new NotFoundException($"no window with id '{windowId}'");
                }

                for (int i = 0; i < c._windows.Count; i++)
                {
                    if (which(c._windows[i]))
                    {
                        c._windows[i] = change(c._windows[i], i);
                    }
                }
            }
        }
    }

    private sealed class AppsGroup(FakeComputer c) : IComputerApps
    {
        public ValueTask OpenAsync(string name, CancellationToken cancellationToken)
        {
            c.Require(Capability.AppLifecycle);
            ArgumentException.ThrowIfNullOrWhiteSpace(name);
            c.Record($"apps.open {name}");
            lock (c._gate)
            {
                int id = 200 + c._windows.Count;
                c._windows.Add(new Window(id.ToString(System.Globalization.CultureInfo.InvariantCulture), name, name, 5000 + id, new Rect(50, 50, 400, 300)));
            }

            return ValueTask.CompletedTask;
        }

        public ValueTask CloseAsync(string name, CancellationToken cancellationToken)
        {
            c.Require(Capability.AppLifecycle);
            c.Record($"apps.close {name}");
            lock (c._gate)
            {
                if (c._windows.RemoveAll(w => string.Equals(w.AppName, name, StringComparison.OrdinalIgnoreCase)) == 0)
                {
                    throw new NotFoundException($"no running app named '{name}'");
                }
            }

            return ValueTask.CompletedTask;
        }

        public ValueTask FocusAsync(string name, CancellationToken cancellationToken)
        {
            c.Require(Capability.AppLifecycle);
            c.Record($"apps.focus {name}");
            lock (c._gate)
            {
                if (!c._windows.Any(w => string.Equals(w.AppName, name, StringComparison.OrdinalIgnoreCase)))
                {
                    throw new NotFoundException($"no running app named '{name}'");
                }

                for (int i = 0; i < c._windows.Count; i++)
                {
                    c._windows[i] = c._windows[i] with { Focused = string.Equals(c._windows[i].AppName, name, StringComparison.OrdinalIgnoreCase) };
                }
            }

            return ValueTask.CompletedTask;
        }

        public ValueTask<IReadOnlyList<string>> ListAsync(CancellationToken cancellationToken)
        {
            c.Require(Capability.AppLifecycle);
            c.Record("apps.list");
            lock (c._gate)
            {
                return ValueTask.FromResult<IReadOnlyList<string>>([.. c._windows.Select(w => w.AppName).Distinct()]);
            }
        }
    }

    private sealed class UIGroup(FakeComputer c) : IComputerUI
    {
        public ValueTask<UIElement> GetTreeAsync(UITreeQuery query, CancellationToken cancellationToken)
        {
            c.Require(Capability.UiTree);
            c.Record($"ui.tree app={query.App ?? "-"} window={query.WindowId ?? "-"}");
            if (query.App is { } app && !string.Equals(app, "editor", StringComparison.OrdinalIgnoreCase))
            {
                throw new NotFoundException($"no accessible app named '{app}'");
            }

            UIElement tree = c.BuildTree();
            return ValueTask.FromResult(query.MaxDepth < 1 ? tree with { Children = [] } : tree);
        }

        public ValueTask PerformActionAsync(UIElement element, string action, string? app, CancellationToken cancellationToken)
        {
            c.Require(Capability.UiActions);
            c.Record($"ui.action {action} {element.Role} '{element.Name}'");
            UIElement? target = c.BuildTree().DescendantsAndSelf().FirstOrDefault(e =>
                e.Metadata.TryGetValue("path", out object? p) && element.Metadata.TryGetValue("path", out object? q) && Equals(p, q));
            target ??= c.BuildTree().DescendantsAndSelf().FirstOrDefault(e => e.Role == element.Role && e.Name == element.Name);
            if (target is null)
            {
                throw new NotFoundException($"element {element.Role} '{element.Name}' not found");
            }

            if (!target.Actions.Contains(action))
            {
                throw new InvalidArgumentException($"element {target.Role} '{target.Name}' does not support action '{action}'");
            }

            if (target.Name == "Save" && action == UIActions.Click)
            {
                Interlocked.Increment(ref c._saveClicks);
            }
            else if (target.Name == "Name" && action == UIActions.SetValue)
            {
                lock (c._gate)
                {
                    c._nameFieldValue = element.Value ?? string.Empty;
                }
            }

            return ValueTask.CompletedTask;
        }
    }

    private sealed class ClipboardGroup(FakeComputer c) : IComputerClipboard
    {
        public ValueTask<ClipboardContents> ReadAsync(CancellationToken cancellationToken)
        {
            c.Require(Capability.ClipboardRead);
            c.Record("clipboard.read");
            lock (c._gate)
            {
                return ValueTask.FromResult(c._clipboard);
            }
        }

        public ValueTask WriteAsync(ClipboardContents contents, CancellationToken cancellationToken)
        {
            c.Require(Capability.ClipboardWrite);
            c.Record($"clipboard.write {contents.Entries.Count} entries");
            lock (c._gate)
            {
                c._clipboard = new ClipboardContents([.. contents.Entries.Select(e => e with { Data = [.. e.Data] })]);
            }

            return ValueTask.CompletedTask;
        }
    }

    private sealed class FilesGroup(FakeComputer c) : IComputerFiles
    {
        public ValueTask<byte[]> ReadAsync(string path, CancellationToken cancellationToken)
        {
            c.Require(Capability.FsRead);
            path = NormalisePath(path);
            c.Record($"fs.read {path}");
            lock (c._gate)
            {
                return c._files.TryGetValue(path, out byte[]? data)
                    ? ValueTask.FromResult<byte[]>([.. data])
                    : throw new NotFoundException($"no such file: {path}");
            }
        }

        public ValueTask WriteAsync(string path, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        {
            c.Require(Capability.FsWrite);
            path = NormalisePath(path);
            c.Record($"fs.write {path} {data.Length} bytes");
            lock (c._gate)
            {
                if (!c._directories.Contains(Parent(path)))
                {
                    throw new NotFoundException($"no such directory: {Parent(path)}");
                }

                if (c._directories.Contains(path))
                {
                    throw new InvalidArgumentException($"is a directory: {path}");
                }

                c._files[path] = data.ToArray();
            }

            return ValueTask.CompletedTask;
        }

        public ValueTask<IReadOnlyList<FileEntry>> ListAsync(string path, CancellationToken cancellationToken)
        {
            c.Require(Capability.FsRead);
            path = NormalisePath(path);
            c.Record($"fs.list {path}");
            lock (c._gate)
            {
                if (!c._directories.Contains(path))
                {
                    throw new NotFoundException($"no such directory: {path}");
                }

                var entries = c._directories.Where(d => d != "/" && Parent(d) == path).Select(d => Entry(d, true))
                    .Concat(c._files.Keys.Where(f => Parent(f) == path).Select(f => Entry(f, false)))
                    .OrderBy(e => e.Name, StringComparer.Ordinal).ToList();
                return ValueTask.FromResult<IReadOnlyList<FileEntry>>(entries);
            }
        }

        public ValueTask<FileEntry> StatAsync(string path, CancellationToken cancellationToken)
        {
            c.Require(Capability.FsRead);
            path = NormalisePath(path);
            c.Record($"fs.stat {path}");
            lock (c._gate)
            {
                return c._directories.Contains(path) ? ValueTask.FromResult(Entry(path, true))
                    : c._files.ContainsKey(path) ? ValueTask.FromResult(Entry(path, false))
                    : throw new NotFoundException($"no such file or directory: {path}");
            }
        }

        public ValueTask DeleteAsync(string path, CancellationToken cancellationToken)
        {
            c.Require(Capability.FsWrite);
            path = NormalisePath(path);
            c.Record($"fs.delete {path}");
            lock (c._gate)
            {
                if (c._files.Remove(path))
                {
                    return ValueTask.CompletedTask;
                }

                if (path == "/" || !c._directories.Contains(path))
                {
                    throw new NotFoundException($"no such file or directory: {path}");
                }

                string prefix = path + "/";
                c._directories.RemoveWhere(d => d == path || d.StartsWith(prefix, StringComparison.Ordinal));
                foreach (string f in c._files.Keys.Where(f => f.StartsWith(prefix, StringComparison.Ordinal)).ToList())
                {
                    c._files.Remove(f);
                }
            }

            return ValueTask.CompletedTask;
        }

        public ValueTask MoveAsync(string source, string destination, CancellationToken cancellationToken)
        {
            c.Require(Capability.FsWrite);
            source = NormalisePath(source);
            destination = NormalisePath(destination);
            c.Record($"fs.move {source} {destination}");
            lock (c._gate)
            {
                if (!c._files.Remove(source, out byte[]? data))
                {
                    throw new NotFoundException($"no such file: {source}");
                }

                if (!c._directories.Contains(Parent(destination)))
                {
                    c._files[source] = data;
                    throw new NotFoundException($"no such directory: {Parent(destination)}");
                }

                c._files[destination] = data;
            }

            return ValueTask.CompletedTask;
        }

        public ValueTask CreateDirectoryAsync(string path, bool parents, CancellationToken cancellationToken)
        {
            c.Require(Capability.FsWrite);
            path = NormalisePath(path);
            c.Record($"fs.mkdir {path}");
            lock (c._gate)
            {
                if (!parents && !c._directories.Contains(Parent(path)))
                {
                    throw new NotFoundException($"no such directory: {Parent(path)}");
                }

                for (string p = path; p != "/"; p = Parent(p))
                {
                    c._directories.Add(p);
                }
            }

            return ValueTask.CompletedTask;
        }

        private FileEntry Entry(string path, bool isDir)
            => new(path, path == "/" ? "/" : path[(path.LastIndexOf('/') + 1)..], isDir, isDir ? 0 : c._files[path].Length, DateTimeOffset.UnixEpoch, isDir ? 0x1ED : 0x1A4);
    }

    private sealed class ProcessesGroup(FakeComputer c) : IComputerProcesses
    {
        public ValueTask<IReadOnlyList<ProcessInfo>> ListAsync(CancellationToken cancellationToken)
        {
            c.Require(Capability.ProcessList);
            c.Record("process.list");
            lock (c._gate)
            {
                return ValueTask.FromResult<IReadOnlyList<ProcessInfo>>(
                    [new ProcessInfo(1, "init", 0, ["/sbin/init"]), .. c._windows.Where(w => w.Pid is not null).Select(w => new ProcessInfo(w.Pid!.Value, w.AppName, 1, [w.AppName]))]);
            }
        }

        public ValueTask<CompletedCommand> ShellAsync(ShellCommand command, CancellationToken cancellationToken)
            => throw new CapabilityUnsupportedException(Capability.ProcessShell.Name, c.Backend);

        public ValueTask<CompletedCommand> ExecAsync(ExecCommand command, CancellationToken cancellationToken)
            => throw new CapabilityUnsupportedException(Capability.ProcessSpawn.Name, c.Backend);
    }

    private sealed class PowerGroup(FakeComputer c) : IComputerPower
    {
        public ValueTask LockAsync(CancellationToken cancellationToken)
        {
            c.Require(Capability.PowerLock);
            c.Record("power.lock");
            c.IsLocked = true;
            return ValueTask.CompletedTask;
        }
    }

    private sealed class NotificationsGroup(FakeComputer c) : IComputerNotifications
    {
        public ValueTask<IReadOnlyList<Notification>> ListAsync(CancellationToken cancellationToken)
        {
            c.Require(Capability.NotificationsList);
            c.Record("notifications.list");
            return ValueTask.FromResult<IReadOnlyList<Notification>>(
                [new Notification("n1", "Build finished", "All green", "ci", DateTimeOffset.FromUnixTimeSeconds(1_700_000_000))]);
        }
    }
}
