using System.Diagnostics;
using System.Text;

namespace OpenDesk.Adapters.Tests;

/// <summary>
/// Runs the LangChain.js suite (<c>tests/langchain/agent.test.mjs</c>: createAgent + @langchain/mcp-adapters + a
/// scripted model over <c>opendesk mcp</c> on a private Xvfb) with <c>node --test</c>. Skipped when node, the npm
/// packages (<c>tests/langchain/setup.sh</c>), opendesk.dll or Xvfb are missing.
/// </summary>
[Collection(XvfbCollection.Name)]
public sealed class LangChainNodeTests(ITestOutputHelper output)
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(4);

    [Fact]
    public async Task LangChain_agent_runs_the_script_over_opendesk_mcp()
    {
        string repo = FindRepo();
        string folder = Path.Combine(repo, "tests", "langchain");
        string? node = FindOnPath("node");
        string? dll = FindOpenDeskDll(repo);
        if (node is null || !Directory.Exists(Path.Combine(folder, "node_modules", "@langchain", "mcp-adapters")))
        {
            Assert.Skip("node or the npm packages are missing: run tests/langchain/setup.sh");
        }

        if (dll is null)
        {
            Assert.Skip("opendesk.dll not found: build OpenDesk.Serve (or set OPENDESK_DLL)");
        }

        if (FindOnPath("Xvfb") is null)
        {
            Assert.Skip("Xvfb is missing (the test drives a private virtual display)");
        }

        var start = new ProcessStartInfo(node, ["--test", "--test-timeout=120000", "agent.test.mjs"])
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["OPENDESK_DLL"] = dll;

        // The private desktops are stopped together with every process whose environment names their display
        // (OpenDesk.Local's VirtualDisplay); a DISPLAY inherited from this test host (set by an earlier desktop test)
        // would get node itself killed. node never needs a display here.
        start.Environment.Remove("DISPLAY");
        start.Environment.Remove("XAUTHORITY");
        start.Environment.Remove("DBUS_SESSION_BUS_ADDRESS");
        using var process = Process.Start(start)!;
        var log = new StringBuilder();
        var lockObj = new Lock();
        process.OutputDataReceived += (_, e) => { lock (lockObj) { log.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (lockObj) { log.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(s_timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            Assert.Fail($"node --test timed out after {s_timeout}:\n{log}");
        }

        await process.WaitForExitAsync(CancellationToken.None); // flushes the output events
        string text;
        lock (lockObj)
        {
            text = log.ToString();
        }

        output.WriteLine(text);
        Assert.True(process.ExitCode == 0, $"node --test exited with {process.ExitCode}:\n{text}");
        Assert.Contains("# pass 6", text, StringComparison.Ordinal);
        Assert.Contains("# fail 0", text, StringComparison.Ordinal);
    }

    private static string FindRepo()
    {
        for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "OpenDesk.sln")))
            {
                return d.FullName;
            }
        }

        // Built into an artifacts folder outside the repository: the repository the test was built from.
        string? built = typeof(LangChainNodeTests).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
            .Cast<System.Reflection.AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "OpenDeskRepoRoot")?.Value;
        return built is not null && File.Exists(Path.Combine(built, "OpenDesk.sln"))
            ? built
            : throw new InvalidOperationException($"OpenDesk.sln not found above {AppContext.BaseDirectory} nor at {built}");
    }

    /// <summary>OPENDESK_DLL, else opendesk.dll next to this test's bin folder (same artifacts and configuration), else the repo's artifacts.</summary>
    private static string? FindOpenDeskDll(string repo)
    {
        string? env = Environment.GetEnvironmentVariable("OPENDESK_DLL");
        if (!string.IsNullOrEmpty(env) && File.Exists(env))
        {
            return env;
        }

        // <artifacts>/bin/OpenDesk.Adapters.Tests/<config>/ → <artifacts>/bin/OpenDesk.Serve/<config>/opendesk.dll
        var bin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string config = bin.Name;
        string? artifactsBin = bin.Parent?.Parent?.FullName;
        string[] candidates =
        [
            artifactsBin is null ? "" : Path.Combine(artifactsBin, "OpenDesk.Serve", config, "opendesk.dll"),
            Path.Combine(repo, "artifacts", "bin", "OpenDesk.Serve", config, "opendesk.dll"),
            Path.Combine(repo, "artifacts", "bin", "OpenDesk.Serve", "release", "opendesk.dll"),
            Path.Combine(repo, "artifacts", "bin", "OpenDesk.Serve", "debug", "opendesk.dll"),
        ];
        return candidates.FirstOrDefault(p => p.Length > 0 && File.Exists(p));
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, name))
            .FirstOrDefault(File.Exists);
}
