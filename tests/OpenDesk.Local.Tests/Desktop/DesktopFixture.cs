using System.Diagnostics;
using System.Globalization;
using System.Text;
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

    /// <summary>Skips the calling test when the desktop cannot run here.</summary>
    public static void RequireDesktop() => Assert.SkipWhen(SkipReason is not null, SkipReason ?? string.Empty);
}

/// <summary>Processes a test class starts on the desktop; killed by PID (with their descendants) on dispose.</summary>
public sealed class TestApps(DesktopFixture desktop) : IAsyncDisposable
{
    private readonly List<Process> _processes = [];
    private readonly Dictionary<int, StringBuilder> _outputs = [];

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
        return (p, w);
    }

    public ValueTask DisposeAsync()
    {
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
        return ValueTask.CompletedTask;
    }
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
