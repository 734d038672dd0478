using System.Diagnostics;
using System.Threading.Channels;

namespace OpenDesk.Remote.Tests.Discovery.Netns;

/// <summary>A child process whose output lines are awaited with timeouts; killed by PID on dispose.</summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly List<string> _seen = [];
    private readonly List<string> _stderr = [];

    private ChildProcess(Process process) => _process = process;

    public int Pid => _process.Id;

    /// <summary>Every stdout line read so far, and the stderr lines (for failure messages).</summary>
    public string Transcript
    {
        get
        {
            lock (_seen)
            {
                return string.Join('\n', _seen) + "\n--- stderr ---\n" + string.Join('\n', _stderr);
            }
        }
    }

    public static ChildProcess Start(string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach ((string key, string value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        var process = new Process { StartInfo = info };
        var child = new ChildProcess(process);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                child._lines.Writer.TryComplete();
                return;
            }

            lock (child._seen)
            {
                child._seen.Add(e.Data);
            }

            child._lines.Writer.TryWrite(e.Data);
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (child._seen)
                {
                    child._stderr.Add(e.Data);
                }

                child._lines.Writer.TryWrite(e.Data); // waits see stderr too (avahi-publish reports there)
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Runs a command to completion; returns the exit code and stdout.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string fileName, IEnumerable<string> arguments, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment = null)
    {
        await using ChildProcess child = Start(fileName, arguments, environment);
        child._process.StandardInput.Close();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await child._process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{fileName} {string.Join(' ', arguments)} did not exit within {timeout}.\n{child.Transcript}");
        }

        lock (child._seen)
        {
            return (child._process.ExitCode, string.Join('\n', child._seen) + (child._stderr.Count > 0 ? "\n" + string.Join('\n', child._stderr) : ""));
        }
    }

    /// <summary>Waits for the next stdout or stderr line matching <paramref name="predicate"/> (earlier lines are consumed).</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> predicate, TimeSpan timeout, string what)
    {
        using var cts = new CancellationTokenSource(timeout);
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
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"Timed out after {timeout} waiting for {what}.\n{Transcript}");
        }

        throw new InvalidOperationException($"The process exited while waiting for {what}.\n{Transcript}");
    }

    public async Task WriteLineAsync(string line)
    {
        await _process.StandardInput.WriteLineAsync(line);
        await _process.StandardInput.FlushAsync();
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(); // by PID; `ip netns exec` and `exec` keep the PID of the real program
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await _process.WaitForExitAsync(cts.Token);
            }
        }
        catch (InvalidOperationException)
        {
        }
        catch (OperationCanceledException)
        {
        }

        _process.Dispose();
    }
}
