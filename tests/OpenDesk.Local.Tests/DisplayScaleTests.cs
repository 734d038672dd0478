using System.Diagnostics;
using System.Globalization;
using OpenDesk.Core;
using OpenDesk.Local.Platforms.Linux;
using OpenDesk.Local.Tests.Desktop;

namespace OpenDesk.Local.Tests;

/// <summary><see cref="Display.ScaleFactor"/> from XRandR/core physical sizes: the computation, then real Xvfb servers.</summary>
public sealed class DisplayScaleTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(1920, 1080, 527, 296, 1.0)]    // 24" 1080p, 92.5 DPI
    [InlineData(3840, 2160, 597, 336, 1.75)]   // 27" 4K, 163 DPI
    [InlineData(3840, 2160, 344, 194, 3.0)]    // 15.6" 4K laptop, 283 DPI: 2.95
    [InlineData(2560, 1600, 286, 179, 2.25)]   // 13.3" 2560x1600, 227 DPI
    [InlineData(1920, 1200, 254, 159, 2.0)]    // exactly 192 DPI
    [InlineData(1920, 1080, 406, 228, 1.25)]   // 120 DPI: 1.25 exactly
    [InlineData(1920, 1080, 433, 244, 1.25)]   // 112.6 DPI: 1.17 rounds to 1.25
    [InlineData(1920, 1080, 457, 257, 1.0)]    // 106.7 DPI: 1.11 rounds to 1
    [InlineData(1920, 1080, 800, 450, 1.0)]    // 61 DPI (a TV): never below 1
    [InlineData(1080, 1920, 527, 296, 1.0)]    // rotated 90°: the output's unrotated size is swapped
    [InlineData(2160, 3840, 597, 336, 1.75)]   // rotated 4K
    public void FromPhysicalSize_IsDpiOver96_ToTheNearestQuarter(int w, int h, int mmW, int mmH, double expected)
        => Assert.Equal(expected, DisplayScale.FromPhysicalSize(w, h, mmW, mmH));

    [Theory]
    [InlineData(1920, 1080, 0, 0)]        // unknown (projectors, VMs, Xvfb outputs)
    [InlineData(1920, 1080, 0, 296)]      // half known
    [InlineData(1920, 1080, 16, 9)]       // EDID holding the aspect ratio: 3048 DPI
    [InlineData(1920, 1080, 5270, 2960)]  // mm written as tenths: 9 DPI
    [InlineData(1920, 1080, 527, 100)]    // width and height disagree (92 vs 274 DPI)
    [InlineData(0, 0, 527, 296)]          // no pixels
    public void FromPhysicalSize_UnknownOrImplausible_IsOne(int w, int h, int mmW, int mmH)
    {
        Assert.Null(DisplayScale.Dpi(w, h, mmW, mmH));
        Assert.Equal(1.0, DisplayScale.FromPhysicalSize(w, h, mmW, mmH));
    }

    [Theory]
    [InlineData(192, 2.0)]
    [InlineData(144, 1.5)]
    [InlineData(96, 1.0)]
    public async Task Xvfb_WithDpi_ReportsTheScaleFactor(int dpi, double expected)
    {
        DesktopFixture.RequireDesktop();

        // Xvfb reports its -dpi as the core screen's physical size (its RandR output has none).
        using Process xvfb = StartXvfb("1600x900x24", dpi, out string display);
        try
        {
            await using LocalComputer c = LocalComputer.Create(new LocalComputerOptions
            {
                DisplayName = display, UseVirtualDisplay = false, EnableOcr = false, EnableAccessibility = false,
            });
            Display d = Assert.Single(await c.Display.GetDisplaysAsync(Wait.Token));
            output.WriteLine($"-dpi {dpi}: {d}");
            Assert.Equal(new Rect(0, 0, 1600, 900), d.Bounds);
            Assert.Equal(expected, d.ScaleFactor);
        }
        finally
        {
            xvfb.Kill();
            await xvfb.WaitForExitAsync(Wait.Token);
        }
    }

    /// <summary>Starts a bare Xvfb on a display it picks itself (<c>-displayfd</c>), returning once it accepts clients.</summary>
    private static Process StartXvfb(string screen, int dpi, out string display)
    {
        var psi = new ProcessStartInfo("Xvfb") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { "-displayfd", "1", "-screen", "0", screen, "-dpi", dpi.ToString(CultureInfo.InvariantCulture), "-nolisten", "tcp" })
        {
            psi.ArgumentList.Add(a);
        }

        Process p = Process.Start(psi)!;
        p.ErrorDataReceived += static (_, _) => { };
        p.BeginErrorReadLine();

        // Xvfb writes the display number when it is ready for connections.
        Task<string?> line = p.StandardOutput.ReadLineAsync();
        if (!line.Wait(Wait.Default) || line.Result is not { Length: > 0 } number)
        {
            p.Kill();
            p.Dispose();
            throw new TimeoutException("Xvfb did not report its display number.");
        }

        display = ":" + number.Trim();
        return p;
    }
}
