using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using OpenDesk.Core;

// The desktop tests are skipped (with a reason) on other OSes; platform checks happen in DesktopFixture.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
[assembly: AssemblyFixture(typeof(OpenDesk.Local.Tests.Desktop.DesktopFixture))]

// One shared X desktop: tests drive the pointer, keyboard focus and clipboard, so they must not run in parallel.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace OpenDesk.Local.Tests.Desktop;

/// <summary>
/// One real desktop for the whole test run: a private Xvfb 1920x1080x24 + openbox + a private D-Bus session with the
/// AT-SPI bus (through <see cref="VirtualDisplay"/>), pointed to by the native environment of this process (libatspi
/// binds to one bus per process), and a <see cref="LocalComputer"/> on it. Everything is stopped by PID at the end.
/// </summary>
public sealed class DesktopFixture : IAsyncLifetime
{
    private VirtualDisplay? _display;
    private LocalComputer? _computer;

    public VirtualDisplay Display => _display ?? throw new InvalidOperationException(SkipReason ?? "not started");

    public LocalComputer Computer => _computer ?? throw new InvalidOperationException(SkipReason ?? "not started");

    /// <summary>Why desktop tests cannot run here, or null on Linux.</summary>
    public static string? SkipReason => OperatingSystem.IsLinux() ? null : "The X11 desktop tests need Linux (Xvfb).";

    public ValueTask InitializeAsync()
    {
        if (!OperatingSystem.IsLinux())
        {
            return ValueTask.CompletedTask;
        }

        _display = VirtualDisplay.Start(new VirtualDisplayOptions { Width = 1920, Height = 1080, Depth = 24 });
        _display.ApplyToCurrentProcess();
        _computer = LocalComputer.Create(new LocalComputerOptions { DisplayName = _display.DisplayName, UseVirtualDisplay = false });
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        if (_computer is not null)
        {
            await _computer.DisposeAsync();
        }

        if (OperatingSystem.IsLinux())
        {
            _display?.Dispose();
        }
    }

    /// <summary>The environment that points a command at this desktop's display.</summary>
    public Dictionary<string, string> DisplayEnv() => new() { ["DISPLAY"] = Display.DisplayName };

    /// <summary>Skips the calling test when the desktop cannot run here.</summary>
    public static void RequireDesktop() => Assert.SkipWhen(SkipReason is not null, SkipReason ?? string.Empty);
}

/// <summary>
/// Processes a test class starts on the desktop; killed by PID (with their descendants) on dispose, which then waits
/// until the window manager has let go of their windows.
/// </summary>
/// <remarks>
/// Why the wait: the X server gives a new client the resource-ID range of the last client that disconnected, so an
/// app started right after one was killed gets the same window IDs. The window manager unmanages the dead window
/// asynchronously (openbox moves and resizes it to its old geometry, reparents it to the root, sends a synthetic
/// ConfigureNotify and erases properties, by ID). When it is behind, for instance still handling the MappingNotify
/// of a keymap change, all of that lands on the new app's window while it starts: an xterm then settled on a size of
/// 1x1 characters, and its bash (readline at one column) died of SIGFPE on the first cursor movement. openbox updates
/// <c>_NET_CLIENT_LIST</c> last when it unmanages a window, so once the IDs have left that list, nothing more comes.
/// </remarks>
public sealed partial class TestApps(DesktopFixture desktop) : IAsyncDisposable
{
    private readonly List<Process> _processes = [];
    private readonly Dictionary<int, StringBuilder> _outputs = [];
    private readonly HashSet<nuint> _windows = [];

    public Process Start(string file, params string[] args)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException();
        }

        var psi = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        foreach ((string key, string value) in desktop.Display.Environment)
        {
            psi.Environment[key] = value;
        }

        Process p = Process.Start(psi)!;
        var stdout = new StringBuilder();
        _outputs[p.Id] = stdout;
        p.StandardInput.Close();
        p.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (stdout)
                {
                    stdout.AppendLine(e.Data);
                }
            }
        };
        p.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (stdout)
                {
                    stdout.AppendLine("stderr: " + e.Data);
                }
            }
        };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        _processes.Add(p);
        return p;
    }

    /// <summary>Everything every process wrote (for failure diagnostics).</summary>
    public string AllOutput()
    {
        var all = new StringBuilder();
        foreach (Process p in _processes)
        {
            all.Append(CultureInfo.InvariantCulture, $"[{p.Id} {(p.HasExited ? "exited " + p.ExitCode : "running")}] ").AppendLine(Output(p));
        }

        return all.ToString();
    }

    /// <summary>What the process wrote to stdout (and stderr, prefixed) so far.</summary>
    public string Output(Process p)
    {
        StringBuilder sb = _outputs[p.Id];
        lock (sb)
        {
            return sb.ToString();
        }
    }

    /// <summary>Starts a program and waits for its top-level window (by PID) to be listed.</summary>
    public async Task<(Process Process, Window Window)> StartWithWindowAsync(string file, params string[] args)
    {
        Process p = Start(file, args);
        Window w = await Wait.ForAsync(async () =>
        {
            var list = await desktop.Computer.Windows.ListAsync(Wait.Token);
            return list.FirstOrDefault(x => x.Pid == p.Id && x.Bounds is { Width: > 1 });
        }, $"a window of {file} (pid {p.Id})");
        _windows.Add(nuint.Parse(w.Id, CultureInfo.InvariantCulture));
        return (p, w);
    }

    public async ValueTask DisposeAsync()
    {
        // The windows to wait for (see the remarks): those it was told about, and any other of its processes' windows.
        var pids = _processes.Where(p => !p.HasExited).Select(p => p.Id).ToHashSet();
        if (pids.Count > 0)
        {
            foreach (Window w in await desktop.Computer.Windows.ListAsync(Wait.Token))
            {
                if (w.Pid is int pid && pids.Contains(pid))
                {
                    _windows.Add(nuint.Parse(w.Id, CultureInfo.InvariantCulture));
                }
            }
        }

        foreach (Process p in _processes)
        {
            try
            {
                if (!p.HasExited)
                {
                    p.Kill(entireProcessTree: true);
                    p.WaitForExit(5000);
                }
            }
            catch (InvalidOperationException)
            {
            }

            p.Dispose();
        }

        _processes.Clear();
        if (_windows.Count > 0)
        {
            await Wait.UntilAsync(async () => !(await ClientListAsync()).Overlaps(_windows), "the window manager to unmanage the windows of the killed apps");
            _windows.Clear();
        }
    }

    /// <summary>The window manager's <c>_NET_CLIENT_LIST</c> as it is, destroyed windows included (read by <c>xprop</c>).</summary>
    public async Task<HashSet<nuint>> ClientListAsync()
    {
        CompletedCommand r = await desktop.Computer.Processes.ExecAsync(
            new ExecCommand(["xprop", "-root", "-notype", "_NET_CLIENT_LIST"], Environment: desktop.DisplayEnv()), Wait.Token);
        string text = Encoding.UTF8.GetString(r.Stdout);
        if (r.ReturnCode != 0 || !text.StartsWith("_NET_CLIENT_LIST", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"xprop could not read _NET_CLIENT_LIST (exit {r.ReturnCode}): {text}{Encoding.UTF8.GetString(r.Stderr)}");
        }

        return HexIds().Matches(text).Select(m => nuint.Parse(m.Groups[1].ValueSpan, NumberStyles.HexNumber, CultureInfo.InvariantCulture)).ToHashSet();
    }

    [GeneratedRegex("0x([0-9a-fA-F]+)")]
    private static partial Regex HexIds();
}

/// <summary>Waits on conditions by polling with a timeout (never a fixed sleep).</summary>
public static class Wait
{
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(15);

    public static CancellationToken Token => new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token;

    public static async Task<T> ForAsync<T>(Func<Task<T?>> probe, string what, TimeSpan? timeout = null)
        where T : class
    {
        var sw = Stopwatch.StartNew();
        TimeSpan limit = timeout ?? Default;
        while (true)
        {
            T? value = await probe();
            if (value is not null)
            {
                return value;
            }

            if (sw.Elapsed > limit)
            {
                throw new TimeoutException($"Timed out after {limit.TotalSeconds:0.#} s waiting for {what}.");
            }

            await Task.Delay(20);
        }
    }

    public static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
        => await ForAsync(async () => await condition() ? "ok" : null, what, timeout);

    public static Task UntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
        => UntilAsync(() => Task.FromResult(condition()), what, timeout);
}
