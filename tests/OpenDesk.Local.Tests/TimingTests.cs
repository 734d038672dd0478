using System.Diagnostics;
using OpenDesk.Core;
using OpenDesk.Local.Imaging;
using OpenDesk.Local.Tests.Desktop;

namespace OpenDesk.Local.Tests;

/// <summary>Measures capture, encode, fingerprint, input and AT-SPI timings on the test desktop (medians in the test output).</summary>
public sealed class TimingTests(DesktopFixture desktop, ITestOutputHelper output) : DesktopTest(desktop)
{
    private const int N = 15;

    [Fact]
    public async Task Timings_CaptureEncodeFingerprintInputTree()
    {
        // Something on the screen: two terminals full of text and a GTK dialog.
        await Apps.StartWithWindowAsync("xterm", "-geometry", "120x40+0+0", "-e", "sh", "-c", "ls -la /usr/bin | head -60; exec sleep 600");
        await Apps.StartWithWindowAsync("xterm", "-geometry", "100x30+900+300", "-e", "sh", "-c", "seq 1 2000 | paste -sd' ' | fold -w 95; exec sleep 600");
        (_, Window dialog) = await Apps.StartWithWindowAsync("zenity", "--entry", "--title", "Timing", "--text", "Type here");
        await Desktop.Computer.WaitForSettleAsync(null, TimeSpan.FromSeconds(3));
        IComputer c = Desktop.Computer;
        CancellationToken ct = Wait.Token;

        double grab = await Median(async () => await c.Display.CaptureAsync(new CaptureOptions(Region: new Rect(0, 0, 1, 1)) { Format = PixmapFormat.RawRgba }, ct));
        double fingerprint = await Median(() => Task.FromResult(Desktop.Computer.GetFingerprint()));
        int jpegSize = 0, pngSize = 0, modelSize = 0;
        double jpeg = await Median(async () => jpegSize = (await c.Display.CaptureAsync(new CaptureOptions { Format = PixmapFormat.Jpeg }, ct)).Data.Length);
        double model = await Median(async () => modelSize = (await c.Display.CaptureAsync(new CaptureOptions { Format = PixmapFormat.Jpeg, MaxWidth = 1456, MaxHeight = 819 }, ct)).Data.Length);
        double png = await Median(async () => pngSize = (await c.Display.CaptureAsync(new CaptureOptions { Format = PixmapFormat.Png }, ct)).Data.Length);
        double click = await Median(async () =>
        {
            await c.Input.SendPointerAsync(new PointerEvent(PointerAction.Move, new Point(1900, 1060)), ct);
            await c.Input.SendPointerAsync(new PointerEvent(PointerAction.Down, new Point(1900, 1060)), ct);
            await c.Input.SendPointerAsync(new PointerEvent(PointerAction.Up, new Point(1900, 1060)), ct);
        });

        // The same encoder on an in-memory bitmap (no capture), to separate encode cost from capture cost.
        using var bitmap = SkiaSharp.SKBitmap.Decode((await c.Display.CaptureAsync(CaptureOptions.Default, ct)).Data);
        double jpegOnly = await Median(() =>
        {
            using SkiaSharp.SKData d = bitmap.PeekPixels().Encode(new SkiaSharp.SKJpegEncoderOptions(80, SkiaSharp.SKJpegEncoderDownsample.Downsample420, SkiaSharp.SKJpegEncoderAlphaOption.Ignore))!;
            return Task.FromResult(d.Size);
        });

        var pixels = new byte[1920 * 1080 * 4];
        Random.Shared.NextBytes(pixels);
        double fpPure = await Median(() => Task.FromResult(ScreenFingerprint.FromBgra(pixels, 1920, 1080, 1920 * 4)));

        UIElement? tree = null;
        await Wait.UntilAsync(async () =>
        {
            try
            {
                tree = await c.UI.GetTreeAsync(new UITreeQuery(WindowId: dialog.Id), ct);
                return tree.DescendantsAndSelf().Any(e => e.Name == "OK");
            }
            catch (NotFoundException)
            {
                return false;
            }
        }, "the dialog's tree");
        double atspi = await Median(async () => tree = await c.UI.GetTreeAsync(new UITreeQuery(WindowId: dialog.Id), ct));

        output.WriteLine($"Medians of {N} (1920x1080x24 Xvfb, build {(IsDebug() ? "Debug" : "Release")}):");
        output.WriteLine($"  XShm grab (1x1 raw region of a full-screen grab): {grab:0.00} ms");
        output.WriteLine($"  grab + fingerprint (full screen): {fingerprint:0.00} ms; fingerprint only (random 1920x1080 buffer): {fpPure:0.00} ms");
        output.WriteLine($"  capture + JPEG q80 1920x1080: {jpeg:0.0} ms ({jpegSize / 1024} KiB)");
        output.WriteLine($"  JPEG q80 encode only, same screen from memory: {jpegOnly:0.0} ms; machine load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]} on {Environment.ProcessorCount} cores");
        output.WriteLine($"  capture + scale 1456x819 + JPEG q80: {model:0.0} ms ({modelSize / 1024} KiB)");
        output.WriteLine($"  capture + PNG 1920x1080: {png:0.0} ms ({pngSize / 1024} KiB)");
        output.WriteLine($"  pointer move+down+up (XTest + XSync): {click:0.00} ms");
        output.WriteLine($"  AT-SPI tree of a zenity entry dialog ({tree!.DescendantsAndSelf().Count()} nodes): {atspi:0.0} ms");
        Assert.True(grab < 50);
    }

    private static bool IsDebug()
    {
#if DEBUG
        return true;
#else
        return false;
#endif
    }

    private static async Task<double> Median(Func<Task> action)
    {
        await action(); // warm-up
        var times = new double[N];
        for (int i = 0; i < N; i++)
        {
            var sw = Stopwatch.StartNew();
            await action();
            times[i] = sw.Elapsed.TotalMilliseconds;
        }

        Array.Sort(times);
        return times[N / 2];
    }

    private static Task<double> Median<T>(Func<Task<T>> action) => Median(async () => { _ = await action(); });
}
