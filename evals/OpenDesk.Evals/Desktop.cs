using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using OpenDesk.Serve.Demo;
using OpenDesk.Testing.Desktop;

namespace OpenDesk.Evals;

/// <summary>A monitor of a desktop layout (XRandR monitor on one Xvfb screen).</summary>
internal sealed record MonitorLayout(string Name, int X, int Y, int Width, int Height);

/// <summary>A virtual desktop layout: one Xvfb screen, optionally split into several XRandR monitors.</summary>
internal sealed record DesktopLayout(string Name, int Width, int Height, IReadOnlyList<MonitorLayout> Monitors)
{
    /// <summary>1920×1080, one monitor.</summary>
    public static DesktopLayout Hd { get; } = new("1920x1080", 1920, 1080, []);

    /// <summary>2560×1440, one monitor (the model frame is smaller than the desktop: coordinates are scaled).</summary>
    public static DesktopLayout Qhd { get; } = new("2560x1440", 2560, 1440, []);

    /// <summary>Two 1920×1080 monitors side by side on a 3840×1080 screen.</summary>
    public static DesktopLayout Dual { get; } = new("2x1920x1080", 3840, 1080,
        [new MonitorLayout("LEFT", 0, 0, 1920, 1080), new MonitorLayout("RIGHT", 1920, 0, 1920, 1080)]);
}

/// <summary>
/// A private X desktop started for the evals, owned by PID: Xvfb, a private D-Bus session with the AT-SPI bus,
/// openbox, and XRandR monitors for multi-monitor layouts. Each part is awaited on the event that says it is ready:
/// Xvfb's <c>-displayfd</c> line, dbus-daemon's address line, the <c>AT_SPI_BUS</c> property on the root window
/// (PropertyNotify, <see cref="XEventWaiter"/>) and a line openbox's <c>--startup</c> command prints as openbox enters its
/// main loop. Evals never use OpenDesk as a library, so this does not use OpenDesk.Local's VirtualDisplay.
/// </summary>
internal sealed class Desktop : IAsyncDisposable
{
    private const string OpenboxRunning = "opendesk-evals-openbox-running";
    private readonly List<ChildProcess> _processes = [];
    private readonly Dictionary<string, string?> _environment = new(StringComparer.Ordinal);

    private Desktop(DesktopLayout layout) => Layout = layout;

    /// <summary>The layout.</summary>
    public DesktopLayout Layout { get; }

    /// <summary>The X display name.</summary>
    public string DisplayName { get; private set; } = "";

    /// <summary>Variables for processes on this desktop (DISPLAY, the session bus, AT-SPI on).</summary>
    public IReadOnlyDictionary<string, string?> Environment => _environment;

    /// <summary>PIDs of the desktop's own processes.</summary>
    public IEnumerable<int> Pids => _processes.Select(p => p.Pid);

    /// <summary>True when openbox runs (it keeps <c>_NET_CLIENT_LIST</c>, which window waits watch).</summary>
    public bool HasWindowManager { get; private set; }

    /// <summary>Starts the desktop and waits until each part is ready.</summary>
    /// <param name="layout">Screen size and monitors.</param>
    /// <param name="settingsRoot">Folder for the apps' private XDG settings.</param>
    /// <param name="ct">Cancels the start.</param>
    public static async Task<Desktop> StartAsync(DesktopLayout layout, string settingsRoot, CancellationToken ct)
    {
        var d = new Desktop(layout);
        try
        {
            d.IsolateSettings(settingsRoot);
            await d.StartXvfbAsync(ct);
            await d.StartBusAsync(ct);
            await d.StartWindowManagerAsync(ct);
            await d.SetMonitorsAsync(ct);
            return d;
        }
        catch
        {
            await d.DisposeAsync();
            throw;
        }
    }

    /// <summary>Private settings folders for the apps (no dconf writes, no session-restore prompts, the user's config untouched).</summary>
    private void IsolateSettings(string root)
    {
        foreach ((string name, string dir) in new[] { ("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"), ("XDG_CACHE_HOME", "cache") })
        {
            _environment[name] = Directory.CreateDirectory(Path.Combine(root, dir)).FullName;
        }

        _environment["GSETTINGS_BACKEND"] = "memory";
    }

    private async Task StartXvfbAsync(CancellationToken ct)
    {
        string xvfb = ChildProcess.Which("Xvfb") ?? throw new InvalidOperationException("Xvfb is not installed (apt-get install xvfb)");

        // Display numbers from 140 up: far from a user's :0 and from OpenDesk.Local's own range (90+).
        for (int n = 140; n < 240; n++)
        {
            if (File.Exists($"/tmp/.X{n}-lock") || File.Exists($"/tmp/.X11-unix/X{n}"))
            {
                continue;
            }

            string name = ":" + n.ToString(CultureInfo.InvariantCulture);
            var p = ChildProcess.Start("Xvfb", xvfb,
                [name, "-displayfd", "1", "-screen", "0", $"{Layout.Width}x{Layout.Height}x24", "-nolisten", "tcp", "-noreset"]);
            _processes.Add(p);
            try
            {
                // -displayfd: Xvfb writes its display number when it accepts connections.
                _ = await p.WaitForLineAsync(l => l.Trim() == n.ToString(CultureInfo.InvariantCulture), TimeSpan.FromSeconds(20), ct);
                DisplayName = name;
                _environment["DISPLAY"] = name;
                return;
            }
            catch (TimeoutException)
            {
                _processes.Remove(p);
                await p.DisposeAsync();
            }
        }

        throw new InvalidOperationException("Xvfb did not start on any free display number");
    }

    private async Task StartBusAsync(CancellationToken ct)
    {
        if (ChildProcess.Which("dbus-daemon") is not { } dbus)
        {
            return;
        }

        var daemon = ChildProcess.Start("dbus-daemon", dbus, ["--session", "--nofork", "--print-address=1", "--nopidfile"], _environment);
        _processes.Add(daemon);
        string address = (await daemon.WaitForLineAsync(l => l.StartsWith("unix:", StringComparison.Ordinal), TimeSpan.FromSeconds(20), ct)).Trim();
        _environment["DBUS_SESSION_BUS_ADDRESS"] = address;
        _environment["NO_AT_BRIDGE"] = "0";
        _environment["GTK_A11Y"] = "atspi";
        const string launcher = "/usr/libexec/at-spi-bus-launcher";
        if (!File.Exists(launcher))
        {
            return;
        }

        // With --launch-immediately the launcher starts the a11y bus and sets its address as AT_SPI_BUS on the root
        // window, where libatspi looks first; it skips that when WAYLAND_DISPLAY is set, so that must not leak in.
        var env = new Dictionary<string, string?>(_environment, StringComparer.Ordinal) { ["WAYLAND_DISPLAY"] = null };
        ChildProcess bus = ChildProcess.Start("at-spi-bus-launcher", launcher, ["--launch-immediately"], env);
        _processes.Add(bus);

        // As before, a bus that does not come up is not an error here (the tasks that need it say so); the wait ends on
        // the property, the launcher's exit or the timeout.
        _ = await Task.Factory.StartNew(() =>
        {
            using XEventWaiter x = XEventWaiter.Open(DisplayName);
            using ProcessDescriptor? launcher = ProcessDescriptor.IsSupported ? ProcessDescriptor.Open(bus.Pid) : null;
            return x.WaitUntil(() => x.GetText(x.Root, "AT_SPI_BUS") is not null, TimeSpan.FromSeconds(20), launcher is null ? [] : [launcher], out _);
        }, ct, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    private async Task StartWindowManagerAsync(CancellationToken ct)
    {
        if (ChildProcess.Which("openbox") is not { } openbox)
        {
            return;
        }

        // openbox runs its --startup command right before it enters its main loop. Its _NET_SUPPORTING_WM_CHECK (what
        // wmctrl -m reads) comes ~100 ms earlier; an app that configures a window in between (an xterm does at once)
        // has that request left unhandled and waits Xt's 5 s wmTimeout before its window is mapped.
        ChildProcess wm = ChildProcess.Start("openbox", openbox, ["--sm-disable", "--startup", "echo " + OpenboxRunning], _environment);
        _processes.Add(wm);
        try
        {
            // ChildProcess keeps reading openbox's output for its whole life, so it never blocks on a full pipe.
            _ = await wm.WaitForLineAsync(l => l == OpenboxRunning, TimeSpan.FromSeconds(20), ct);
        }
        catch (TimeoutException e)
        {
            throw new InvalidOperationException($"openbox did not start on {DisplayName}: {e.Message}", e);
        }

        HasWindowManager = true;
    }

    private async Task SetMonitorsAsync(CancellationToken ct)
    {
        for (int i = 0; i < Layout.Monitors.Count; i++)
        {
            MonitorLayout m = Layout.Monitors[i];

            // The first monitor takes the Xvfb output ("screen"), which replaces its automatic whole-screen monitor.
            string geometry = string.Create(CultureInfo.InvariantCulture, $"{m.Width}/{m.Width * 254 / 960}x{m.Height}/{m.Height * 254 / 960}+{m.X}+{m.Y}");
            (int code, _, string err) = await ChildProcess.RunAsync("xrandr",
                ["--setmonitor", m.Name, geometry, i == 0 ? "screen" : "none"], _environment, cancellationToken: ct);
            if (code != 0)
            {
                throw new InvalidOperationException($"xrandr --setmonitor {m.Name} failed: {err}");
            }
        }
    }

    /// <summary>Starts a program on this desktop (owned by the caller).</summary>
    public ChildProcess StartApp(string name, string file, params string[] args)
        => ChildProcess.Start(name, ChildProcess.Which(file) ?? file, args, _environment);

    /// <summary>Runs a helper tool (xdotool, wmctrl, xclip, …) on this desktop.</summary>
    public Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string file, IEnumerable<string> args, string? stdin = null, TimeSpan? timeout = null)
        => ChildProcess.RunAsync(file, args, _environment, timeout ?? TimeSpan.FromSeconds(30), stdin);

    /// <summary>
    /// Waits until the window manager lists (<c>_NET_CLIENT_LIST</c>) a viewable window whose title matches
    /// <paramref name="titleRegex"/> (case-insensitively, as <c>xdotool search --name</c> did); returns its X window
    /// id in decimal, as xdotool printed it. Blocks on X events (the client list, titles and map states changing).
    /// </summary>
    /// <exception cref="InvalidOperationException">No such window in time; the message lists the titles there were.</exception>
    public async Task<string> WaitForWindowAsync(string titleRegex, TimeSpan? timeout = null)
    {
        TimeSpan limit = timeout ?? TimeSpan.FromSeconds(30);
        if (!HasWindowManager)
        {
            // No window manager, no client list to watch: xdotool walks the window tree, re-searching every 0.5 s.
            (int code, string stdout, string stderr) = await RunAsync("xdotool", ["search", "--sync", "--onlyvisible", "--name", titleRegex], timeout: limit);
            return code == 0
                ? stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[0].Trim()
                : throw new InvalidOperationException($"no window '{titleRegex}' on {DisplayName}: {stderr}");
        }

        var title = new Regex(titleRegex, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
        return await Task.Factory.StartNew(() =>
        {
            using XEventWaiter x = XEventWaiter.Open(DisplayName);
            uint found = x.WaitForClientWindow((w, t) => title.IsMatch(t) && x.IsViewable(w), limit, out string titles);
            return found != 0
                ? found.ToString(CultureInfo.InvariantCulture)
                : throw new InvalidOperationException($"no window '{titleRegex}' on {DisplayName} within {limit.TotalSeconds:0.#} s (windows: {titles})");
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>
    /// Polls <paramref name="condition"/> (backing off from 20 ms to 250 ms) until it holds or the timeout passes. Only
    /// for conditions no event announces to the evals: a file's contents, OCR of a window, a tool's answer about an
    /// app's state. Readiness of the desktop's own parts and window waits block on their events instead.
    /// </summary>
    public static async Task<bool> Until(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        int delay = 20;
        while (true)
        {
            if (await condition())
            {
                return true;
            }

            if (sw.Elapsed > timeout)
            {
                return false;
            }

            await Task.Delay(delay);
            delay = Math.Min(delay * 2, 250);
        }
    }

    /// <summary>Stops the desktop's processes by PID, newest first.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (ChildProcess p in Enumerable.Reverse(_processes))
        {
            await p.DisposeAsync();
        }

        _processes.Clear();
    }
}
