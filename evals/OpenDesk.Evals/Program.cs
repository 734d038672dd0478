using System.Diagnostics;
using System.Reflection;
using OpenDesk.Benchmarking;
using OpenDesk.Evals;

// OpenDesk evals and benchmarks: a scripted agent drives a real `opendesk mcp` (and a paired `opendesk serve`) as
// processes on private Xvfb desktops with real Debian apps. The evals never use OpenDesk as a
// library (only the in-process benchmarks — capture path, click, AT-SPI tree, OCR — link OpenDesk.Local).
const string usage = """
    usage:
      dotnet run --project evals/OpenDesk.Evals -- eval  [--peer | --peer-only] [--tasks a,b,...] [--break] [--report PATH] [--opendesk DLL]
      dotnet run --project evals/OpenDesk.Evals -- bench [--quick] [--report PATH] [--opendesk DLL]
      dotnet run --project evals/OpenDesk.Evals -- list

      eval   runs the tasks locally (--peer: locally and through a paired loopback peer; --peer-only: only the peer).
             --break runs the deliberately broken agent (clicks miss, typed text has a typo): the suite must fail.
             The full suite (no --tasks) writes its section of docs/evals.md (results, or broken with --break) unless --report says otherwise.
      bench  measures MCP screenshot/click/start-up, serve RSS and, in process, capture/click/AT-SPI tree/OCR; writes docs/benchmarks.md (--quick: fewer samples, no file).
    """;

if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
{
    Console.WriteLine(usage);
    return args.Length == 0 ? 2 : 0;
}

string? Value(string name)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

bool Flag(string name) => args.Contains(name);

string repo = Path.GetFullPath(Metadata("RepositoryRoot") ?? Directory.GetCurrentDirectory());
string dll = Path.GetFullPath(Value("--opendesk") ?? Environment.GetEnvironmentVariable("OPENDESK_DLL") ?? OpenDeskBuild.DefaultDll(typeof(EvalTask).Assembly));
if (args[0] != "list" && !File.Exists(dll))
{
    Console.Error.WriteLine($"opendesk.dll not found at {dll}; build OpenDesk.Serve or pass --opendesk PATH.");
    return 2;
}

using var cts = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cts.Cancel();
};

try
{
    return await RunAsync();
}
catch (OperationCanceledException) when (cts.IsCancellationRequested)
{
    Console.Error.WriteLine("cancelled; everything started was stopped.");
    return 130;
}

async Task<int> RunAsync()
{
    switch (args[0])
    {
        case "list":
            foreach (EvalTask t in TaskCatalog.All)
            {
                Console.WriteLine($"{t.Name,-20} {t.Layout.Name,-12} {t.Goal}  [check: {t.CheckedBy}]");
            }

            return 0;

        case "eval":
        {
            IReadOnlyList<string> tasks = Value("--tasks")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
            bool full = tasks.Count == 0;
            var options = new EvalOptions
            {
                OpenDeskDll = dll,
                Local = !Flag("--peer-only"),
                Peer = Flag("--peer") || Flag("--peer-only"),
                Tasks = tasks,
                Break = Flag("--break"),
                ReportPath = Value("--report") ?? (full ? Path.Combine(repo, "docs", "evals.md") : null),
            };
            var sw = Stopwatch.StartNew();
            var runner = new EvalRunner(Console.Out, options);
            IReadOnlyList<TaskResult> results = await runner.RunAsync(cts.Token);
            runner.Report(results, sw.Elapsed);
            int failed = results.Count(r => !r.Pass);
            Console.WriteLine($"{results.Count - failed} passed, {failed} failed");
            return failed == 0 && results.Count > 0 ? 0 : 1;
        }

        case "bench":
        {
            bool quick = Flag("--quick");
            string? report = Value("--report") ?? (quick ? null : Path.Combine(repo, "docs", "benchmarks.md"));
            var bench = new Bench(Console.Out, dll, quick);
            return await bench.RunAsync(report, cts.Token);
        }

        default:
            Console.Error.WriteLine(usage);
            return 2;
    }
}

static string? Metadata(string key)
    => typeof(EvalTask).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == key)?.Value;
