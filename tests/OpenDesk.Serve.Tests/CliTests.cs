using System.Diagnostics;
using System.Runtime.InteropServices;
using OpenDesk.Serve.Commands;

namespace OpenDesk.Serve.Tests;

/// <summary>The real <c>opendesk</c> executable: help and version.</summary>
public sealed class CliTests
{
    private static Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(params string[] args) => RunAsync(null, args);

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "opendesk.dll");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach ((string name, string value) in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[name] = value;
        }

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

    [Fact]
    public async Task Check_ReportsTheFastJpegEncoderAsInstalledOrNot()
    {
        // The expectation comes from the machine itself: is libturbojpeg.so.0 loadable here?
        bool installed = NativeLibrary.TryLoad("libturbojpeg.so.0", out IntPtr lib);
        if (installed)
        {
            NativeLibrary.Free(lib);
        }

        var (code, stdout, stderr) = await RunAsync(new Dictionary<string, string> { ["OPENDESK_NO_TURBOJPEG"] = "0" }, "check", "--virtual-display");
        Assert.True(code == 0, stdout + stderr);
        if (installed)
        {
            Assert.Contains("ok       fast JPEG: libturbojpeg (SIMD) encodes screenshots", stdout, StringComparison.Ordinal);
        }
        else
        {
            Assert.Contains("missing  fast JPEG: libturbojpeg.so.0 not found", stdout, StringComparison.Ordinal);
            Assert.Contains("apt-get install libturbojpeg0", stdout, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Check_WithTurboJpegDisabled_SaysScreenshotsUseSkiaSharp()
    {
        var (code, stdout, stderr) = await RunAsync(new Dictionary<string, string> { ["OPENDESK_NO_TURBOJPEG"] = "1" }, "check", "--virtual-display");
        Assert.True(code == 0, stdout + stderr);
        Assert.Contains("off      fast JPEG: OPENDESK_NO_TURBOJPEG=1, screenshots use SkiaSharp's slower encoder", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("ok       fast JPEG", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void FastJpegLine_WhenTheLibraryIsMissing_GivesTheFallbackAndTheInstallLine()
    {
        string line = CheckCommand.FastJpegLine("libturbojpeg-absent-for-test.so.0");
        Assert.Equal("  missing  fast JPEG: libturbojpeg-absent-for-test.so.0 not found, screenshots fall back to SkiaSharp's slower encoder (apt-get install libturbojpeg0)", line);
    }
}
