using System.Globalization;
using OpenDesk.IntegrationTests.Demo;
using OpenDesk.Serve.Demo;

namespace OpenDesk.IntegrationTests.Evals;

/// <summary>The eval runner as a process: a short local subset must pass, and the broken agent must fail.</summary>
public sealed class EvalsTests
{
    private static readonly SemaphoreSlim s_buildLock = new(1, 1);

    [Fact]
    public async Task ShortSubset_PassesLocally()
    {
        (int exit, string output) = await RunEvalsAsync(["eval", "--tasks", "xterm-echo-file,zenity-entry,mousepad-type-save"]);
        Assert.True(exit == 0, $"evals exited {exit}:\n{output}");
        Assert.Contains("3 passed, 0 failed", output, StringComparison.Ordinal);
        Assert.Contains("| tool | target | calls | errors | median | p95 |", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BrokenAgent_Fails_AndIsReportedAsClaimedSuccessWithoutEffect()
    {
        (int exit, string output) = await RunEvalsAsync(["eval", "--tasks", "xterm-echo-file", "--break"]);
        Assert.Equal(1, exit);
        Assert.Contains("0 passed, 1 failed", output, StringComparison.Ordinal);
        Assert.Contains("CLAIMED-NO-EFFECT", output, StringComparison.Ordinal);
    }

    private static async Task<(int Exit, string Output)> RunEvalsAsync(string[] args)
    {
        if (!File.Exists("/usr/bin/Xvfb"))
        {
            Assert.Skip("Xvfb is not installed (eng/packages.txt installs it)");
        }

        CancellationToken ct = TestContext.Current.CancellationToken;
        string evals = await EvalsDllAsync(ct);
        string tag = Guid.NewGuid().ToString("N");
        try
        {
            await using ChildProcess p = ChildProcess.Start("evals", "dotnet", [evals, .. args, "--opendesk", TestPaths.OpenDeskDll],
                new Dictionary<string, string?> { ["OPENDESK_EVAL_TEST_TAG"] = tag });
            int exit = await p.WaitForExitAsync(TimeSpan.FromMinutes(4), ct);
            return (exit, string.Join('\n', p.Lines));
        }
        finally
        {
            List<int> left = ChildProcess.FindTagged("OPENDESK_EVAL_TEST_TAG", tag);
            _ = await ChildProcess.TerminateAsync(left, TimeSpan.FromSeconds(3));
            Assert.True(left.Count == 0, $"processes left running after the evals: {string.Join(", ", left)}");
        }
    }

    /// <summary>The evals built by the solution build next to these tests, or built now into the same artifacts folder.</summary>
    private static async Task<string> EvalsDllAsync(CancellationToken ct)
    {
        (string artifacts, string configuration) = TestPaths.Build();
        string dll = Path.Combine(artifacts, "bin", "OpenDesk.Evals", configuration, "OpenDesk.Evals.dll");
        await s_buildLock.WaitAsync(ct);
        try
        {
            if (!File.Exists(dll))
            {
                string config = char.ToUpper(configuration[0], CultureInfo.InvariantCulture) + configuration[1..];
                (int code, string stdout, string stderr) = await ChildProcess.RunAsync("dotnet",
                    ["build", Path.Combine(TestPaths.RepoRoot(), "evals", "OpenDesk.Evals"), "-c", config, $"-p:ArtifactsPath={artifacts}", "-v", "quiet"],
                    timeout: TimeSpan.FromMinutes(5), cancellationToken: ct);
                Assert.True(code == 0 && File.Exists(dll), $"building the evals failed ({code}):\n{stdout}\n{stderr}");
            }

            return dll;
        }
        finally
        {
            s_buildLock.Release();
        }
    }
}
