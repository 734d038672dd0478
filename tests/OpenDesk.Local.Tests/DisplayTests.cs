using System.Diagnostics;
using OpenDesk.Core;
using OpenDesk.Local.Imaging;
using OpenDesk.Local.Tests.Desktop;
using SkiaSharp;

namespace OpenDesk.Local.Tests;

public sealed class DisplayTests(DesktopFixture desktop, ITestOutputHelper output) : DesktopTest(desktop)
{
    [Fact]
    public async Task Manifest_AdvertisesWhatWorks_WithCaptureExtensionLimits()
    {
        CapabilityManifest m = await Computer.GetCapabilitiesAsync(Wait.Token);
        output.WriteLine(string.Join(", ", m.Capabilities));
        foreach (var kv in Desktop.Computer.UnavailableReasons)
        {
            output.WriteLine($"unavailable {kv.Key}: {kv.Value}");
        }

        Assert.Equal("local/linux", m.Backend);
        foreach (Capability c in new[] { Capability.DisplayCapture, Capability.DisplayStream, Capability.InputPointer, Capability.InputKeyboard,
            Capability.InputText, Capability.WindowsList, Capability.WindowsManipulate, Capability.AppLifecycle, Capability.FsRead, Capability.FsWrite,
            Capability.ProcessList, Capability.ProcessShell, Capability.ProcessSpawn })
        {
            Assert.True(m.Has(c), $"{c} advertised");
        }

        Assert.False(m.Has(Capability.NotificationsList));
        Assert.False(m.Has(Capability.PowerLock)); // no screen locker runs under Xvfb
        Assert.All(m.Capabilities, c => Assert.True(c.IsKnown));
        Assert.Equal(30, m.GetLimit(Capability.DisplayStream, "max_fps"));
        Assert.Equal(true, m.GetLimit(Capability.DisplayCapture, "max_size"));
        Assert.Contains("jpeg", (string[])m.GetLimit(Capability.DisplayCapture, "encode")!);
        Assert.Equal(Desktop.Display.DisplayName, m.GetLimit(Capability.DisplayCapture, "x11_display"));
        Assert.Equal(true, m.GetLimit(Capability.DisplayCapture, "shm"));
    }

    [Fact]
    public async Task Displays_FromXRandR_OnePrimaryMonitorSpanningTheScreen()
    {
        IReadOnlyList<Display> displays = await Computer.Display.GetDisplaysAsync(Wait.Token);
        Display d = Assert.Single(displays);
        output.WriteLine(d.ToString());
        Assert.True(d.Primary);
        Assert.Equal(new Rect(0, 0, 1920, 1080), d.Bounds);
        Assert.False(string.IsNullOrEmpty(d.Id));
        EnvironmentInfo env = await Computer.GetEnvironmentAsync(Wait.Token);
        Assert.Equal("linux", env.Os);
        Assert.Single(env.Displays);
    }

    [Fact]
    public async Task Capture_RootColourAndWindowColour_AtKnownDesktopCoordinates()
    {
        await SetRootColourAsync("#102030");
        try
        {
            (_, Window red) = await Apps.StartWithWindowAsync("xterm", "-bg", "#FF0000", "-fg", "#FF0000", "-geometry", "40x10+600+300", "-T", "red-pattern");
            Rect b = red.Bounds!.Value;

            // Wait until the server has painted the xterm (capture is of the framebuffer).
            Point centre = b.Center;
            await Wait.UntilAsync(async () => (await PixelAsync(centre)) == (255, 0, 0), "the red xterm to be painted");
            Assert.Equal((0x10, 0x20, 0x30), await PixelAsync(new Point(100, 900)));

            // A region capture has the region's logical size and the expected content.
            var region = new Rect(b.X - 20, b.Y + (b.Height / 2), 40, 10);
            Pixmap raw = await Computer.Display.CaptureAsync(new CaptureOptions(Region: region) { Format = PixmapFormat.RawRgba }, Wait.Token);
            Assert.Equal((40, 10, 40, 10), (raw.Width, raw.Height, raw.LogicalWidth, raw.LogicalHeight));
            Assert.Equal((byte)0x10, raw.Data[0]);
            Assert.Equal((byte)0x20, raw.Data[1]);
            int last = ((5 * 40) + 39) * 4;
            Assert.Equal((byte)255, raw.Data[last]);
            Assert.Equal((byte)0, raw.Data[last + 1]);
        }
        finally
        {
            // The desktop is shared by the collection: later tests (OCR of sparse screens) expect the black root back.
            await SetRootColourAsync("black");
        }
    }

    [Fact]
    public async Task Capture_DefaultPng_MaxSizeScales_JpegDecodes()
    {
        Pixmap png = await Computer.Display.CaptureAsync(CaptureOptions.Default, Wait.Token);
        Assert.Equal(PixmapFormat.Png, png.Format);
        Assert.Equal((1920, 1080), (png.Width, png.Height));
        using (SKBitmap bmp = SKBitmap.Decode(png.Data))
        {
            Assert.Equal((1920, 1080), (bmp.Width, bmp.Height));
        }

        Pixmap jpeg = await Computer.Display.CaptureAsync(new CaptureOptions { Format = PixmapFormat.Jpeg, MaxWidth = 1456, MaxHeight = 819 }, Wait.Token);
        Assert.Equal("image/jpeg", jpeg.MimeType);
        Assert.Equal((1456, 819, 1920, 1080), (jpeg.Width, jpeg.Height, jpeg.LogicalWidth, jpeg.LogicalHeight));
        Assert.Equal(0xFF, jpeg.Data[0]);
        Assert.Equal(0xD8, jpeg.Data[1]);
        using (SKBitmap bmp = SKBitmap.Decode(jpeg.Data))
        {
            Assert.Equal((1456, 819), (bmp.Width, bmp.Height));
        }

        // Never upscaled.
        Pixmap small = await Computer.Display.CaptureAsync(new CaptureOptions(Region: new Rect(10, 10, 100, 50)) { MaxWidth = 4000 }, Wait.Token);
        Assert.Equal((100, 50), (small.Width, small.Height));

        // By display id.
        Display d = (await Computer.Display.GetDisplaysAsync(Wait.Token))[0];
        Pixmap byDisplay = await Computer.Display.CaptureAsync(new CaptureOptions(DisplayId: d.Id) { Format = PixmapFormat.Jpeg }, Wait.Token);
        Assert.Equal(d.Id, byDisplay.DisplayId);
        await Assert.ThrowsAsync<NotFoundException>(async () => await Computer.Display.CaptureAsync(new CaptureOptions(DisplayId: "nope"), Wait.Token));
    }

    [Fact]
    public async Task Fingerprint_SeesOneCharacterChange_AndSettles()
    {
        (Process _, Window w) = await Apps.StartWithWindowAsync("xterm", "-geometry", "40x5+100+100", "-T", "fp-term");
        await Computer.Windows.FocusAsync(w.Id, Wait.Token);
        await Wait.UntilAsync(async () => (await Computer.Windows.GetFocusedAsync(Wait.Token))?.Id == w.Id, "xterm focus");
        SettleResult settled = await Desktop.Computer.WaitForSettleAsync(null, TimeSpan.FromSeconds(5));
        Assert.True(settled.Stable, $"not stable after {settled.Elapsed}");
        ScreenFingerprint before = Desktop.Computer.GetFingerprint();
        Assert.Equal(before, Desktop.Computer.GetFingerprint());
        await Computer.Input.TypeTextAsync(new TextInput("x", 0), Wait.Token);

        // The echo goes through the pty and bash before xterm draws it, which can take longer than a settle sample (50 ms).
        await Wait.UntilAsync(() => !Desktop.Computer.GetFingerprint().Equals(before), "the typed x to show");
        SettleResult after = await Desktop.Computer.WaitForSettleAsync(before, TimeSpan.FromSeconds(5));
        Assert.True(after.Changed, $"no change seen after typing (stable={after.Stable}, {after.Elapsed})");
        double diff = after.Last.Difference(before);
        output.WriteLine($"diff {diff:P3}, area {after.Last.ChangedArea(before)}");
        Assert.InRange(diff, 1e-6, 0.01);
        Rect area = after.Last.ChangedArea(before)!.Value;
        Assert.True(w.Bounds!.Value.Intersect(area).Width > 0, "the change is inside the xterm");

        // Encoded images fingerprint too (PNG is lossless: same pixels, same fingerprint).
        Pixmap png = await Computer.Display.CaptureAsync(CaptureOptions.Default, Wait.Token);
        ScreenFingerprint live = Desktop.Computer.GetFingerprint(), decoded = ScreenFingerprint.FromPixmap(png);
        output.WriteLine($"png vs live: {decoded.Difference(live):P3} {decoded.ChangedArea(live)}");
        Assert.Equal(live, decoded);
    }

    [Fact]
    public async Task Subscribe_DeliversJpegFramesAtTheRequestedRate_AndStopsOnCancel()
    {
        using var cts = new CancellationTokenSource();
        var frames = new List<DisplayFrame>();
        var sw = Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (DisplayFrame f in Computer.Display.SubscribeAsync(new DisplayStreamOptions(Fps: 100, Region: new Rect(0, 0, 640, 360)), cts.Token))
            {
                frames.Add(f);
                if (frames.Count == 10)
                {
                    cts.Cancel();
                }
            }
        });
        sw.Stop();
        Assert.Equal(10, frames.Count);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), frames.Select(f => f.FrameNumber));
        Assert.All(frames, f => Assert.Equal(PixmapFormat.Jpeg, f.Pixmap.Format));

        // Capped at 30 fps: 10 frames need at least 9 intervals of 33 ms.
        output.WriteLine($"10 frames in {sw.ElapsedMilliseconds} ms");
        Assert.True(sw.ElapsedMilliseconds >= 280, $"{sw.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task CursorPosition_FollowsPointerMoves()
    {
        await Computer.Input.SendPointerAsync(new PointerEvent(PointerAction.Move, new Point(400, 300)), Wait.Token);
        Assert.Equal(new Point(400, 300), await Computer.Display.GetCursorPositionAsync(Wait.Token));
        await Computer.Input.SendPointerAsync(new PointerEvent(PointerAction.Move, new Point(1919, 0)), Wait.Token);
        Assert.Equal(new Point(1919, 0), await Computer.Display.GetCursorPositionAsync(Wait.Token));
    }

    private async Task<(int R, int G, int B)> PixelAsync(Point p)
    {
        Pixmap px = await Computer.Display.CaptureAsync(new CaptureOptions(Region: new Rect(p.X, p.Y, 1, 1)) { Format = PixmapFormat.RawRgba }, Wait.Token);
        return (px.Data[0], px.Data[1], px.Data[2]);
    }

    private async Task SetRootColourAsync(string colour)
    {
        CompletedCommand r = await Computer.Processes.ExecAsync(new ExecCommand(["xsetroot", "-solid", colour], Environment: DisplayEnv()), Wait.Token);
        Assert.Equal(0, r.ReturnCode);
    }
}
