using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace OpenDesk.Testing.Desktop;

/// <summary>
/// A real X desktop for tests that cannot reference OpenDesk.Local (e.g. integration tests that start the
/// <c>opendesk</c> executable): a private Xvfb (default 1920x1080x24) + openbox + a private D-Bus session bus with the
/// AT-SPI bus launcher. Use it as an xunit fixture (<see cref="IAsyncLifetime"/>). Readiness is awaited by polling
/// conditions with timeouts (the X socket, <c>wmctrl -m</c>, the a11y bus address), never by fixed sleeps. Every
/// process it starts, and every app started through <see cref="StartApp"/>, is killed by PID on dispose.
/// </summary>
public class XvfbDesktop : IAsyncLifetime
{
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

        if (Which("dbus-daemon") is not null)
        {
            Process bus = Spawn("dbus-daemon", "--session", "--nofork", "--print-address=1", "--nopidfile");
            string? address = await bus.StandardOutput.ReadLineAsync().WaitAsync(StartTimeout);
            if (!string.IsNullOrWhiteSpace(address))
            {
                DBusSessionAddress = address.Trim();
                _environment["DBUS_SESSION_BUS_ADDRESS"] = DBusSessionAddress;
                if (File.Exists("/usr/libexec/at-spi-bus-launcher"))
                {
                    _ = Spawn("/usr/libexec/at-spi-bus-launcher", "--launch-immediately");
                    _ = await PollAsync(async () => (await RunAsync("dbus-send", "--session", "--print-reply", "--dest=org.a11y.Bus", "/org/a11y/bus", "org.a11y.Bus.GetAddress")).Contains("unix:", StringComparison.Ordinal));
                }
            }
        }

        if (Which("openbox") is not null)
        {
            _ = Spawn("openbox", "--sm-disable");
            if (Which("wmctrl") is not null)
            {
                _ = await PollAsync(async () => (await RunAsync("wmctrl", "-m")).Contains("Openbox", StringComparison.Ordinal));
            }
        }
    }

    /// <summary>Starts an app on this desktop; it is killed (by PID, with its descendants) on dispose.</summary>
    /// <param name="file">The program.</param>
    /// <param name="args">Its arguments.</param>
    public Process StartApp(string file, params string[] args) => Spawn(file, args);

    /// <summary>Waits until <c>wmctrl -l</c> lists a window whose title contains <paramref name="title"/>; returns its id (hex).</summary>
    /// <param name="title">Part of the title.</param>
    /// <param name="timeout">The longest wait (default 15 s).</param>
    public async Task<string> WaitForWindowAsync(string title, TimeSpan? timeout = null)
    {
        string? id = null;
        bool found = await PollAsync(async () =>
        {
            foreach (string line in (await RunAsync("wmctrl", "-l")).Split('\n'))
            {
                if (line.Contains(title, StringComparison.Ordinal))
                {
                    id = line.Split(' ', 2)[0];
                    return true;
                }
            }

            return false;
        }, timeout);
        return found && id is not null ? id : throw new TimeoutException($"No window titled '{title}' appeared on {DisplayName}.");
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

        foreach (int pid in all.Distinct().Reverse())
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

        foreach (Process p in _processes)
        {
            try
            {
                p.WaitForExit(5000);
            }
            catch (InvalidOperationException)
            {
            }

            p.Dispose();
        }

        _processes.Clear();
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(5) && all.Any(IsRunning))
        {
            Thread.Sleep(20);
        }

        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    private Process Spawn(string file, params string[] args)
    {
        Process p = Process.Start(Info(file, args)) ?? throw new InvalidOperationException($"Could not start {file}.");
        _processes.Add(p);
        p.StandardInput.Close();
        p.ErrorDataReceived += static (_, _) => { };
        p.BeginErrorReadLine();
        return p;
    }

    private ProcessStartInfo Info(string file, string[] args)
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

        return psi;
    }

    private async Task<bool> PollAsync(Func<Task<bool>> condition, TimeSpan? timeout = null)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < (timeout ?? StartTimeout))
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(20);
        }

        return await condition();
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
