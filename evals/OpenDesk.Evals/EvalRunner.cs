using System.Diagnostics;
using System.Globalization;
using System.Text;
using OpenDesk.Serve.Demo;

namespace OpenDesk.Evals;

/// <summary>One task run's outcome.</summary>
internal sealed record TaskResult(
    string Task, string Target, string Layout, bool Pass, int Steps, int ToolErrors, bool ClaimedNoEffect, TimeSpan Elapsed, string Detail)
{
    /// <summary>The agent's calls (tool and latency), for the per-tool table.</summary>
    internal IReadOnlyList<ToolCall> Calls { get; init; } = [];
}

/// <summary>Options of an eval run.</summary>
internal sealed class EvalOptions
{
    /// <summary>opendesk.dll to run.</summary>
    public required string OpenDeskDll { get; init; }

    /// <summary>Run locally.</summary>
    public bool Local { get; init; } = true;

    /// <summary>Run through a paired loopback peer.</summary>
    public bool Peer { get; init; }

    /// <summary>Task names to run (empty: all).</summary>
    public IReadOnlyList<string> Tasks { get; init; } = [];

    /// <summary>The deliberately broken agent.</summary>
    public bool Break { get; init; }

    /// <summary>Markdown report path, or null.</summary>
    public string? ReportPath { get; init; }
}

/// <summary>Runs tasks by layout: one desktop, one optional paired peer and one MCP session per layout.</summary>
internal sealed class EvalRunner(TextWriter output, EvalOptions options)
{
    private const string PeerName = "eval-peer";

    /// <summary>Runs the selected tasks and returns the results.</summary>
    public async Task<IReadOnlyList<TaskResult>> RunAsync(CancellationToken ct)
    {
        List<EvalTask> tasks = options.Tasks.Count == 0
            ? [.. TaskCatalog.All]
            : [.. options.Tasks.Select(n => TaskCatalog.All.FirstOrDefault(t => t.Name == n) ?? throw new ArgumentException($"unknown task '{n}'"))];
        var results = new List<TaskResult>();
        string root = Path.Combine(Path.GetTempPath(), $"opendesk-evals-{Guid.NewGuid():N}"[..30]);
        _ = Directory.CreateDirectory(root);
        var exe = OpenDeskExe.FromDll(options.OpenDeskDll);
        try
        {
            foreach (IGrouping<DesktopLayout, EvalTask> group in tasks.GroupBy(t => t.Layout))
            {
                await RunLayoutAsync(exe, group.Key, [.. group], root, results, ct);
            }
        }
        finally
        {
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
            }
        }

        return results;
    }

    private async Task RunLayoutAsync(OpenDeskExe exe, DesktopLayout layout, List<EvalTask> tasks, string root, List<TaskResult> results, CancellationToken ct)
    {
        string layoutRoot = Path.Combine(root, layout.Name);
        _ = Directory.CreateDirectory(layoutRoot);
        var sw = Stopwatch.StartNew();
        await using Desktop desktop = await Desktop.StartAsync(layout, Path.Combine(layoutRoot, "xdg"), ct);
        output.WriteLine($"# desktop {layout.Name} on {desktop.DisplayName} ready in {sw.ElapsedMilliseconds} ms");
        PeerLink? link = null;
        try
        {
            string controllerHome = Path.Combine(layoutRoot, "controller-home");
            if (options.Peer)
            {
                sw.Restart();
                link = await PeerLink.CreateAsync(exe, desktop.Environment, desktop.Environment, PeerName, layoutRoot, ct);
                output.WriteLine($"# paired '{PeerName}' on 127.0.0.1:{link.Port} in {sw.ElapsedMilliseconds} ms: {link.ReadyLine.Trim()}");
            }

            await using McpDriver mcp = await McpDriver.StartAsync(exe, PeerLink.WithHome(desktop.Environment, controllerHome), [], ct);
            output.WriteLine($"# opendesk mcp initialized in {mcp.StartupTime.TotalMilliseconds:0} ms (pid {mcp.Pid})");
            var targets = new List<string>();
            if (options.Local)
            {
                targets.Add("local");
            }

            if (link is not null)
            {
                targets.Add(PeerName);
            }

            foreach (EvalTask task in tasks)
            {
                foreach (string target in targets)
                {
                    TaskResult r = await RunTaskAsync(task, target, desktop, mcp, link, layoutRoot, ct);
                    results.Add(r);
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{(r.Pass ? "PASS" : "FAIL")}  {r.Task,-20} {r.Target,-10} {r.Layout,-12} steps {r.Steps,2}  errors {r.ToolErrors}  {r.Elapsed.TotalSeconds,5:0.0} s  {(r.ClaimedNoEffect ? "CLAIMED-NO-EFFECT  " : "")}{r.Detail}"));
                }
            }
        }
        finally
        {
            if (link is not null)
            {
                await link.DisposeAsync();
            }
        }
    }

    private async Task<TaskResult> RunTaskAsync(EvalTask task, string target, Desktop desktop, McpDriver mcp, PeerLink? link, string root, CancellationToken ct)
    {
        string work = Path.Combine(root, $"{task.Name}-{target}");
        _ = Directory.CreateDirectory(work);
        var c = new EvalContext { Desktop = desktop, Mcp = mcp, Target = target, WorkDirectory = work, Break = options.Break, CancellationToken = ct };
        var sw = Stopwatch.StartNew();
        string? failure = null;
        bool setupOk = false, gaveUp = false;
        try
        {
            await task.SetupAsync(c);
            setupOk = true;
            await task.ActAsync(c);
        }
        catch (AgentGaveUpException e)
        {
            gaveUp = true;
            failure = "agent gave up: " + e.Message;
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            failure = (setupOk ? "agent script failed: " : "set-up failed: ") + e.Message;
        }

        if (setupOk)
        {
            try
            {
                string? check = await task.CheckAsync(c);
                failure = check is null ? failure : failure is null ? check : failure + "; " + check;
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                failure = (failure is null ? "" : failure + "; ") + "check failed: " + e.Message;
            }
        }

        sw.Stop();
        await CleanUpAsync(c, mcp, link);
        int errors = c.Calls.Count(k => k.IsError);
        bool pass = failure is null;
        string detail = pass ? "" : failure!;
        if (!pass && errors > 0)
        {
            ToolCall firstError = c.Calls.First(k => k.IsError);
            detail += $" [first tool error: {firstError.Tool}: {firstError.FirstLine(120)}]";
        }

        return new TaskResult(task.Name, target, task.Layout.Name, pass, c.Calls.Count, errors,
            ClaimedNoEffect: !pass && setupOk && !gaveUp && errors == 0, sw.Elapsed, detail)
        { Calls = [.. c.Calls] };
    }

    private static async Task CleanUpAsync(EvalContext c, McpDriver mcp, PeerLink? link)
    {
        foreach (ChildProcess p in c.Apps)
        {
            await p.DisposeAsync();
        }

        // Apps the agent opened are children of opendesk mcp (local) or opendesk serve (peer).
        var opened = ChildProcess.Descendants(mcp.Pid);
        if (link?.Server is { } server)
        {
            opened.AddRange(ChildProcess.Descendants(server.Pid));
        }

        if (opened.Count > 0)
        {
            _ = await ChildProcess.TerminateAsync(opened, TimeSpan.FromSeconds(3));
        }

        // Wait until the windows are gone, so the next task starts on a clean desktop.
        _ = await Desktop.Until(async () => (await Checks.WindowTitlesAsync(c.Desktop)).Count == 0, TimeSpan.FromSeconds(5));
    }

    /// <summary>Prints the per-task table and the per-tool latencies; writes the markdown report when asked.</summary>
    public void Report(IReadOnlyList<TaskResult> results, TimeSpan total)
    {
        string md = Markdown(results, total, options);
        output.WriteLine();
        output.WriteLine(md);
        if (options.ReportPath is { } path)
        {
            MarkdownFile.WriteSection(path, options.Break ? "broken" : "results", md);
            output.WriteLine($"Wrote the {(options.Break ? "broken" : "results")} section of {path}");
        }
    }

    /// <summary>The markdown report.</summary>
    public static string Markdown(IReadOnlyList<TaskResult> results, TimeSpan total, EvalOptions options)
    {
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        int passed = results.Count(r => r.Pass);
        sb.Append(inv, $"Run: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC on {Environment.MachineName} ({Environment.ProcessorCount} cores, {Machine.Os()}, load {Machine.LoadAverage()}), ");
        sb.Append(inv, $"targets: {string.Join(" + ", results.Select(r => r.Target).Distinct())}{(options.Break ? ", **deliberately broken agent (--break)**" : "")}; ");
        sb.AppendLine(inv, $"{passed} of {results.Count} task runs passed in {total.TotalSeconds:0} s.");
        sb.AppendLine();
        sb.AppendLine("| task | target | layout | pass | steps | tool errors | claimed success, no effect | time | detail |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|---|");
        foreach (TaskResult r in results)
        {
            sb.AppendLine(inv, $"| {r.Task} | {r.Target} | {r.Layout} | {(r.Pass ? "pass" : "**FAIL**")} | {r.Steps} | {r.ToolErrors} | {(r.ClaimedNoEffect ? "**yes**" : "no")} | {r.Elapsed.TotalSeconds:0.0} s | {Escape(r.Detail)} |");
        }

        sb.AppendLine();
        sb.AppendLine("Per-tool latency (client send → result received, every agent call of this run):");
        sb.AppendLine();
        sb.AppendLine("| tool | target | calls | errors | median | p95 |");
        sb.AppendLine("|---|---|---|---|---|---|");
        foreach (var g in results.SelectMany(r => r.Calls.Select(k => (r.Target, k))).GroupBy(x => (x.k.Tool, x.Target)).OrderBy(g => g.Key.Tool).ThenBy(g => g.Key.Target))
        {
            double[] ms = [.. g.Select(x => x.k.Elapsed.TotalMilliseconds)];
            sb.AppendLine(inv, $"| {g.Key.Tool} | {g.Key.Target} | {ms.Length} | {g.Count(x => x.k.IsError)} | {Stats.Median(ms):0} ms | {Stats.P95(ms):0} ms |");
        }

        return sb.ToString();
    }

    private static string Escape(string s) => s.Replace("|", "\\|", StringComparison.Ordinal).ReplaceLineEndings(" ");
}

/// <summary>Generated sections of a hand-written markdown file.</summary>
internal static class MarkdownFile
{
    /// <summary>
    /// Replaces the text between <c>&lt;!-- generated:NAME --&gt;</c> and <c>&lt;!-- /generated:NAME --&gt;</c>, or appends the
    /// marked section when the file or the markers do not exist yet.
    /// </summary>
    public static void WriteSection(string path, string name, string content)
    {
        string begin = $"<!-- generated:{name} -->", end = $"<!-- /generated:{name} -->";
        string text = File.Exists(path) ? File.ReadAllText(path) : "";
        string block = begin + "\n" + content.TrimEnd() + "\n" + end;
        int b = text.IndexOf(begin, StringComparison.Ordinal), e = text.IndexOf(end, StringComparison.Ordinal);
        text = b >= 0 && e > b ? text[..b] + block + text[(e + end.Length)..] : text + (text.Length > 0 ? "\n" : "") + block + "\n";
        _ = Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, text);
    }
}

/// <summary>Median and 95th percentile.</summary>
internal static class Stats
{
    /// <summary>The median (NaN when empty).</summary>
    public static double Median(IReadOnlyList<double> values) => Percentile(values, 0.5);

    /// <summary>The 95th percentile, nearest rank (NaN when empty).</summary>
    public static double P95(IReadOnlyList<double> values) => Percentile(values, 0.95);

    /// <summary>Nearest-rank percentile; the median of an even count is the mean of the middle two.</summary>
    public static double Percentile(IReadOnlyList<double> values, double p)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        double[] sorted = [.. values.Order()];
        if (p == 0.5)
        {
            int mid = sorted.Length / 2;
            return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
        }

        int rank = (int)Math.Ceiling(p * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}

/// <summary>What machine this is.</summary>
internal static class Machine
{
    /// <summary>OS and CPU model in one line.</summary>
    public static string Os()
    {
        string os = System.Runtime.InteropServices.RuntimeInformation.OSDescription;
        try
        {
            string pretty = File.ReadLines("/etc/os-release").FirstOrDefault(l => l.StartsWith("PRETTY_NAME=", StringComparison.Ordinal))?["PRETTY_NAME=".Length..].Trim('"') ?? "";
            os = pretty.Length > 0 ? pretty : os;
        }
        catch (IOException)
        {
        }

        return os;
    }

    /// <summary>The 1/5/15-minute load averages (other work on the machine skews timings).</summary>
    public static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    /// <summary>The CPU model name.</summary>
    public static string Cpu()
    {
        try
        {
            return File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        }
        catch (IOException)
        {
            return "unknown CPU";
        }
    }
}
