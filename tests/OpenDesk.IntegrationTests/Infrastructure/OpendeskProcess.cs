using System.Diagnostics;
using System.Text;
using System.Threading.Channels;

namespace OpenDesk.IntegrationTests.Infrastructure;

/// <summary>
/// A child process (the built <c>opendesk</c>, or any program) whose stdout lines can be awaited and which is killed
/// by PID on dispose. Only processes started here are ever killed.
/// </summary>
internal sealed class OpendeskProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();

    private OpendeskProcess(Process process)
    {
        _process = process;
    }

    /// <summary>opendesk.dll next to the tests (copied by the project reference to OpenDesk.Serve).</summary>
    public static string OpendeskDll => Path.Combine(AppContext.BaseDirectory, "opendesk.dll");

    /// <summary>The hidden switch that makes <c>opendesk serve</c>/<c>pair</c> serve a FakeComputer (no desktop needed).</summary>
    public static string FakeComputerSwitch => Path.Combine(AppContext.BaseDirectory, "OpenDesk.Testing.dll") + "!OpenDesk.Testing.FakeComputer";

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public string StandardOutput
    {
        get
        {
            lock (_stdout)
            {
                return _stdout.ToString();
            }
        }
    }

    public string StandardError
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>Starts <c>dotnet opendesk.dll ARGS</c> with the FakeComputer switch set.</summary>
    public static OpendeskProcess StartOpendesk(params string[] args)
        => Start("dotnet", [OpendeskDll, .. args], new Dictionary<string, string?> { ["OPENDESK_TEST_COMPUTER"] = FakeComputerSwitch });

    /// <summary>Starts any program with redirected stdio.</summary>
    public static OpendeskProcess Start(string program, IEnumerable<string> args, IReadOnlyDictionary<string, string?>? environment = null, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            WorkingDirectory = workingDirectory ?? AppContext.BaseDirectory,
        };
        foreach (string a in args)
        {
            info.ArgumentList.Add(a);
        }

        info.Environment.Remove("OPENDESK_HOME");
        foreach (KeyValuePair<string, string?> kv in environment ?? new Dictionary<string, string?>())
        {
            info.Environment[kv.Key] = kv.Value;
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var host = new OpendeskProcess(process);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                host._lines.Writer.TryComplete();
                return;
            }

            lock (host._stdout)
            {
                host._stdout.AppendLine(e.Data);
            }

            host._lines.Writer.TryWrite(e.Data);
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (host._stderr)
                {
                    host._stderr.AppendLine(e.Data);
                }
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return host;
    }

    /// <summary>Runs <c>opendesk ARGS</c> to completion (FakeComputer switch set) and returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output, string Error)> RunOpendeskAsync(TimeSpan timeout, params string[] args)
    {
        await using OpendeskProcess p = StartOpendesk(args);
        int code = await p.WaitForExitAsync(timeout);
        return (code, p.StandardOutput, p.StandardError);
    }

    /// <summary>Waits for a stdout line matching <paramref name="match"/>.</summary>
    /// <exception cref="TimeoutException">No such line in time, or the process ended first (the message carries its output).</exception>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (await _lines.Reader.WaitToReadAsync(cts.Token))
            {
                while (_lines.Reader.TryRead(out string? line))
                {
                    if (match(line))
                    {
                        return line;
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }

        throw new TimeoutException($"no matching line from PID {Pid} (exited: {_process.HasExited}).\nstdout:\n{StandardOutput}\nstderr:\n{StandardError}");
    }

    /// <summary>Waits for the process to exit; kills it and throws on timeout.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            Kill();
            throw new TimeoutException($"PID {Pid} did not exit within {timeout}.\nstdout:\n{StandardOutput}\nstderr:\n{StandardError}");
        }

        _process.WaitForExit(); // flush the redirected streams
        return _process.ExitCode;
    }

    /// <summary>SIGKILL by PID (this process only).</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: false);
            }
        }
        catch (InvalidOperationException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
        }

        _process.Dispose();
    }
}
