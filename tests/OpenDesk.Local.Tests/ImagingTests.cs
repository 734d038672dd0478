using OpenDesk.Core;
using OpenDesk.Local.Imaging;
using SkiaSharp;

namespace OpenDesk.Local.Tests;

/// <summary>Pure imaging (no desktop needed).</summary>
public sealed class ImagingTests
{
    [Fact]
    public void Fit_ScalesDownKeepingAspectAndLogicalSize_NeverUp()
    {
        Pixmap png = MakePng(1920, 1080, SKColors.SteelBlue) with { LogicalWidth = 1920, LogicalHeight = 1080 };
        Pixmap fitted = PixmapTools.Fit(png, 1456, 819);
        Assert.Equal((1456, 819, 1920, 1080, PixmapFormat.Jpeg), (fitted.Width, fitted.Height, fitted.LogicalWidth, fitted.LogicalHeight, fitted.Format));
        using SKBitmap decoded = SKBitmap.Decode(fitted.Data);
        Assert.Equal((1456, 819), (decoded.Width, decoded.Height));
        SKColor c = decoded.GetPixel(700, 400);
        Assert.InRange(c.Blue, SKColors.SteelBlue.Blue - 6, SKColors.SteelBlue.Blue + 6);

        Pixmap same = PixmapTools.Fit(MakePng(300, 200, SKColors.Red), 4000, null, PixmapFormat.Png);
        Assert.Equal((300, 200), (same.Width, same.Height));

        Pixmap raw = new(new byte[4 * 4 * 4], PixmapFormat.RawRgba, 4, 4, 4, 4, null, DateTimeOffset.UtcNow);
        Assert.Equal((2, 2), (PixmapTools.Fit(raw, 2, 2, PixmapFormat.Png).Width, PixmapTools.Fit(raw, 2, 2, PixmapFormat.Png).Height));
    }

    [Fact]
    public void Fingerprint_DetectsOnePixel_AndReportsTheChangedCell()
    {
        var pixels = new byte[640 * 480 * 4];
        ScreenFingerprint a = ScreenFingerprint.FromBgra(pixels, 640, 480, 640 * 4);
        pixels[((300 * 640) + 100) * 4] = 1;
        ScreenFingerprint b = ScreenFingerprint.FromBgra(pixels, 640, 480, 640 * 4);
        Assert.NotEqual(a, b);
        Assert.Equal(1.0 / (20 * 15), b.Difference(a), 6);
        Assert.Equal(new Rect(96, 288, 32, 32), b.ChangedArea(a));

        // The undefined 4th byte (X11 BGRX padding) is ignored.
        pixels[3] = 200;
        Assert.Equal(b, ScreenFingerprint.FromBgra(pixels, 640, 480, 640 * 4));
        Assert.Null(b.ChangedArea(ScreenFingerprint.FromBgra(pixels, 640, 480, 640 * 4)));
    }

    [Fact]
    public async Task Settle_ReportsStableAndChanged()
    {
        var pixels = new byte[64 * 64 * 4];
        ScreenFingerprint baseline = ScreenFingerprint.FromBgra(pixels, 64, 64, 256);
        int calls = 0;
        SettleResult r = await ScreenSettle.WaitAsync(_ =>
        {
            // Changes for the first three samples, then stays.
            if (calls++ < 3)
            {
                pixels[calls * 4] = (byte)calls;
            }

            return ValueTask.FromResult(ScreenFingerprint.FromBgra(pixels, 64, 64, 256));
        }, baseline, TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(1));
        Assert.True(r.Stable);
        Assert.True(r.Changed);

        SettleResult still = await ScreenSettle.WaitAsync(_ => ValueTask.FromResult(baseline), baseline, TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(1));
        Assert.True(still.Stable);
        Assert.False(still.Changed);
    }

    private static Pixmap MakePng(int w, int h, SKColor colour)
    {
        using var bmp = new SKBitmap(w, h);
        bmp.Erase(colour);
        using SKData data = bmp.Encode(SKEncodedImageFormat.Png, 100);
        return new Pixmap(data.ToArray(), PixmapFormat.Png, w, h, w, h, null, DateTimeOffset.UtcNow);
    }
}
