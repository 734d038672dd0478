using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace OpenDesk.Testing.Desktop;

/// <summary>
/// A real X desktop for tests that cannot reference OpenDesk.Local (e.g. integration tests that start the
/// <c>opendesk</c> executable): a private Xvfb (default 1920x1080x24) + openbox + a private D-Bus session bus with the
/// AT-SPI bus launcher. Use it as an xunit fixture (<see cref="IAsyncLifetime"/>). Every readiness wait blocks on the
/// event itself, with a timeout and a clear error: Xvfb's <c>-displayfd</c> line, dbus-daemon's address line, and X
/// property events on its own X connection (<see cref="XEventWaiter"/>) for the a11y bus (<c>AT_SPI_BUS</c> on the
/// root) and for windows (<c>_NET_CLIENT_LIST</c> and titles), and a line openbox's <c>--startup</c> command prints
/// once openbox is about to enter its main loop.
/// Every process it starts, every app started through <see cref="StartApp"/>, their descendants and the services
/// D-Bus activated for it are killed on dispose, which then waits for their exit on process descriptors (pidfd).
/// </summary>
public class XvfbDesktop : IAsyncLifetime
{
    private const string OpenboxRunning = "opendesk-openbox-running";
    private static readonly TimeSpan s_disposeTimeout = TimeSpan.FromSeconds(5);
    private readonly List<Process> _processes = [];
    private readonly Dictionary<string, string> _environment = new(StringComparer.Ordinal);

    /// <summary>Screen width (default 1920).</summary>
    public int Width { get; init; } = 1920;

    /// <summary>Screen height (default 1080).</summary>
    public int Height { get; init; } = 1080;

    /// <summary>How long to wait for each part (default 15 s).</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>The display name, e.g. <c>:94</c>.</summary>
    public string DisplayName { get; private set; } = string.Empty;

    /// <summary>The private session bus address (null when dbus-daemon is missing).</summary>
    public string? DBusSessionAddress { get; private set; }

    /// <summary><c>DISPLAY</c> and <c>DBUS_SESSION_BUS_ADDRESS</c> for processes that should use this desktop.</summary>
    public IReadOnlyDictionary<string, string> Environment => _environment;

    /// <summary>Why the desktop cannot run here (not Linux, Xvfb missing), or null.</summary>
    public static string? SkipReason => !OperatingSystem.IsLinux() ? "The X11 desktop needs Linux (Xvfb)."
        : Which("Xvfb") is null ? "Xvfb is not installed (apt-get install -y --no-install-recommends xvfb openbox)." : null;

    /// <inheritdoc />
    public virtual async ValueTask InitializeAsync()
    {
        if (SkipReason is not null)
        {
            return;
        }

        // -displayfd: Xvfb binds the first free display number itself and writes it once it accepts clients. Picking the
        // number here from lock files raced with other desktops starting at the same moment (two tests on one display).
        Process xvfb = Spawn("Xvfb", "-displayfd", "1", "-screen", "0", $"{Width}x{Height}x24", "-nolisten", "tcp", "-noreset");
        string? line = null;
        try
        {
            line = await xvfb.StandardOutput.ReadLineAsync().WaitAsync(StartTimeout);
        }
        catch (TimeoutException)
        {
        }

        if (!int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out int number) || HasExited(xvfb))
        {
            Kill(xvfb);
            throw new InvalidOperationException("Xvfb did not start (no free display number, or no answer within " + StartTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture) + " s).");
        }

        DisplayName = ":" + number.ToString(CultureInfo.InvariantCulture);
        _environment["DISPLAY"] = DisplayName;

        Process? launcher = null;
        if (Which("dbus-daemon") is not null)
        {
            Process bus = Spawn("dbus-daemon", "--session", "--nofork", "--print-address=1", "--nopidfile");
            string? address = await ReadLineAsync(bus, "dbus-daemon");
            if (!string.IsNullOrWhiteSpace(address))
            {
                DBusSessionAddress = address.Trim();
                _environment["DBUS_SESSION_BUS_ADDRESS"] = DBusSessionAddress;
                if (File.Exists("/usr/libexec/at-spi-bus-launcher"))
                {
                    // It owns org.a11y.Bus on the session bus, then (with --launch-immediately) starts the a11y bus and
                    // sets its address as AT_SPI_BUS on the root window, where libatspi looks first. It skips that
                    // property when WAYLAND_DISPLAY is set, so a Wayland session around the tests must not leak in.
                    launcher = Spawn(Info("/usr/libexec/at-spi-bus-launcher", ["--launch-immediately"], without: "WAYLAND_DISPLAY"));
                }
            }
        }

        // openbox runs its --startup command right before it enters its main loop; the command prints a marker on
        // openbox's stdout, which is our pipe. Its _NET_SUPPORTING_WM_CHECK (what wmctrl -m reads) is set ~100 ms
        // earlier, at the start of its set-up: a client that configures a window in between (an xterm does at once)
        // has that request read during the set-up and left unhandled until the next event reaches openbox, so Xt
        // waits its 5 s wmTimeout before the window is mapped (seen with strace: openbox read the ConfigureRequest
        // during set-up, then idled in poll). In shell trials here an xterm started on the WM check stalled 5 s in 6
        // of 12 starts; started on the marker, in 0 of 12.
        Process? wm = Which("openbox") is not null ? Spawn("openbox", "--sm-disable", "--startup", "echo " + OpenboxRunning) : null;
        Task? services = launcher is null ? null
            : Task.Factory.StartNew(() => WaitForA11yBus(launcher), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try
        {
            if (wm is not null)
            {
                await WaitForOpenboxAsync(wm);
            }

            if (services is not null)
            {
                await services;
            }
        }
        catch
        {
            // Leave nothing running behind a failed start (a fixture whose InitializeAsync throws may not be disposed).
            // Killing Xvfb also ends a still-running a11y wait (its X connection breaks); its error is not the cause.
            try
            {
                Stop();
            }
            catch (InvalidOperationException)
            {
            }

            _ = services?.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            throw;
        }
    }

    /// <summary>Starts an app on this desktop; it is killed (by PID, with its descendants) on dispose.</summary>
    /// <param name="file">The program.</param>
    /// <param name="args">Its arguments.</param>
    public Process StartApp(string file, params string[] args) => Spawn(file, args);

    /// <summary>
    /// Waits until the window manager lists (in <c>_NET_CLIENT_LIST</c>, what <c>wmctrl -l</c> shows) a window whose
    /// title contains <paramref name="title"/>; returns its id as <c>wmctrl</c> prints it (<c>0x</c> + 8 hex digits).
    /// Blocks on X events (the client list and the titles changing), not on a timer.
    /// </summary>
    /// <param name="title">Part of the title.</param>
    /// <param name="timeout">The longest wait (default <see cref="StartTimeout"/>).</param>
    /// <exception cref="TimeoutException">No such window appeared in time; the message lists the titles there were.</exception>
    public Task<string> WaitForWindowAsync(string title, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(title);
        if (DisplayName.Length == 0)
        {
            throw new InvalidOperationException("The desktop is not started (call InitializeAsync first).");
        }

        TimeSpan limit = timeout ?? StartTimeout;
        return Task.Factory.StartNew(() =>
        {
            using XEventWaiter x = XEventWaiter.Open(DisplayName);
            uint found = x.WaitForClientWindow((_, t) => t.Contains(title, StringComparison.Ordinal), limit, out string titles);
            return found != 0
                ? XEventWaiter.Hex(found)
                : throw new TimeoutException($"No window titled '{title}' appeared on {DisplayName} within {Seconds(limit)} s (windows: {titles}).");
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>Runs a helper (e.g. <c>xdotool</c>) against this desktop and returns its stdout.</summary>
    /// <param name="file">The program.</param>
    /// <param name="args">Its arguments.</param>
    public async Task<string> RunAsync(string file, params string[] args)
    {
        using Process p = Process.Start(Info(file, args))!;
        p.StandardInput.Close();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        string stdout = await p.StandardOutput.ReadToEndAsync();
        _ = await stderr;
        await p.WaitForExitAsync();
        return stdout;
    }

    /// <inheritdoc />
    public virtual ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        Stop();
        return ValueTask.CompletedTask;
    }

    /// <summary>Kills everything of this desktop and waits for the exits.</summary>
    /// <exception cref="InvalidOperationException">Some process was still running 5 s after SIGKILL.</exception>
    private void Stop()
    {
        var pids = _processes.Where(p => !HasExited(p)).Select(p => p.Id).ToList();
        var all = new List<int>(pids);
        all.AddRange(Descendants(pids));
        if (DBusSessionAddress is not null)
        {
            all.AddRange(WithEnvironment("DBUS_SESSION_BUS_ADDRESS=" + DBusSessionAddress));
        }

        // Services D-Bus activated for this desktop (e.g. at-spi2-registryd) are reparented to init but carry its DISPLAY.
        if (DisplayName.Length > 0)
        {
            all.AddRange(WithEnvironment("DISPLAY=" + DisplayName).Where(pid => ParentOf(pid) is 1 || all.Contains(pid)));
        }

        List<int> targets = [.. all.Distinct().Reverse()];
        List<int> survivors = ProcessDescriptor.IsSupported ? KillAndWait(targets, s_disposeTimeout) : KillAndWaitWithoutPidfd(targets, s_disposeTimeout);

        foreach (Process p in _processes)
        {
            try
            {
                // Our own children: .NET reaps them, so this is an exit event too (they are dead by now; it returns at once).
                p.WaitForExit(5000);
            }
            catch (InvalidOperationException)
            {
            }

            p.Dispose();
        }

        _processes.Clear();
        if (survivors.Count > 0)
        {
            throw new InvalidOperationException($"Processes of the desktop {DisplayName} were still running {Seconds(s_disposeTimeout)} s after SIGKILL: {string.Join(", ", survivors.Select(Describe))}.");
        }
    }

    /// <summary>Opens a process descriptor for each pid first (so a signal can never reach a process that reused the
    /// pid), sends SIGKILL through it, then blocks in poll(2) until every descriptor reports the exit.</summary>
    private static List<int> KillAndWait(List<int> pids, TimeSpan timeout)
    {
        var processes = new List<ProcessDescriptor>();
        try
        {
            foreach (int pid in pids)
            {
                ProcessDescriptor? d = ProcessDescriptor.Open(pid);
                if (d is not null)
                {
                    processes.Add(d);
                    d.Kill();
                }
            }

            return [.. ProcessDescriptor.WaitForExit(processes, timeout).Select(d => d.Pid)];
        }
        finally
        {
            foreach (ProcessDescriptor d in processes)
            {
                d.Dispose();
            }
        }
    }

    /// <summary>
    /// Only for kernels before 5.3 or sandboxes that refuse pidfd_open: Linux then offers no exit event for a process
    /// that is not our child (waitpid needs a child; D-Bus-activated services are reparented to init, which here does
    /// not reap, so they stay zombies and Process.WaitForExit never returns). This fallback re-reads /proc/pid/stat
    /// until each process is a zombie or gone, bounded by the timeout. It is not used where pidfd_open works.
    /// </summary>
    private static List<int> KillAndWaitWithoutPidfd(List<int> pids, TimeSpan timeout)
    {
        foreach (int pid in pids)
        {
            try
            {
                using Process p = Process.GetProcessById(pid);
                p.Kill();
            }
            catch (ArgumentException)
            {
            }
            catch (InvalidOperationException)
            {
            }
        }

        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout && pids.Any(IsRunning))
        {
            Thread.Sleep(20);
        }

        return [.. pids.Where(IsRunning)];
    }

    /// <summary>Waits for the AT_SPI_BUS property on the root window (X events, on this thread), or the launcher's exit.</summary>
    private void WaitForA11yBus(Process launcher)
    {
        using XEventWaiter x = XEventWaiter.Open(DisplayName);
        WaitFor(x, launcher, "the AT-SPI bus launcher to publish the a11y bus (AT_SPI_BUS on the root window)", () =>
            x.GetText(x.Root, "AT_SPI_BUS")?.Contains("unix:", StringComparison.Ordinal) == true);
    }

    /// <summary>Reads openbox's stdout until its --startup command's marker line: it enters its main loop next.</summary>
    private async Task WaitForOpenboxAsync(Process openbox)
    {
        using var timeout = new CancellationTokenSource(StartTimeout);
        try
        {
            while (await openbox.StandardOutput.ReadLineAsync(timeout.Token) is string line)
            {
                if (line == OpenboxRunning)
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            throw new TimeoutException($"Waiting for openbox to start on {DisplayName}: not done within {Seconds(StartTimeout)} s.");
        }

        // End of its stdout: openbox exited.
        _ = openbox.WaitForExit(5000);
        throw new InvalidOperationException($"Waiting for openbox to start on {DisplayName}: it exited{(HasExited(openbox) ? " with code " + openbox.ExitCode.ToString(CultureInfo.InvariantCulture) : string.Empty)} first.");
    }

    private void WaitFor(XEventWaiter x, Process process, string what, Func<bool> condition)
    {
        // The process's descriptor is polled with the X connection, so its exit ends the wait at once. Without pidfd
        // support only the timeout ends a wait for a condition that will never hold.
        using ProcessDescriptor? d = ProcessDescriptor.IsSupported ? ProcessDescriptor.Open(process.Id) : null;
        XEventWaiter.Outcome outcome = ProcessDescriptor.IsSupported && d is null
            ? (condition() ? XEventWaiter.Outcome.Met : XEventWaiter.Outcome.ProcessExited) // gone already (ESRCH)
            : x.WaitUntil(condition, StartTimeout, d is null ? [] : [d], out _);
        switch (outcome)
        {
            case XEventWaiter.Outcome.Met:
                return;
            case XEventWaiter.Outcome.ProcessExited:
                _ = process.WaitForExit(5000);
                throw new InvalidOperationException($"Waiting for {what} on {DisplayName}: {process.StartInfo.FileName} exited{(HasExited(process) ? " with code " + process.ExitCode.ToString(CultureInfo.InvariantCulture) : string.Empty)} first.");
            default:
                throw new TimeoutException($"Waiting for {what} on {DisplayName}: not done within {Seconds(StartTimeout)} s.");
        }
    }

    private Process Spawn(string file, params string[] args) => Spawn(Info(file, args));

    private Process Spawn(ProcessStartInfo info)
    {
        Process p = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {info.FileName}.");
        _processes.Add(p);
        p.StandardInput.Close();
        p.ErrorDataReceived += static (_, _) => { };
        p.BeginErrorReadLine();
        return p;
    }

    private ProcessStartInfo Info(string file, string[] args, string? without = null)
    {
        var psi = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        foreach ((string k, string v) in _environment)
        {
            psi.Environment[k] = v;
        }

        if (without is not null)
        {
            _ = psi.Environment.Remove(without);
        }

        return psi;
    }

    private async Task<string?> ReadLineAsync(Process p, string what)
    {
        try
        {
            return await p.StandardOutput.ReadLineAsync().WaitAsync(StartTimeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{what} printed no address within {Seconds(StartTimeout)} s.");
        }
    }

    private static string Seconds(TimeSpan t) => t.TotalSeconds.ToString(CultureInfo.InvariantCulture);

    private static string Describe(int pid)
    {
        try
        {
            return $"{pid} ({File.ReadAllText($"/proc/{pid}/comm").Trim()})";
        }
        catch (IOException)
        {
            return pid.ToString(CultureInfo.InvariantCulture);
        }
    }

    private static bool HasExited(Process p)
    {
        try
        {
            return p.HasExited;
        }
        catch (InvalidOperationException)
        {
            return true;
        }
    }

    private static void Kill(Process p)
    {
        try
        {
            p.Kill();
            p.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
        }
    }

    private static int? ParentOf(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[stat.LastIndexOf(')') + 2] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static List<int> Descendants(List<int> roots)
    {
        var parents = new Dictionary<int, int>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
            {
                try
                {
                    string stat = File.ReadAllText(Path.Combine(dir, "stat"));
                    string[] rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                    parents[pid] = int.Parse(rest[1], CultureInfo.InvariantCulture);
                }
                catch (IOException)
                {
                }
            }
        }

        var result = new List<int>();
        var stack = new Stack<int>(roots);
        while (stack.Count > 0)
        {
            int parent = stack.Pop();
            foreach ((int pid, int ppid) in parents)
            {
                if (ppid == parent)
                {
                    result.Add(pid);
                    stack.Push(pid);
                }
            }
        }

        return result;
    }

    private static List<int> WithEnvironment(string entry)
    {
        byte[] needle = Encoding.UTF8.GetBytes(entry);
        var result = new List<int>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid) && pid != System.Environment.ProcessId)
            {
                try
                {
                    byte[] env = File.ReadAllBytes(Path.Combine(dir, "environ"));
                    foreach (Range r in env.AsSpan().Split((byte)0))
                    {
                        if (env.AsSpan(r).SequenceEqual(needle))
                        {
                            result.Add(pid);
                            break;
                        }
                    }
                }
                catch (IOException)
                {
                }
                catch (UnauthorizedAccessException)
                {
                }
            }
        }

        return result;
    }

    private static string? Which(string name)
    {
        foreach (string dir in (System.Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':'))
        {
            string path = Path.Combine(dir, name);
            if (File.Exists(path))
            {
                return path;
            }
        }

        return null;
    }
}
