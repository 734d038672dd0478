using System.Diagnostics;
using System.Text;
using System.Threading.Channels;

namespace OpenDesk.Remote.Tests.Peering;

/// <summary>
/// The Python reference peer (../shared/interop/refpeer.py) as a child process. Located by walking up from the test
/// binaries (or OPENDESK_REFPEER); tests skip when it, python3 or the cryptography package is missing.
/// A started process is killed by its PID on dispose.
/// </summary>
internal sealed class RefPeer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly StringBuilder _all = new();

    private RefPeer(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                _lines.Writer.TryComplete();
                return;
            }

            lock (_all)
            {
                _all.AppendLine(e.Data);
            }

            _lines.Writer.TryWrite(e.Data);
        };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (_all)
                {
                    _all.AppendLine("stderr: " + e.Data);
                }
            }
        };
    }

    public string Output
    {
        get
        {
            lock (_all)
            {
                return _all.ToString();
            }
        }
    }

    /// <summary>The directory holding refpeer.py, or null.</summary>
    public static string? Directory { get; } = Locate();

    /// <summary>Skips the current test when the reference peer cannot run here.</summary>
    public static void SkipIfUnavailable()
    {
        if (Directory is null)
        {
            Assert.Skip("refpeer.py not found (set OPENDESK_REFPEER to ../shared/interop)");
        }

        if (!s_pythonReady.Value)
        {
            Assert.Skip("python3 with the 'cryptography' package is not available");
        }
    }

    private static readonly Lazy<bool> s_pythonReady = new(() =>
    {
        try
        {
            var (code, _, _) = RunAsync(["-c", "import cryptography"], TimeSpan.FromSeconds(30), raw: true).GetAwaiter().GetResult();
            return code == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    });

    /// <summary>Starts <c>refpeer.py</c> with arguments and reads its stdout line by line.</summary>
    public static RefPeer Start(params string[] args)
    {
        var process = new Process { StartInfo = Info(args, raw: false) };
        var peer = new RefPeer(process);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return peer;
    }

    /// <summary>Runs <c>refpeer.py</c> to completion.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string[] args, TimeSpan timeout, bool raw = false)
    {
        using var process = new Process { StartInfo = Info(args, raw) };
        process.Start();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"refpeer {string.Join(' ', args)} did not finish in {timeout}: {await stdout}{await stderr}");
        }

        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Waits for the first stdout line matching <paramref name="predicate"/>.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> predicate, TimeSpan timeout)
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
        }

        throw new TimeoutException("refpeer did not print the expected line; output so far:\n" + Output);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (InvalidOperationException)
        {
            // Never started or already reaped.
        }
        finally
        {
            _process.Dispose();
        }
    }

    private static ProcessStartInfo Info(string[] args, bool raw)
    {
        var info = new ProcessStartInfo("python3")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Directory ?? Environment.CurrentDirectory,
        };
        info.Environment["PYTHONUNBUFFERED"] = "1";
        if (!raw)
        {
            info.ArgumentList.Add("refpeer.py");
        }

        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return info;
    }

    private static string? Locate([System.Runtime.CompilerServices.CallerFilePath] string sourceFile = "")
    {
        string? fromEnv = Environment.GetEnvironmentVariable("OPENDESK_REFPEER");
        if (!string.IsNullOrEmpty(fromEnv) && File.Exists(Path.Combine(fromEnv, "refpeer.py")))
        {
            return fromEnv;
        }

        // The repository sits next to ../shared; the test binaries may live elsewhere (custom ArtifactsPath).
        foreach (string start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory, System.IO.Path.GetDirectoryName(sourceFile) ?? "" })
        {
            for (DirectoryInfo? dir = string.IsNullOrEmpty(start) ? null : new(start); dir is not null; dir = dir.Parent)
            {
                string candidate = System.IO.Path.Combine(dir.FullName, "shared", "interop");
                if (File.Exists(System.IO.Path.Combine(candidate, "refpeer.py")))
                {
                    return candidate;
                }
            }
        }

        return null;
    }
}

/// <summary>A temporary directory, deleted on dispose.</summary>
internal sealed class TempHome : IDisposable
{
    public string Path { get; } = System.IO.Directory.CreateTempSubdirectory("od-proto-").FullName;

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
