using System.Diagnostics;
using System.Globalization;

namespace OpenDesk.Serve.Demo;

/// <summary>The outcome of one demo step.</summary>
/// <param name="Number">1-based position.</param>
/// <param name="Target">Where it ran: <c>setup</c>, <c>local</c>, the peer's name or <c>teardown</c>.</param>
/// <param name="Name">What it did.</param>
/// <param name="Ok">Whether it did what it should (checked, not just "no exception").</param>
/// <param name="Elapsed">Wall time.</param>
/// <param name="Detail">The result in one line.</param>
internal sealed record DemoStepResult(int Number, string Target, string Name, bool Ok, TimeSpan Elapsed, string Detail);

/// <summary>A step failed its check; the message is the reason shown to the user.</summary>
internal sealed class DemoCheckException(string message) : Exception(message);

/// <summary>Runs named steps, prints one progress line per step and keeps the results for the summary table.</summary>
internal sealed class DemoSteps(TextWriter output)
{
    private readonly List<DemoStepResult> _results = [];

    /// <summary>Results so far.</summary>
    public IReadOnlyList<DemoStepResult> Results => _results;

    /// <summary>True when every step so far passed.</summary>
    public bool AllOk => _results.All(r => r.Ok);

    /// <summary>Runs a step; its body returns the one-line detail or throws (any exception fails the step).</summary>
    /// <returns>True when it passed.</returns>
    public async Task<bool> RunAsync(string target, string name, Func<Task<string>> body)
    {
        var sw = Stopwatch.StartNew();
        bool ok;
        string detail;
        try
        {
            detail = await body();
            ok = true;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            ok = false;
            detail = e is DemoCheckException ? e.Message : $"{e.GetType().Name}: {e.Message}";
        }

        sw.Stop();
        var result = new DemoStepResult(_results.Count + 1, target, name, ok, sw.Elapsed, OneLine(detail));
        _results.Add(result);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"[{result.Number,2}] {target,-9} {name,-22} {(ok ? "ok  " : "FAIL")} {Ms(sw.Elapsed),7}  {result.Detail}"));
        if (!ok && detail.Contains('\n', StringComparison.Ordinal))
        {
            foreach (string line in detail.Split('\n').Skip(1).Take(20))
            {
                output.WriteLine("                " + line);
            }
        }

        return ok;
    }

    /// <summary>Prints the summary table.</summary>
    public void PrintSummary(TimeSpan total)
    {
        output.WriteLine();
        output.WriteLine("Summary");
        output.WriteLine("  #   target     step                    result   time");
        output.WriteLine("  --  ---------  ----------------------  ------  -------");
        foreach (DemoStepResult r in _results)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {r.Number,2}  {r.Target,-9}  {r.Name,-22}  {(r.Ok ? "ok" : "FAIL"),-6}  {Ms(r.Elapsed),7}"));
        }

        int failed = _results.Count(r => !r.Ok);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{_results.Count - failed} of {_results.Count} steps passed, {failed} failed, in {total.TotalSeconds:0.0} s."));
    }

    /// <summary>Milliseconds as text (<c>123 ms</c>).</summary>
    public static string Ms(TimeSpan t) => string.Create(CultureInfo.InvariantCulture, $"{t.TotalMilliseconds:0} ms");

    private static string OneLine(string s)
    {
        string first = s.Split('\n', 2)[0].Trim();
        return first.Length <= 140 ? first : first[..139] + "…";
    }
}
