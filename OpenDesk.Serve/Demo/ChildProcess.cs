using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace OpenDesk.Serve.Demo;

/// <summary>
/// A process this program started and owns: output lines are collected (and can be waited for), and it is stopped by
/// its PID (SIGTERM, then SIGKILL) on dispose. Shared with the evals (linked source), so it uses only the BCL.
/// </summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly SemaphoreSlim _lineArrived = new(0);
    private readonly bool _streamsOwned;
    private int _disposed;

    private ChildProcess(Process process, string name, bool streamsOwned)
    {
        _process = process;
        Name = name;
        _streamsOwned = streamsOwned;
    }

    /// <summary>A short name for messages.</summary>
    public string Name { get; }

    /// <summary>The process id.</summary>
    public int Pid => _process.Id;

    /// <summary>The started process (its stdin/stdout when <c>rawStdio</c> was asked).</summary>
    public Process Process => _process;

    /// <summary>True when it has exited.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>Every stdout and stderr line so far, in arrival order.</summary>
    public IReadOnlyList<string> Lines => [.. _lines];

    /// <summary>Starts a program.</summary>
    /// <param name="name">Short name for messages.</param>
    /// <param name="file">The program.</param>
    /// <param name="arguments">Its arguments.</param>
    /// <param name="environment">Variables to set (null values remove a variable).</param>
    /// <param name="rawStdio">Keep stdin/stdout as raw streams for the caller (e.g. an MCP stdio transport); only stderr is collected.</param>
    public static ChildProcess Start(
        string name, string file, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment = null, bool rawStdio = false)
    {
        var psi = new ProcessStartInfo(file)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string a in arguments)
        {
            psi.ArgumentList.Add(a);
        }

        if (environment is not null)
        {
            foreach ((string key, string? value) in environment)
            {
                if (value is null)
                {
                    psi.Environment.Remove(key);
                }
                else
                {
                    psi.Environment[key] = value;
                }
            }
        }

        Process p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
        var child = new ChildProcess(p, name, rawStdio);
        p.ErrorDataReceived += (_, e) => child.Add(e.Data);
        p.BeginErrorReadLine();
        if (!rawStdio)
        {
            p.OutputDataReceived += (_, e) => child.Add(e.Data);
            p.BeginOutputReadLine();
        }

        return child;
    }

    private void Add(string? line)
    {
        if (line is null)
        {
            _lineArrived.Release();
            return;
        }

        _lines.Enqueue(line);
        _lineArrived.Release();
    }

    /// <summary>Waits until a collected line matches, the process exits or the timeout passes.</summary>
    /// <returns>The first matching line.</returns>
    /// <exception cref="TimeoutException">No line matched in time, or the process exited first.</exception>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            foreach (string line in _lines)
            {
                if (match(line))
                {
                    return line;
                }
            }

            if (_process.HasExited)
            {
                // Let the last lines arrive, then look once more.
                await _process.WaitForExitAsync(cancellationToken);
                foreach (string line in _lines)
                {
                    if (match(line))
                    {
                        return line;
                    }
                }

                throw new TimeoutException($"{Name} exited (code {_process.ExitCode}) before printing the expected line. Output:\n{Tail()}");
            }

            TimeSpan left = timeout - deadline.Elapsed;
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException($"{Name} did not print the expected line within {timeout.TotalSeconds:0} s. Output:\n{Tail()}");
            }

            // Woken by a new line or, at the latest, to re-check whether the process exited.
            _ = await _lineArrived.WaitAsync(left < TimeSpan.FromMilliseconds(250) ? left : TimeSpan.FromMilliseconds(250), cancellationToken);
        }
    }

    /// <summary>Waits for the process to exit.</summary>
    /// <returns>The exit code.</returns>
    /// <exception cref="TimeoutException">It did not exit in time.</exception>
    public async Task<int> WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"{Name} did not exit within {timeout.TotalSeconds:0} s. Output:\n{Tail()}");
        }

        return _process.ExitCode;
    }

    /// <summary>The last lines of output, for error messages.</summary>
    public string Tail(int count = 15)
    {
        string[] all = [.. _lines];
        return string.Join('\n', all.Skip(Math.Max(0, all.Length - count)).Select(l => "    | " + l));
    }

    /// <summary>Resident set size of the process in bytes (from /proc), or -1.</summary>
    public long ResidentBytes()
    {
        try
        {
            foreach (string line in File.ReadLines($"/proc/{Pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    string kb = line["VmRSS:".Length..].Trim().Split(' ')[0];
                    return long.Parse(kb, CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (IOException)
        {
        }

        return -1;
    }

    /// <summary>Stops the process by PID: SIGTERM, up to <paramref name="grace"/> to exit, then SIGKILL.</summary>
    /// <returns>True when it had to be killed.</returns>
    public async Task<bool> StopAsync(TimeSpan grace)
    {
        if (_process.HasExited)
        {
            return false;
        }

        _ = SysKill(Pid, 15);
        using var cts = new CancellationTokenSource(grace);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return false;
        }
        catch (OperationCanceledException)
        {
            _ = SysKill(Pid, 9);
            using var cts2 = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await _process.WaitForExitAsync(cts2.Token);
            }
            catch (OperationCanceledException)
            {
            }

            return true;
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            _ = await StopAsync(TimeSpan.FromSeconds(3));
        }
        catch (InvalidOperationException)
        {
            // Never started or already reaped.
        }

        if (_streamsOwned)
        {
            try
            {
                _process.StandardInput.Dispose();
            }
            catch (IOException)
            {
            }
        }

        _process.Dispose();
        _lineArrived.Dispose();
    }

    /// <summary>Runs a short command to completion and returns its exit code and output (stdout, then stderr).</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(
        string file, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment = null, TimeSpan? timeout = null,
        string? stdin = null, CancellationToken cancellationToken = default)
    {
        await using ChildProcess p = Start(Path.GetFileName(file), file, arguments, environment, rawStdio: true);
        if (stdin is not null)
        {
            await p._process.StandardInput.WriteAsync(stdin);
        }

        p._process.StandardInput.Close();
        Task<string> stdout = p._process.StandardOutput.ReadToEndAsync(cancellationToken);
        int code = await p.WaitForExitAsync(timeout ?? TimeSpan.FromSeconds(30), cancellationToken);
        string output = await stdout;
        return (code, output, string.Join('\n', p.Lines));
    }

    /// <summary>True when <paramref name="name"/> is an executable on PATH (or an existing path).</summary>
    public static string? Which(string name)
    {
        if (name.Contains('/', StringComparison.Ordinal))
        {
            return File.Exists(name) ? name : null;
        }

        string path = Environment.GetEnvironmentVariable("PATH") is { Length: > 0 } v ? v : "/usr/local/bin:/usr/bin:/bin";
        foreach (string dir in path.Split(':', StringSplitOptions.RemoveEmptyEntries).Append("/usr/bin").Append("/usr/sbin"))
        {
            string candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>
    /// PIDs of live processes whose environment has <paramref name="key"/>=<paramref name="value"/>: every process this run
    /// started carries a unique tag, and so do the apps those processes launched (they inherit it).
    /// </summary>
    public static List<int> FindTagged(string key, string value)
    {
        var found = new List<int>();
        byte[] needle = System.Text.Encoding.UTF8.GetBytes(key + "=" + value);
        int self = Environment.ProcessId;
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid) || pid == self)
            {
                continue;
            }

            try
            {
                byte[] env = File.ReadAllBytes(Path.Combine(dir, "environ"));
                foreach (ReadOnlySpan<byte> entry in new NulSplit(env))
                {
                    if (entry.SequenceEqual(needle))
                    {
                        found.Add(pid);
                        break;
                    }
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }

        return found;
    }

    /// <summary>Sends SIGTERM to each PID, waits up to <paramref name="grace"/> for them to go, then SIGKILLs the rest.</summary>
    /// <returns>The PIDs that were signalled.</returns>
    public static async Task<IReadOnlyList<int>> TerminateAsync(IReadOnlyList<int> pids, TimeSpan grace)
    {
        foreach (int pid in pids)
        {
            _ = SysKill(pid, 15);
        }

        var sw = Stopwatch.StartNew();
        int delay = 10;
        while (sw.Elapsed < grace && pids.Any(IsAlive))
        {
            await Task.Delay(delay);
            delay = Math.Min(delay * 2, 200);
        }

        foreach (int pid in pids.Where(IsAlive))
        {
            _ = SysKill(pid, 9);
        }

        return pids;
    }

    /// <summary>Live descendants of <paramref name="root"/> (children first), from the parent links in /proc.</summary>
    public static List<int> Descendants(int root)
    {
        var parents = new Dictionary<int, int>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
            {
                continue;
            }

            try
            {
                string stat = File.ReadAllText(Path.Combine(dir, "stat"));
                string[] rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                parents[pid] = int.Parse(rest[1], CultureInfo.InvariantCulture);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or ArgumentOutOfRangeException)
            {
            }
        }

        var result = new List<int>();
        var queue = new Queue<int>([root]);
        while (queue.Count > 0)
        {
            int parent = queue.Dequeue();
            foreach ((int pid, int ppid) in parents)
            {
                if (ppid == parent && !result.Contains(pid))
                {
                    result.Add(pid);
                    queue.Enqueue(pid);
                }
            }
        }

        return result;
    }

    /// <summary>True when the PID exists and is not a zombie.</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            int close = stat.LastIndexOf(')');
            return close > 0 && close + 2 < stat.Length && stat[close + 2] != 'Z';
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private ref struct NulSplit(byte[] data)
    {
        private readonly byte[] _data = data;
        private int _start;
        private int _end = -1;

        public readonly NulSplit GetEnumerator() => this;

        public readonly ReadOnlySpan<byte> Current => _data.AsSpan(_start, _end - _start);

        public bool MoveNext()
        {
            _start = _end + 1;
            if (_start >= _data.Length)
            {
                return false;
            }

            int nul = Array.IndexOf(_data, (byte)0, _start);
            _end = nul < 0 ? _data.Length : nul;
            return true;
        }
    }

    [DllImport("libc", EntryPoint = "kill")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int SysKill(int pid, int signal);
}
