using System.Diagnostics;
using System.Globalization;
using System.Runtime.Versioning;

namespace OpenDesk.Local.Platforms.Linux;

/// <summary>Reads processes from <c>/proc</c>.</summary>
[SupportedOSPlatform("linux")]
internal static class ProcessTree
{
    /// <summary>(pid, ppid, comm) of every process, read from <c>/proc/*/stat</c>.</summary>
    public static List<(int Pid, int Ppid, string Name)> Snapshot()
    {
        var result = new List<(int, int, string)>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
            {
                continue;
            }

            try
            {
                string stat = File.ReadAllText(Path.Combine(dir, "stat"));

                // "pid (comm) state ppid ...": comm may contain spaces and parentheses, so cut at the last ')'.
                int open = stat.IndexOf('(', StringComparison.Ordinal), close = stat.LastIndexOf(')');
                if (open < 0 || close < open)
                {
                    continue;
                }

                string name = stat[(open + 1)..close];
                string[] rest = stat[(close + 2)..].Split(' ');
                int ppid = rest.Length > 1 && int.TryParse(rest[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out int pp) ? pp : 0;
                result.Add((pid, ppid, name));
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return result;
    }

    public static IReadOnlyList<string> Cmdline(int pid)
    {
        try
        {
            string raw = File.ReadAllText($"/proc/{pid}/cmdline");
            return raw.Split('\0', StringSplitOptions.RemoveEmptyEntries);
        }
        catch (IOException)
        {
            return [];
        }
        catch (UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>All descendants of <paramref name="roots"/>, deepest first.</summary>
    public static List<int> Descendants(IEnumerable<int> roots)
    {
        var all = Snapshot();
        var children = all.GroupBy(p => p.Ppid).ToDictionary(g => g.Key, g => g.Select(p => p.Pid).ToList());
        var result = new List<int>();
        var stack = new Stack<int>(roots);
        while (stack.Count > 0)
        {
            int pid = stack.Pop();
            if (children.TryGetValue(pid, out var kids))
            {
                foreach (int k in kids)
                {
                    result.Add(k);
                    stack.Push(k);
                }
            }
        }

        result.Reverse();
        return result;
    }

    /// <summary>PIDs whose environment has <paramref name="key"/>=<paramref name="value"/> (e.g. a private bus address only our processes know).</summary>
    public static List<int> WithEnvironment(string key, string value)
    {
        byte[] needle = System.Text.Encoding.UTF8.GetBytes(key + "=" + value);
        var result = new List<int>();
        int self = Environment.ProcessId;
        foreach ((int pid, _, _) in Snapshot())
        {
            if (pid == self)
            {
                continue;
            }

            try
            {
                byte[] env = File.ReadAllBytes($"/proc/{pid}/environ");
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

        return result;
    }

    public static bool IsAlive(int pid)
    {
        try
        {
            // A zombie still has /proc/pid; treat state Z as gone.
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            int close = stat.LastIndexOf(')');
            return close < 0 || close + 2 >= stat.Length || stat[close + 2] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return true;
        }
    }

    /// <summary>Waits for the PIDs to exit; SIGKILLs the ones still alive after <paramref name="timeout"/>.</summary>
    public static void WaitForExitOrKill(IReadOnlyCollection<int> pids, TimeSpan timeout)
        => WaitForExitOrKillAsync(pids, timeout, CancellationToken.None).AsTask().GetAwaiter().GetResult();

    /// <summary>
    /// Waits for the PIDs to exit; SIGKILLs the ones still alive after <paramref name="timeout"/> and returns once
    /// those are gone too (or zombies; at most 2 s more: SIGKILL is delivered asynchronously), so callers never see
    /// them alive.
    /// </summary>
    public static async ValueTask WaitForExitOrKillAsync(IReadOnlyCollection<int> pids, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (await WaitGoneAsync(pids, timeout, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        List<int> killed = [.. pids.Where(IsAlive)];
        foreach (int pid in killed)
        {
            _ = Interop.Libc.kill(pid, Interop.Libc.SIGKILL);
        }

        _ = await WaitGoneAsync(killed, TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>True once none of <paramref name="pids"/> is alive; false when <paramref name="timeout"/> passed first.</summary>
    private static async ValueTask<bool> WaitGoneAsync(IReadOnlyCollection<int> pids, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var sw = Stopwatch.StartNew();
        while (pids.Any(IsAlive))
        {
            if (sw.Elapsed >= timeout)
            {
                return false;
            }

            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }

        return true;
    }
}
