using System.Diagnostics;

namespace OpenDesk.Serve.Tests;

/// <summary>The real <c>opendesk</c> executable: help and version.</summary>
public sealed class CliTests
{
    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "opendesk.dll");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(dll);
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var process = Process.Start(psi)!;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(cts.Token);
        Task<string> stderr = process.StandardError.ReadToEndAsync(cts.Token);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout, await stderr);
    }

    [Fact]
    public async Task Version_PrintsTheAssemblyVersion()
    {
        var (code, stdout, _) = await RunAsync("--version");
        Assert.Equal(0, code);
        Assert.Equal(Cli.Version, stdout.Trim());
        Assert.Matches(@"^\d+\.\d+\.\d+", stdout.Trim());
    }

    [Fact]
    public async Task Help_DescribesOpenDeskAndListsCommands()
    {
        var (code, stdout, _) = await RunAsync("--help");
        Assert.Equal(0, code);
        Assert.Contains("computer-use server for AI agents", stdout, StringComparison.Ordinal);
        Assert.Contains("Commands:", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownCommand_FailsWithNonZeroExit()
    {
        var (code, _, stderr) = await RunAsync("frobnicate");
        Assert.NotEqual(0, code);
        Assert.Contains("frobnicate", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_OnAVirtualDisplay_ListsWorkingCapabilitiesAndReasons()
    {
        var (code, stdout, stderr) = await RunAsync("check", "--virtual-display");
        Assert.True(code == 0, stdout + stderr);
        Assert.Contains("(found via virtual)", stdout, StringComparison.Ordinal);
        Assert.Contains("ok       display.capture", stdout, StringComparison.Ordinal);
        Assert.Contains("ok       input.pointer", stdout, StringComparison.Ordinal);
        Assert.Matches(@"missing  notifications\.list: \S", stdout);
        Assert.Contains("This desktop can be seen and driven.", stdout, StringComparison.Ordinal);
    }
}
