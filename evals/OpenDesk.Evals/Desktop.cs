using System.Diagnostics;
using System.Globalization;
using OpenDesk.Serve.Demo;

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
/// A private X desktop started for the evals, owned by PID: Xvfb (ready through <c>-displayfd</c>), a private D-Bus
/// session with the AT-SPI bus, openbox, and XRandR monitors for multi-monitor layouts. Evals never use OpenDesk as a
/// library, so this does not use OpenDesk.Local's VirtualDisplay.
/// </summary>
internal sealed class Desktop : IAsyncDisposable
{
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

        _processes.Add(ChildProcess.Start("at-spi-bus-launcher", launcher, ["--launch-immediately"], _environment));
        _ = await Until(async () => (await ChildProcess.RunAsync("dbus-send",
            ["--session", "--print-reply", "--dest=org.a11y.Bus", "/org/a11y/bus", "org.a11y.Bus.GetAddress"], _environment,
            cancellationToken: ct)).ExitCode == 0, TimeSpan.FromSeconds(20));
    }

    private async Task StartWindowManagerAsync(CancellationToken ct)
    {
        if (ChildProcess.Which("openbox") is not { } openbox)
        {
            return;
        }

        _processes.Add(ChildProcess.Start("openbox", openbox, ["--sm-disable"], _environment));
        if (ChildProcess.Which("wmctrl") is { } wmctrl
            && !await Until(async () => (await ChildProcess.RunAsync(wmctrl, ["-m"], _environment, cancellationToken: ct)).ExitCode == 0,
                TimeSpan.FromSeconds(20)))
        {
            throw new InvalidOperationException("openbox did not take over the display");
        }
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

    /// <summary>Waits until a visible window whose title matches appears; returns its X window id.</summary>
    public async Task<string> WaitForWindowAsync(string titleRegex, TimeSpan? timeout = null)
    {
        (int code, string stdout, string stderr) = await RunAsync("xdotool", ["search", "--sync", "--onlyvisible", "--name", titleRegex], timeout: timeout ?? TimeSpan.FromSeconds(30));
        return code == 0
            ? stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[0].Trim()
            : throw new InvalidOperationException($"no window '{titleRegex}' on {DisplayName}: {stderr}");
    }

    /// <summary>Polls <paramref name="condition"/> (backing off from 20 ms to 250 ms) until it holds or the timeout passes.</summary>
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
