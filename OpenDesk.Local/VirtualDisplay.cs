using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
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

    /// <summary>A Wayland session's socket name: apps that see it open there, not on this X display.</summary>
    private const string WaylandDisplay = "WAYLAND_DISPLAY";

    /// <summary>The line openbox's <c>--startup</c> command prints once openbox is about to enter its main loop.</summary>
    private const string OpenboxRunning = "opendesk-openbox-running";

    /// <summary><c>XEventsQueued</c> mode: flush, then read what the server sent without blocking.</summary>
    private const int QueuedAfterFlush = 2;
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

    /// <summary>
    /// Starts Xvfb (and openbox and the AT-SPI bus when asked and installed) and waits until each is ready. Every wait
    /// blocks on the event that says so, with <see cref="VirtualDisplayOptions.StartTimeout"/>: Xvfb's
    /// <c>-displayfd</c> line, dbus-daemon's address line, the <c>AT_SPI_BUS</c> property on the root window, and a
    /// line openbox's <c>--startup</c> command prints right before openbox enters its main loop (so an app started
    /// once this returns has its windows managed at once).
    /// </summary>
    /// <param name="options">Size and parts; null for the defaults (1920x1080x24, openbox, AT-SPI).</param>
    /// <exception cref="InvalidOperationException">Xvfb is not installed or did not start, or openbox is installed
    /// and asked for but exited or did not start in time (the message names which).</exception>
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
    /// managed and the native environment (libatspi and GTK read the native one), and removes <c>WAYLAND_DISPLAY</c>,
    /// which GTK and Qt apps would otherwise prefer, opening on the user's Wayland session instead of this desktop. Call
    /// before creating a <see cref="LocalComputer"/> that should use it.
    /// </summary>
    public void ApplyToCurrentProcess()
    {
        foreach ((string key, string value) in _environment)
        {
            Interop.Libc.SetEnvironment(key, value);
        }

        Interop.Libc.UnsetEnvironment(WaylandDisplay);
    }

    /// <summary>
    /// Starts a program on this desktop (with <see cref="Environment"/>, and without the caller's <c>WAYLAND_DISPLAY</c>,
    /// so GTK and Qt apps open here rather than on a Wayland session); the caller owns the process.
    /// </summary>
    /// <param name="fileName">The program.</param>
    /// <param name="arguments">Its arguments.</param>
    public Process StartProcess(string fileName, params string[] arguments)
    {
        var psi = new ProcessStartInfo(fileName) { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in arguments)
        {
            psi.ArgumentList.Add(a);
        }

        SetEnvironment(psi);
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
        if (Options.DisplayNumber is not int n)
        {
            StartXvfbOnFreeDisplay(xvfb);
            return;
        }

        string name = ":" + n.ToString(CultureInfo.InvariantCulture);
        if (File.Exists($"/tmp/.X{n}-lock") || File.Exists($"/tmp/.X11-unix/X{n}"))
        {
            throw new InvalidOperationException($"Xvfb did not start: display {name} is in use (/tmp/.X{n}-lock or /tmp/.X11-unix/X{n} exists).");
        }

        // With a display number, -displayfd still writes that number once the server accepts connections; a server
        // that cannot use the number exits, which ends its output (null line) at once.
        Process p = Spawn(xvfb, [name, "-displayfd", "1", "-screen", "0", $"{Options.Width}x{Options.Height}x{Options.Depth}", "-nolisten", "tcp", "-noreset"], captureOutput: true);
        Task<string?> line = p.StandardOutput.ReadLineAsync();
        if (line.Wait(Options.StartTimeout) && line.Result?.Trim() == n.ToString(CultureInfo.InvariantCulture) && CanConnect(name))
        {
            DisplayName = name;
            _environment["DISPLAY"] = name;
            return;
        }

        bool exited = line.IsCompleted && line.Result is null;
        Kill(p);
        _processes.Remove(p);
        throw new InvalidOperationException(exited
            ? $"Xvfb did not start on {name}: it exited (is the display in use?)."
            : $"Xvfb did not start on {name} within {Seconds(Options.StartTimeout)} s.");
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
            // Xvfb writes nothing else to standard output (its log goes to standard error). It writes the number after
            // it created its listening sockets, so one connection attempt suffices (it waits for the server's answer).
            string name = ":" + number.ToString(CultureInfo.InvariantCulture);
            if (CanConnect(name))
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

        // The launcher owns org.a11y.Bus on the session bus and (with --launch-immediately) starts the a11y bus and sets
        // its address as AT_SPI_BUS on the root window, where libatspi (ours and the apps') looks first. It skips that
        // property when WAYLAND_DISPLAY is set, which is why no process of this desktop gets it (SetEnvironment).
        Process launcher = Spawn(AtspiLauncher, ["--launch-immediately"]);

        // Ready when AT_SPI_BUS is on the root: a PropertyNotify wait on a private X connection, ended at once by the
        // launcher's exit. Only when that never came (an at-spi2 built without X11 does not set it) is the session bus
        // asked once (dbus-send is part of the dbus package).
        using (X11Connection? x = X11Connection.TryOpen(DisplayName))
        {
            nuint atom = x?.Atom("AT_SPI_BUS") ?? 0;
            if (x is not null && WaitForRootProperties(x, () => x.GetProperty(x.Root, atom) is not null, Options.StartTimeout, launcher) == RootWait.Met)
            {
                HasAccessibilityBus = true;
                return;
            }
        }

        string? dbusSend = FindExecutable("dbus-send");
        HasAccessibilityBus = !launcher.HasExited && (dbusSend is null || QueryA11yBus(dbusSend));
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

    /// <summary>
    /// Starts openbox and waits for a line its <c>--startup</c> command prints: openbox runs that command right before
    /// it enters its main loop. <c>_NET_SUPPORTING_WM_CHECK</c> (what <c>wmctrl -m</c> reads, the earlier signal)
    /// is set ~100 ms before, at the start of its set-up; an app that configures a window in between (an xterm does at
    /// once) has that ConfigureRequest read during the set-up and left unhandled, so Xt waits its 5 s wmTimeout
    /// before the window is mapped (3 of 12 xterms started right after the old signal, none after the marker).
    /// openbox's stdout stays drained for its whole life, so neither it nor a child of it blocks on a full pipe.
    /// </summary>
    private void StartOpenbox(string openbox)
    {
        var running = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var errors = new Queue<string>();
        var errorsEnded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnOutput(object sender, DataReceivedEventArgs e)
        {
            // null: end of its stdout, so openbox (and its --startup command) exited.
            if (e.Data is null || e.Data == OpenboxRunning)
            {
                _ = running.TrySetResult(e.Data is not null);
            }
        }

        void OnError(object sender, DataReceivedEventArgs e)
        {
            if (e.Data is null)
            {
                _ = errorsEnded.TrySetResult();
            }
            else
            {
                lock (errors)
                {
                    errors.Enqueue(e.Data);
                    if (errors.Count > 5)
                    {
                        _ = errors.Dequeue();
                    }
                }
            }
        }

        Process p = Spawn(openbox, ["--sm-disable", "--startup", "echo " + OpenboxRunning], onOutput: OnOutput, onError: OnError);
        p.EnableRaisingEvents = true;
        p.Exited += (_, _) => running.TrySetResult(false);
        if (p.HasExited)
        {
            _ = running.TrySetResult(false);
        }

        if (!running.Task.Wait(Options.StartTimeout))
        {
            throw new InvalidOperationException($"openbox did not start on {DisplayName}: its --startup command did not run within {Seconds(Options.StartTimeout)} s.");
        }

        if (!running.Task.Result || p.HasExited)
        {
            // Its last stderr lines (the reason) may still be on their way when the exit is seen: wait for the end of
            // stderr, bounded (a child of openbox could hold it open).
            _ = p.WaitForExit(5000);
            _ = errorsEnded.Task.Wait(TimeSpan.FromSeconds(2));
            string code = p.HasExited ? " with code " + p.ExitCode.ToString(CultureInfo.InvariantCulture) : string.Empty;
            string stderr;
            lock (errors)
            {
                stderr = errors.Count == 0 ? string.Empty : ": " + string.Join(" | ", errors);
            }

            throw new InvalidOperationException($"openbox did not start on {DisplayName}: it exited{code} first{stderr}.");
        }

        HasWindowManager = true;
    }

    /// <summary>How <see cref="WaitForRootProperties"/> ended.</summary>
    internal enum RootWait
    {
        /// <summary>The condition held.</summary>
        Met,

        /// <summary>The timeout passed first.</summary>
        TimedOut,

        /// <summary>The process that had to keep running exited first.</summary>
        ProcessExited,
    }

    /// <summary>
    /// Waits until <paramref name="condition"/> (which reads root-window properties on <paramref name="x"/>) holds, by
    /// blocking on X events: it selects PropertyNotify on the root, evaluates the condition, and when it does not hold
    /// blocks in <c>poll(2)</c> on the X connection (and on a process descriptor of <paramref name="mustRun"/>, so its
    /// exit ends the wait at once) until something arrives, then evaluates again. Selecting before the first read
    /// means a change after any read produces an event. <paramref name="x"/> must be a connection only this thread
    /// uses. Where pidfd_open is refused (kernel before 5.3, seccomp), only the timeout ends a wait for a process that
    /// exited.
    /// </summary>
    internal static RootWait WaitForRootProperties(X11Connection x, Func<bool> condition, TimeSpan timeout, Process? mustRun = null)
    {
        _ = Interop.Xlib.XSelectInput(x.Handle, x.Root, (nint)Interop.Xlib.PropertyChangeMask);
        int pidfd = -1;
        if (mustRun is not null)
        {
            pidfd = Interop.Libc.pidfd_open(mustRun.Id);
            if (pidfd < 0 && Marshal.GetLastPInvokeError() == Interop.Libc.ESRCH)
            {
                return condition() ? RootWait.Met : RootWait.ProcessExited;
            }
        }

        try
        {
            var clock = Stopwatch.StartNew();
            var fds = new Interop.Libc.PollFd[pidfd >= 0 ? 2 : 1];
            while (true)
            {
                if (condition())
                {
                    return RootWait.Met;
                }

                // Flushes the selection and reads whatever the server sent (without blocking); events read along with a
                // reply are queued too. Any event may be the change: drop them all and evaluate again.
                if (Interop.Xlib.XEventsQueued(x.Handle, QueuedAfterFlush) > 0)
                {
                    x.DrainEvents();
                    continue;
                }

                TimeSpan left = timeout - clock.Elapsed;
                if (left <= TimeSpan.Zero)
                {
                    return RootWait.TimedOut;
                }

                fds[0] = new Interop.Libc.PollFd { Fd = Interop.Xlib.XConnectionNumber(x.Handle), Events = Interop.Libc.POLLIN };
                if (pidfd >= 0)
                {
                    fds[1] = new Interop.Libc.PollFd { Fd = pidfd, Events = Interop.Libc.POLLIN };
                }

                int ms = (int)Math.Clamp(Math.Ceiling(left.TotalMilliseconds), 1, int.MaxValue);
                if (Interop.Libc.poll(ref fds[0], (nuint)fds.Length, ms) < 0 && Marshal.GetLastPInvokeError() is int errno && errno != Interop.Libc.EINTR)
                {
                    throw new Win32Exception(errno, "poll(2) on the X connection failed");
                }

                if (pidfd >= 0 && fds[1].REvents != 0)
                {
                    return condition() ? RootWait.Met : RootWait.ProcessExited;
                }

                if ((fds[0].REvents & (Interop.Libc.POLLHUP | Interop.Libc.POLLERR)) != 0)
                {
                    throw new InvalidOperationException($"The X connection to {x.Name} closed (did Xvfb exit?).");
                }
            }
        }
        finally
        {
            if (pidfd >= 0)
            {
                _ = Interop.Libc.close(pidfd);
            }
        }
    }

    private static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture);

    private static bool CanConnect(string name)
    {
        using X11Connection? x = X11Connection.TryOpen(name);
        return x is not null;
    }

    /// <summary>
    /// Gives a process this desktop's <see cref="Environment"/>, without the caller's <c>WAYLAND_DISPLAY</c>: GTK and Qt
    /// apps would open on that Wayland session instead, and the AT-SPI launcher would not publish its bus on the root.
    /// </summary>
    private void SetEnvironment(ProcessStartInfo psi)
    {
        foreach ((string key, string value) in _environment)
        {
            psi.Environment[key] = value;
        }

        _ = psi.Environment.Remove(WaylandDisplay);
    }

    /// <summary>Starts a process of this desktop. Its stderr is always read (to <paramref name="onError"/> or nowhere);
    /// its stdout too (to <paramref name="onOutput"/> or nowhere) unless <paramref name="captureOutput"/> leaves it to
    /// the caller.</summary>
    private Process Spawn(string file, string[] args, bool captureOutput = false, DataReceivedEventHandler? onOutput = null,
        DataReceivedEventHandler? onError = null)
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

        SetEnvironment(psi);
        Process p = Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {file}.");
        _processes.Add(p);
        p.StandardInput.Close();
        p.ErrorDataReceived += onError ?? (static (_, _) => { });
        p.BeginErrorReadLine();
        if (!captureOutput)
        {
            p.OutputDataReceived += onOutput ?? (static (_, _) => { });
            p.BeginOutputReadLine();
        }

        return p;
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
