using System.Diagnostics;
using System.Globalization;
using System.Runtime.Versioning;
using OpenDesk.Local.Platforms.Linux;

namespace OpenDesk.Local;

/// <summary>Size and parts of a <see cref="VirtualDisplay"/>.</summary>
public sealed class VirtualDisplayOptions
{
    /// <summary>Screen width in pixels (default 1920).</summary>
    public int Width { get; init; } = 1920;

    /// <summary>Screen height in pixels (default 1080).</summary>
    public int Height { get; init; } = 1080;

    /// <summary>Colour depth (default 24).</summary>
    public int Depth { get; init; } = 24;

    /// <summary>The display number to use, or null to pick a free one from 90 upwards.</summary>
    public int? DisplayNumber { get; init; }

    /// <summary>Start openbox as the window manager when it is installed (default true).</summary>
    public bool WindowManager { get; init; } = true;

    /// <summary>Start a private D-Bus session with the AT-SPI bus when they are installed (default true).</summary>
    public bool Accessibility { get; init; } = true;

    /// <summary>How long to wait for each part to come up (default 15 s).</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(15);
}

/// <summary>
/// A private X desktop: Xvfb, optionally openbox and a private D-Bus session bus with the AT-SPI bus launcher. It owns
/// those processes and stops them (and anything they started) by PID on dispose. Linux only.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class VirtualDisplay : IDisposable, IAsyncDisposable
{
    private const string AtspiLauncher = "/usr/libexec/at-spi-bus-launcher";
    private readonly List<Process> _processes = [];
    private readonly Dictionary<string, string> _environment = new(StringComparer.Ordinal);
    private bool _disposed;

    private VirtualDisplay(VirtualDisplayOptions options) => Options = options;

    /// <summary>The options it was started with.</summary>
    public VirtualDisplayOptions Options { get; }

    /// <summary>The X display name, e.g. <c>:93</c>.</summary>
    public string DisplayName { get; private set; } = string.Empty;

    /// <summary>The private session bus address, or null when no D-Bus session was started.</summary>
    public string? DBusSessionAddress { get; private set; }

    /// <summary>True when openbox runs (EWMH window management is available).</summary>
    public bool HasWindowManager { get; private set; }

    /// <summary>True when the AT-SPI bus launcher runs on the private session bus.</summary>
    public bool HasAccessibilityBus { get; private set; }

    /// <summary>Variables child processes need to use this desktop (<c>DISPLAY</c>, <c>DBUS_SESSION_BUS_ADDRESS</c>).</summary>
    public IReadOnlyDictionary<string, string> Environment => _environment;

    /// <summary>PIDs of the processes this instance started directly.</summary>
    public IReadOnlyList<int> ProcessIds => _processes.Select(p => p.Id).ToList();

    /// <summary>True when Xvfb is installed.</summary>
    public static bool IsAvailable => OperatingSystem.IsLinux() && FindExecutable("Xvfb") is not null;

    /// <summary>Starts Xvfb (and openbox and the AT-SPI bus when asked and installed) and waits until each is ready.</summary>
    /// <param name="options">Size and parts; null for the defaults (1920x1080x24, openbox, AT-SPI).</param>
    /// <exception cref="InvalidOperationException">Xvfb is not installed or did not start.</exception>
    public static VirtualDisplay Start(VirtualDisplayOptions? options = null)
    {
        options ??= new VirtualDisplayOptions();
        string xvfb = FindExecutable("Xvfb") ?? throw new InvalidOperationException("Xvfb is not installed (apt-get install xvfb).");
        var vd = new VirtualDisplay(options);
        try
        {
            vd.StartXvfb(xvfb);
            if (options.Accessibility)
            {
                vd.StartDBusAndAtspi();
            }

            if (options.WindowManager && FindExecutable("openbox") is string openbox)
            {
                vd.StartOpenbox(openbox);
            }

            return vd;
        }
        catch
        {
            vd.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Points this process at the virtual desktop: sets <c>DISPLAY</c> (and <c>DBUS_SESSION_BUS_ADDRESS</c>) in both the
    /// managed and the native environment (libatspi and GTK read the native one). Call before creating a
    /// <see cref="LocalComputer"/> that should use it.
    /// </summary>
    public void ApplyToCurrentProcess()
    {
        foreach ((string key, string value) in _environment)
        {
            Interop.Libc.SetEnvironment(key, value);
        }
    }

    /// <summary>Starts a program on this desktop (with <see cref="Environment"/>); the caller owns the process.</summary>
    /// <param name="fileName">The program.</param>
    /// <param name="arguments">Its arguments.</param>
    public Process StartProcess(string fileName, params string[] arguments)
    {
        var psi = new ProcessStartInfo(fileName) { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in arguments)
        {
            psi.ArgumentList.Add(a);
        }

        foreach ((string key, string value) in _environment)
        {
            psi.Environment[key] = value;
        }

        var p = Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {fileName}.");
        p.StandardInput.Close();
        p.OutputDataReceived += static (_, _) => { };
        p.ErrorDataReceived += static (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    private void StartXvfb(string xvfb)
    {
        if (Options.DisplayNumber is null)
        {
            StartXvfbOnFreeDisplay(xvfb);
            return;
        }

        int first = Options.DisplayNumber ?? 90;
        int last = Options.DisplayNumber ?? 190;
        for (int n = first; n <= last; n++)
        {
            if (File.Exists($"/tmp/.X{n}-lock") || File.Exists($"/tmp/.X11-unix/X{n}"))
            {
                continue;
            }

            string name = ":" + n.ToString(CultureInfo.InvariantCulture);
            Process p = Spawn(xvfb, [name, "-screen", "0", $"{Options.Width}x{Options.Height}x{Options.Depth}", "-nolisten", "tcp", "-noreset"]);
            bool ready = WaitUntil(() => p.HasExited || CanConnect(name), Options.StartTimeout);
            if (ready && !p.HasExited)
            {
                DisplayName = name;
                _environment["DISPLAY"] = name;
                return;
            }

            Kill(p);
            _processes.Remove(p);
        }

        throw new InvalidOperationException("Xvfb did not start on any free display number.");
    }

    /// <summary>
    /// Lets Xvfb choose a free display itself (<c>-displayfd</c>): it binds the first free number and writes it to its
    /// standard output. Choosing the number here from lock files races with other desktops starting at the same moment.
    /// </summary>
    private void StartXvfbOnFreeDisplay(string xvfb)
    {
        Process p = Spawn(xvfb, ["-displayfd", "1", "-screen", "0", $"{Options.Width}x{Options.Height}x{Options.Depth}", "-nolisten", "tcp", "-noreset"], captureOutput: true);
        Task<string?> line = p.StandardOutput.ReadLineAsync();
        if (line.Wait(Options.StartTimeout) && int.TryParse(line.Result, NumberStyles.None, CultureInfo.InvariantCulture, out int number))
        {
            // Xvfb writes nothing else to standard output (its log goes to standard error).
            string name = ":" + number.ToString(CultureInfo.InvariantCulture);
            if (WaitUntil(() => p.HasExited || CanConnect(name), Options.StartTimeout) && !p.HasExited)
            {
                DisplayName = name;
                _environment["DISPLAY"] = name;
                return;
            }
        }

        Kill(p);
        _processes.Remove(p);
        throw new InvalidOperationException("Xvfb did not start (it found no free display number or did not answer in time).");
    }

    private void StartDBusAndAtspi()
    {
        string? dbus = FindExecutable("dbus-daemon");
        if (dbus is null)
        {
            return;
        }

        Process daemon = Spawn(dbus, ["--session", "--nofork", "--print-address=1", "--nopidfile"], captureOutput: true);
        var addressTask = daemon.StandardOutput.ReadLineAsync();
        if (!addressTask.Wait(Options.StartTimeout) || string.IsNullOrWhiteSpace(addressTask.Result))
        {
            return;
        }

        DBusSessionAddress = addressTask.Result.Trim();
        _environment["DBUS_SESSION_BUS_ADDRESS"] = DBusSessionAddress;
        _environment["NO_AT_BRIDGE"] = "0";
        _environment["GTK_A11Y"] = "atspi";
        if (!File.Exists(AtspiLauncher))
        {
            return;
        }

        _ = Spawn(AtspiLauncher, ["--launch-immediately"]);

        // Ready when the a11y bus address is published on the session bus (dbus-send is part of the dbus package).
        string? dbusSend = FindExecutable("dbus-send");
        HasAccessibilityBus = dbusSend is null || WaitUntil(() => QueryA11yBus(dbusSend), Options.StartTimeout);
    }

    private bool QueryA11yBus(string dbusSend)
    {
        var psi = new ProcessStartInfo(dbusSend) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { "--session", "--print-reply", "--dest=org.a11y.Bus", "/org/a11y/bus", "org.a11y.Bus.GetAddress" })
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["DBUS_SESSION_BUS_ADDRESS"] = DBusSessionAddress;
        using Process p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd();
        _ = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return p.ExitCode == 0 && output.Contains("unix:", StringComparison.Ordinal);
    }

    private void StartOpenbox(string openbox)
    {
        _ = Spawn(openbox, ["--sm-disable"]);
        using X11Connection? x = X11Connection.TryOpen(DisplayName);
        if (x is null)
        {
            return;
        }

        var windows = new X11Windows(x);
        HasWindowManager = WaitUntil(() => windows.HasWindowManager, Options.StartTimeout);
    }

    private static bool CanConnect(string name)
    {
        using X11Connection? x = X11Connection.TryOpen(name);
        return x is not null;
    }

    private Process Spawn(string file, string[] args, bool captureOutput = false)
    {
        var psi = new ProcessStartInfo(file)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        foreach ((string key, string value) in _environment)
        {
            psi.Environment[key] = value;
        }

        Process p = Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {file}.");
        _processes.Add(p);
        p.StandardInput.Close();
        p.ErrorDataReceived += static (_, _) => { };
        p.BeginErrorReadLine();
        if (!captureOutput)
        {
            p.OutputDataReceived += static (_, _) => { };
            p.BeginOutputReadLine();
        }

        return p;
    }

    private static bool WaitUntil(Func<bool> condition, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        int delay = 5;
        while (sw.Elapsed < timeout)
        {
            if (condition())
            {
                return true;
            }

            Thread.Sleep(delay);
            delay = Math.Min(delay * 2, 100);
        }

        return condition();
    }

    internal static string? FindExecutable(string name)
    {
        if (name.Contains('/', StringComparison.Ordinal))
        {
            return File.Exists(name) ? name : null;
        }

        string path = System.Environment.GetEnvironmentVariable("PATH") is { Length: > 0 } p ? p : "/usr/local/bin:/usr/bin:/bin";
        foreach (string dir in path.Split(':', StringSplitOptions.RemoveEmptyEntries).Concat(["/usr/bin", "/bin", "/usr/sbin"]))
        {
            string candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static void Kill(Process p)
    {
        try
        {
            if (!p.HasExited)
            {
                p.Kill();
                _ = p.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
        }
    }

    private static bool IsDescendantOrOrphan(int pid, Dictionary<int, int> parents)
    {
        // Only processes that were started for this display: orphans (their own parent is init, as after a daemon's
        // double fork) or descendants of this process. Any other process on the machine is left alone.
        if (!parents.TryGetValue(pid, out int parent))
        {
            return false;
        }

        if (parent == 1)
        {
            return true;
        }

        int self = System.Environment.ProcessId;
        for (int i = 0, cur = parent; i < 64 && cur > 1; i++)
        {
            if (cur == self)
            {
                return true;
            }

            if (!parents.TryGetValue(cur, out cur))
            {
                return false;
            }
        }

        return false;
    }

    /// <summary>Stops everything it started (descendants first, each by PID) and waits for them to exit.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;

        // Collect descendants (e.g. the a11y bus and registry daemons) before their parents go away.
        var own = _processes.Where(p => !p.HasExited).Select(p => p.Id).ToList();
        var descendants = ProcessTree.Descendants(own);

        // D-Bus activation reparents services (e.g. at-spi2-registryd) to init; they still carry our private bus address.
        if (DBusSessionAddress is not null)
        {
            descendants = descendants.Union(ProcessTree.WithEnvironment("DBUS_SESSION_BUS_ADDRESS", DBusSessionAddress)).ToList();
        }

        Dictionary<int, int> parents = ProcessTree.Snapshot().ToDictionary(p => p.Pid, p => p.Ppid);
        descendants = descendants.Union(ProcessTree.WithEnvironment("DISPLAY", DisplayName)
            .Where(pid => !own.Contains(pid) && IsDescendantOrOrphan(pid, parents))).ToList();
        foreach (Process p in Enumerable.Reverse(_processes))
        {
            try
            {
                if (!p.HasExited)
                {
                    _ = Interop.Libc.kill(p.Id, Interop.Libc.SIGTERM);
                }
            }
            catch (InvalidOperationException)
            {
            }
        }

        foreach (int pid in descendants)
        {
            _ = Interop.Libc.kill(pid, Interop.Libc.SIGTERM);
        }

        foreach (Process p in _processes)
        {
            try
            {
                if (!p.WaitForExit(3000))
                {
                    p.Kill();
                    _ = p.WaitForExit(3000);
                }
            }
            catch (InvalidOperationException)
            {
            }

            p.Dispose();
        }

        ProcessTree.WaitForExitOrKill(descendants, TimeSpan.FromSeconds(3));
        _processes.Clear();
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
