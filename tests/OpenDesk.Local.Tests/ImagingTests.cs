using System.Runtime.InteropServices;
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

    [Fact]
    public void AreaScaler_KeepsFlatColoursExact_AndEveryThinLine()
    {
        // 1920x1080 grey with a one-pixel black vertical line every 37 columns and a horizontal one every 29 rows.
        const int w = 1920, h = 1080;
        byte[] pixels = Bgra(w, h, (x, y) =>
        {
            byte v = x % 37 == 5 || y % 29 == 7 ? (byte)0 : (byte)200;
            return (v, v, v, 17);
        });

        const int sw = 1429, sh = 804; // the MCP default model size (odd: the last column takes the one-pixel path)
        byte[] scaled = Scale(pixels, w, h, sw, sh);

        byte At(int x, int y) => scaled[((y * sw) + x) * 4];

        // Flat areas stay exactly 200 and opaque (the undefined 4th byte becomes 255).
        Assert.Equal(200, At(10, 1));
        Assert.Equal(255, scaled[((1 * sw) + 10) * 4 + 3]);

        // Area averaging never drops a one-pixel line: every source line darkens its output column (nearest-neighbour sampling skips some).
        for (int line = 5; line < w; line += 37)
        {
            int column = (int)(line * (double)sw / w);
            Assert.True(At(column, 2) < 200, $"line at x={line} vanished (column {column} = {At(column, 2)})");
        }

        // Total darkness is preserved to within rounding (area conservation).
        double sourceMean = pixels.Where((_, i) => i % 4 == 0).Average(b => (double)b);
        double scaledMean = scaled.Where((_, i) => i % 4 == 0).Average(b => (double)b);
        Assert.InRange(scaledMean, sourceMean - 0.5, sourceMean + 0.5);
    }

    [Theory]
    [InlineData(200, 150, 149, 97)]
    [InlineData(1920, 1080, 1429, 804)]
    [InlineData(640, 480, 97, 61)]
    public void AreaScaler_MatchesAnExactAreaAverage(int w, int h, int sw, int sh)
    {
        var pixels = new byte[w * h * 4];
        new Random(42).NextBytes(pixels);
        byte[] scaled = Scale(pixels, w, h, sw, sh);

        // Reference: every source pixel weighted by the exact area of it that the output pixel covers (doubles).
        double sx = (double)w / sw, sy = (double)h / sh;
        var rng = new Random(7);
        for (int sample = 0; sample < 3000; sample++)
        {
            int ox = sample < 4 ? (sample % 2) * (sw - 1) : rng.Next(sw), oy = sample < 4 ? (sample / 2) * (sh - 1) : rng.Next(sh);
            for (int c = 0; c < 3; c++)
            {
                double sum = 0;
                for (int y = (int)(oy * sy); y < Math.Min(h, Math.Ceiling((oy + 1) * sy)); y++)
                {
                    double cy = Math.Min((oy + 1) * sy, y + 1) - Math.Max(oy * sy, y);
                    for (int x = (int)(ox * sx); x < Math.Min(w, Math.Ceiling((ox + 1) * sx)); x++)
                    {
                        double cx = Math.Min((ox + 1) * sx, x + 1) - Math.Max(ox * sx, x);
                        sum += cx * cy * pixels[(((y * w) + x) * 4) + c];
                    }
                }

                double expected = sum / (sx * sy);
                byte actual = scaled[(((oy * sw) + ox) * 4) + c];
                Assert.True(Math.Abs(actual - expected) <= 2.5, $"output ({ox}, {oy}) channel {c}: {actual}, exact {expected:0.0}");
            }

            Assert.Equal(255, scaled[(((oy * sw) + ox) * 4) + 3]);
        }
    }

    [Fact]
    public void ModelSizeJpeg_OfTerminalText_StillReadsWithOcr()
    {
        // Terminal-sized text (DejaVu Sans Mono 15 px, like xterm -fs 11) on a 1920-wide frame, scaled to the MCP default
        // 1429 px (x0.744) and JPEG q80 4:2:0 exactly as a screenshot is: tesseract must still read it.
        Assert.SkipUnless(Ocr.TesseractOcr.IsAvailable, "libtesseract not installed");
        string[] lines =
        [
            "drwxr-xr-x  2 root root  4096 Nov 23 06:20 bin",
            "-rw-r--r--  1 root root 18092 Nov 22 21:14 README.md",
            "total 128 files, 3 directories, last build passed",
        ];
        const int w = 1920, h = 120;
        using var bitmap = new SKBitmap(new SKImageInfo(w, h, SKColorType.Bgra8888, SKAlphaType.Opaque));
        using (var canvas = new SKCanvas(bitmap))
        using (var font = new SKFont(SKTypeface.FromFamilyName("DejaVu Sans Mono"), 15))
        using (var paint = new SKPaint { Color = SKColors.Black, IsAntialias = true })
        {
            canvas.Clear(SKColors.White);
            for (int i = 0; i < lines.Length; i++)
            {
                canvas.DrawText(lines[i], 8, 24 + (i * 18), font, paint);
            }
        }

        (byte[] jpeg, int sw, int sh) = OnFrame(bitmap.Bytes, w, h, bitmap.RowBytes, f => ImageCodec.Encode(f, PixmapFormat.Jpeg, 80, 1429, null));

        Assert.Equal(1429, sw);
        using Ocr.TesseractOcr ocr = Ocr.TesseractOcr.Create();
        Ocr.OcrResult r = ocr.Recognize(new Pixmap(jpeg, PixmapFormat.Jpeg, sw, sh, w, h, null, DateTimeOffset.UtcNow));
        string[] expected = [.. lines.SelectMany(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))];
        string[] read = [.. r.Words.Select(x => x.Text)];
        int found = expected.Count(e => read.Contains(e));
        Assert.True(found >= expected.Length * 0.9, $"read {found} of {expected.Length} words: '{r.Text}'");
    }

    [Fact]
    public void Encode_Jpeg_KeepsChannelOrder_AndScales()
    {
        // Left third red, middle green, right blue (BGRX in memory, as X11 delivers it).
        const int w = 300, h = 120;
        byte[] pixels = Bgra(w, h, (x, _) => x < 100 ? ((byte)0, (byte)0, (byte)255, (byte)0) : x < 200 ? ((byte)0, (byte)255, (byte)0, (byte)0) : ((byte)255, (byte)0, (byte)0, (byte)0));

        foreach ((int? maxW, int expectW) in new[] { ((int?)null, 300), (150, 150) })
        {
            (byte[] data, int ow, int oh) = OnFrame(pixels, w, h, w * 4, f => ImageCodec.Encode(f, PixmapFormat.Jpeg, 80, maxW, null));

            Assert.Equal((expectW, h * expectW / w), (ow, oh));
            using SKBitmap decoded = SKBitmap.Decode(data);
            Assert.Equal((ow, oh), (decoded.Width, decoded.Height));
            SKColor red = decoded.GetPixel(ow / 6, oh / 2), green = decoded.GetPixel(ow / 2, oh / 2), blue = decoded.GetPixel(ow * 5 / 6, oh / 2);
            Assert.True(red.Red > 220 && red.Green < 40 && red.Blue < 40, $"red came back as {red}");
            Assert.True(green.Green > 220 && green.Red < 40 && green.Blue < 40, $"green came back as {green}");
            Assert.True(blue.Blue > 220 && blue.Red < 40 && blue.Green < 40, $"blue came back as {blue}");
        }
    }

    [Fact]
    public void TurboJpeg_IsUsedWhenInstalled()
    {
        // eng/packages.txt installs libturbojpeg0; without it JPEG encoding falls back to SkiaSharp (3–5x slower).
        bool installed = File.Exists("/usr/lib/x86_64-linux-gnu/libturbojpeg.so.0") || File.Exists("/usr/lib/aarch64-linux-gnu/libturbojpeg.so.0");
        Assert.Equal(installed && Environment.GetEnvironmentVariable("OPENDESK_NO_TURBOJPEG") != "1", TurboJpeg.IsAvailable);
    }

    /// <summary>A <paramref name="w"/> x <paramref name="h"/> BGRA image whose pixel (x, y) is <paramref name="pixel"/>(x, y).</summary>
    private static byte[] Bgra(int w, int h, Func<int, int, (byte B, byte G, byte R, byte A)> pixel)
    {
        var pixels = new byte[w * h * 4];
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                int o = ((y * w) + x) * 4;
                (pixels[o], pixels[o + 1], pixels[o + 2], pixels[o + 3]) = pixel(x, y);
            }
        }

        return pixels;
    }

    /// <summary>Calls <paramref name="use"/> with a frame over <paramref name="pixels"/>, which stay pinned meanwhile.</summary>
    private static T OnFrame<T>(byte[] pixels, int w, int h, int stride, Func<BgraFrame, T> use)
    {
        GCHandle pin = GCHandle.Alloc(pixels, GCHandleType.Pinned);
        try
        {
            return use(new BgraFrame(pin.AddrOfPinnedObject(), w, h, stride, 0, 0));
        }
        finally
        {
            pin.Free();
        }
    }

    /// <summary><see cref="AreaScaler"/> of the whole <paramref name="w"/> x <paramref name="h"/> image to <paramref name="sw"/> x <paramref name="sh"/>.</summary>
    private static byte[] Scale(byte[] pixels, int w, int h, int sw, int sh)
    {
        var scaled = new byte[sw * sh * 4];
        return OnFrame(pixels, w, h, w * 4, f =>
        {
            AreaScaler.Scale(f, scaled, sw, sh, sw * 4);
            return scaled;
        });
    }

    private static Pixmap MakePng(int w, int h, SKColor colour)
    {
        using var bmp = new SKBitmap(w, h);
        bmp.Erase(colour);
        using SKData data = bmp.Encode(SKEncodedImageFormat.Png, 100);
        return new Pixmap(data.ToArray(), PixmapFormat.Png, w, h, w, h, null, DateTimeOffset.UtcNow);
    }
}
