using System.Runtime.CompilerServices;
using OpenDesk.Serve.Demo;

namespace OpenDesk.IntegrationTests.Demo;

/// <summary><c>opendesk demo</c> run as a process, the way the README's quick start runs it.</summary>
public sealed class DemoTests
{
    [Fact]
    public async Task Demo_RunsGreen_PrintsSummary_SavesScreenshots_AndLeavesNothingRunning()
    {
        if (!File.Exists("/usr/bin/Xvfb"))
        {
            Assert.Skip("Xvfb is not installed (eng/packages.txt installs it)");
        }

        string shots = Path.Combine(Path.GetTempPath(), "opendesk-demo-test-" + Guid.NewGuid().ToString("N")[..8]);
        string tag = Guid.NewGuid().ToString("N");
        CancellationToken ct = TestContext.Current.CancellationToken;
        try
        {
            await using ChildProcess demo = ChildProcess.Start("opendesk demo", "dotnet",
                [TestPaths.OpenDeskDll, "demo", "--output", shots],
                new Dictionary<string, string?> { ["OPENDESK_DEMO_TEST_TAG"] = tag });
            int exit = await demo.WaitForExitAsync(TimeSpan.FromMinutes(4), ct);
            string output = string.Join('\n', demo.Lines);

            Assert.True(exit == 0, $"opendesk demo exited {exit}:\n{output}");
            Assert.Contains("Summary", output, StringComparison.Ordinal);
            Assert.Matches(@"(\d+) of \1 steps passed, 0 failed", output);
            Assert.Contains($"Screenshots: {shots}", output, StringComparison.Ordinal);

            // Every agent step ran on both targets.
            foreach (string step in new[] { "screenshot", "click a button", "open an app", "type text", "read back (OCR)", "read back (a11y)", "clipboard round trip" })
            {
                Assert.Contains($"local     {step}", output, StringComparison.Ordinal);
                Assert.Contains($"demo-peer {step}", output, StringComparison.Ordinal);
            }

            Assert.Contains("opendesk_status", output, StringComparison.Ordinal);
            string[] images = Directory.GetFiles(shots, "*.png");
            Assert.True(images.Length >= 6, $"expected screenshots of both targets, found {images.Length}");
            Assert.All(images, f => Assert.Equal(0x89, File.ReadAllBytes(f)[0]));

            // Nothing the demo started (or what those processes started) is still running.
            List<int> left = ChildProcess.FindTagged("OPENDESK_DEMO_TEST_TAG", tag);
            Assert.True(left.Count == 0, $"processes left running after opendesk demo: {string.Join(", ", left)}");
        }
        finally
        {
            _ = await ChildProcess.TerminateAsync(ChildProcess.FindTagged("OPENDESK_DEMO_TEST_TAG", tag), TimeSpan.FromSeconds(3));
            if (Directory.Exists(shots))
            {
                Directory.Delete(shots, recursive: true);
            }
        }
    }

    [Fact]
    public async Task Demo_Help_DescribesTheQuickStart()
    {
        (int exit, string stdout, _) = await ChildProcess.RunAsync("dotnet", [TestPaths.OpenDeskDll, "demo", "--help"],
            cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(0, exit);
        Assert.Contains("--no-peer", stdout, StringComparison.Ordinal);
        Assert.Contains("--output", stdout, StringComparison.Ordinal);
    }
}

/// <summary>Where the built executables are (this test project builds opendesk; the solution build also builds the evals).</summary>
internal static class TestPaths
{
    /// <summary>opendesk.dll next to the tests (copied by the project reference).</summary>
    public static string OpenDeskDll => Path.Combine(AppContext.BaseDirectory, "opendesk.dll");

    /// <summary>The artifacts folder and configuration this test assembly was built into.</summary>
    public static (string Artifacts, string Configuration) Build()
    {
        // <artifacts>/bin/OpenDesk.IntegrationTests/<configuration>/
        var dir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
        return (dir.Parent!.Parent!.Parent!.FullName, dir.Name);
    }

    /// <summary>The repository root (holds OpenDesk.sln).</summary>
    public static string RepoRoot([CallerFilePath] string path = "")
    {
        string? dir = Path.GetDirectoryName(path);
        while (dir is not null && !File.Exists(Path.Combine(dir, "OpenDesk.sln")))
        {
            dir = Path.GetDirectoryName(dir);
        }

        return dir ?? throw new InvalidOperationException("repository root not found");
    }
}
