using OpenDesk.Core;
using OpenDesk.Local.Ocr;
using OpenDesk.Local.Tests.Desktop;
using SkiaSharp;

namespace OpenDesk.Local.Tests;

public sealed class OcrTests(DesktopFixture desktop, ITestOutputHelper output) : DesktopTest(desktop)
{
    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        Assert.True(TesseractOcr.IsAvailable, TesseractOcr.UnavailableReason);
    }

    [Fact]
    public void Recognize_RenderedLine_ReadsTextWithWordBoxesWhereTheyWereDrawn()
    {
        const string text = "OpenDesk reads Screen Text 2026";
        using var font = new SKFont(SKTypeface.FromFamilyName("DejaVu Sans"), 40);
        byte[] png;
        float x = 20, baseline = 90;
        using (var bmp = new SKBitmap(900, 160))
        {
            using var canvas = new SKCanvas(bmp);
            canvas.Clear(SKColors.White);
            using var paint = new SKPaint { Color = SKColors.Black, IsAntialias = true };
            canvas.DrawText(text, x, baseline, font, paint);
            using SKData data = bmp.Encode(SKEncodedImageFormat.Png, 100);
            png = data.ToArray();
        }

        using TesseractOcr ocr = TesseractOcr.Create();
        OcrResult r = ocr.Recognize(png, mode: OcrPageMode.SingleLine);
        output.WriteLine($"'{r.Text}' in {r.Duration.TotalMilliseconds:0} ms");
        foreach (OcrWord w in r.Words)
        {
            output.WriteLine($"  {w.Text} {w.Confidence:0} {w.Box}");
        }

        Assert.Equal(text, r.Text);
        Assert.Equal(text.Split(' '), r.Words.Select(w => w.Text));
        Assert.All(r.Words, w => Assert.True(w.Confidence > 70, $"{w.Text} {w.Confidence}"));

        // "OpenDesk" starts at x=20 and sits on the baseline at y=90.
        Rect first = r.Words[0].Box;
        Assert.InRange(first.X, x - 4, x + 6);
        Assert.InRange(first.Bottom, baseline - 3, baseline + 12);
        float readsX = x + font.MeasureText("OpenDesk ");
        Assert.InRange(r.Words[1].Box.X, readsX - 6, readsX + 6);

        // Region OCR: boxes stay in whole-image pixels.
        OcrResult right = ocr.Recognize(png, new Rect(readsX - 5, 0, 900 - readsX + 5, 160), OcrPageMode.SingleLine);
        Assert.Equal("reads Screen Text 2026", right.Text);
        Assert.InRange(right.Words[0].Box.X, readsX - 6, readsX + 6);
    }

    [Fact]
    public async Task Recognize_XtermLineOnTheScreen_WithBoxesInsideTheWindow()
    {
        (_, Window w) = await Apps.StartWithWindowAsync("xterm", "-geometry", "60x8+300+200", "-fa", "DejaVu Sans Mono", "-fs", "14",
            "-T", "ocr-term", "-e", "sh", "-c", "echo HELLO OPENDESK 2026; echo The quick brown fox; exec sleep 600");
        Assert.NotNull(Desktop.Computer.Ocr);
        Rect frame = w.Bounds!.Value;
        OcrResult result = await Wait.ForAsync(async () =>
        {
            // The bounds as they are now: the window manager may still move the window it has just mapped.
            frame = (await Desktop.Computer.Windows.ListAsync(Wait.Token)).FirstOrDefault(x => x.Id == w.Id)?.Bounds ?? frame;
            Pixmap shot = await Desktop.Computer.Display.CaptureAsync(new CaptureOptions(Region: frame), Wait.Token);
            OcrResult r = Desktop.Computer.Ocr!.Recognize(shot);
            return r.Words.Any(x => x.Text == "OPENDESK") && r.Text.Contains("The quick brown fox", StringComparison.Ordinal) ? r : null;
        }, "OCR to read both xterm lines (the shell writes them one at a time)");
        output.WriteLine($"'{result.Text}' in {result.Duration.TotalMilliseconds:0} ms");
        OcrWord hello = result.Words.First(x => x.Text == "HELLO");
        OcrWord opendesk = result.Words.First(x => x.Text == "OPENDESK");

        // Boxes are in the image of the region; + region origin = desktop space, inside the window, on one line.
        Assert.True(hello.Box.X < opendesk.Box.X);
        Assert.InRange(opendesk.Box.Y - hello.Box.Y, -3, 3);
        var desktopBox = new Rect(frame.X + hello.Box.X, frame.Y + hello.Box.Y, hello.Box.Width, hello.Box.Height);
        Assert.True(frame.Contains(desktopBox.Center));
        Assert.True(desktopBox.Y < frame.Y + 60, $"first line near the top: {desktopBox}");

        // The full 1920x1080 screen too.
        Pixmap full = await Desktop.Computer.Display.CaptureAsync(new CaptureOptions { Format = PixmapFormat.Png }, Wait.Token);
        OcrResult screen = Desktop.Computer.Ocr!.Recognize(full);
        output.WriteLine($"full screen OCR: {screen.Words.Count} words in {screen.Duration.TotalMilliseconds:0} ms");
        OcrWord onScreen = screen.Words.First(x => x.Text == "OPENDESK");
        Assert.True(frame.Contains(onScreen.Box.Center), $"{onScreen.Box} in {frame}");
    }

    [Fact]
    public async Task Recognize_SmallXcalcOnABigBlackScreen_ReadsItsDisplayWhereItIs()
    {
        // The eval's app-open screen: xcalc with its default (small) font alone on the black 1920x1080 desktop. Read
        // whole, Tesseract takes the window for a picture and recognises nothing.
        await BlackRootAsync();
        (_, Window calc) = await Apps.StartWithWindowAsync("xcalc", "-geometry", "+838+362");
        Rect frame = calc.Bounds!.Value;
        using Screen shot = await Wait.ForAsync(() => RecognizeScreenUntilAsync("DEG"), "OCR of the whole screen to read xcalc's DEG");
        (OcrResult screen, SKBitmap screenPixels) = (shot.Result, shot.Pixels);
        Assert.Equal(SKColors.Black, screenPixels.GetPixel(5, 1075));
        output.WriteLine($"{screen.Words.Count} words in {screen.Duration.TotalMilliseconds:0} ms: {screen.Text.ReplaceLineEndings(" | ")}");

        // DEG is in the display at the top of the window, and its box is the box of its ink.
        OcrWord deg = screen.Words.First(x => x.Text == "DEG");
        Assert.True(frame.Contains(deg.Box.Center), $"{deg.Box} in {frame}");
        Assert.True(deg.Box.Y < frame.Y + 90, $"DEG in the display at the top: {deg.Box} in {frame}");
        AssertBoxFitsInk(screenPixels, deg);
        Assert.Contains(screen.Words, x => x.Text == "DEC" && Math.Abs(x.Box.Center.Y - deg.Box.Center.Y) < 4 && x.Box.X > deg.Box.Right);
    }

    [Fact]
    public async Task Recognize_TerminalLineOnABigBlackScreen_ReadsTheWholeLineWithTightBoxes()
    {
        // The eval's xterm-read-token screen: one light terminal on the black desktop. Read whole, Tesseract drops the
        // words at the window's left edge ("The secret:").
        await BlackRootAsync();
        (_, Window term) = await Apps.StartWithWindowAsync("xterm", "-geometry", "90x16+40+40", "-fa", "DejaVu Sans Mono", "-fs", "14",
            "-T", "ocr-secret", "-e", "sh", "-c", "echo 'The secret: marble summit'; exec sleep 600");
        Rect frame = term.Bounds!.Value;
        using Screen shot = await Wait.ForAsync(() => RecognizeScreenUntilAsync("summit"), "OCR of the whole screen to read the terminal line");
        (OcrResult screen, SKBitmap screenPixels) = (shot.Result, shot.Pixels);
        output.WriteLine($"{screen.Words.Count} words in {screen.Duration.TotalMilliseconds:0} ms: {screen.Text.ReplaceLineEndings(" | ")}");

        Assert.Contains("The secret: marble summit", screen.Text.Split('\n'));
        OcrWord[] line = [.. "The secret: marble summit".Split(' ').Select(t => screen.Words.First(x => x.Text == t))];
        for (int i = 0; i < line.Length; i++)
        {
            Assert.True(frame.Contains(line[i].Box.Center), $"{line[i].Text} {line[i].Box} in {frame}");
            Assert.InRange(line[i].Box.Bottom - line[0].Box.Bottom, -3, 3);
            Assert.True(i == 0 || line[i].Box.X > line[i - 1].Box.Right, "left to right");
            AssertBoxFitsInk(screenPixels, line[i]);
        }
    }

    [Fact]
    public void ContentRegions_FindsWindowsOnAPlainBackground_AndReadsBusyImagesWhole()
    {
        const int w = 800, h = 500;
        byte[] Screen(Action<byte[]> draw)
        {
            var px = new byte[w * h * 4];
            for (int i = 3; i < px.Length; i += 4)
            {
                px[i] = 255;
            }

            draw(px);
            return px;
        }

        void Fill(byte[] px, int x, int y, int rw, int rh, byte v)
        {
            for (int yy = y; yy < y + rh; yy++)
            {
                px.AsSpan(((yy * w) + x) * 4, rw * 4).Fill(v);
            }
        }

        // Two windows (one with a dark glyph block in it) and a 3x3 speck on black.
        byte[] sparse = Screen(px =>
        {
            Fill(px, 100, 80, 300, 200, 255);
            Fill(px, 120, 100, 40, 12, 0);
            Fill(px, 520, 300, 150, 120, 200);
            Fill(px, 760, 20, 3, 3, 255);
        });
        IReadOnlyList<PixelRect>? regions = ContentRegions.Find(sparse, w * 4, 0, 0, w, h);
        Assert.Equal([new PixelRect(100, 80, 300, 200), new PixelRect(520, 300, 150, 120)], regions);

        // The same inside a sub-area: boxes are relative to it.
        Assert.Equal([new PixelRect(60, 40, 300, 200)], ContentRegions.Find(sparse, w * 4, 40, 40, 460, 440));

        // Words of a line a few pixels apart stay one region.
        byte[] words = Screen(px =>
        {
            Fill(px, 50, 50, 30, 10, 255);
            Fill(px, 86, 50, 40, 10, 255);
            Fill(px, 50, 64, 50, 10, 255);
        });
        Assert.Equal([new PixelRect(50, 50, 76, 24)], ContentRegions.Find(words, w * 4, 0, 0, w, h));

        Assert.Empty(ContentRegions.Find(Screen(_ => { }), w * 4, 0, 0, w, h)!);

        // Content over 60% of the screen, or no dominant colour: read whole.
        Assert.Null(ContentRegions.Find(Screen(px => Fill(px, 0, 0, 700, 450, 255)), w * 4, 0, 0, w, h));
        var random = new Random(7);
        byte[] noise = Screen(px => random.NextBytes(px));
        Assert.Null(ContentRegions.Find(noise, w * 4, 0, 0, w, h));
    }

    [Fact]
    public void Lines_GroupsWordsByRow_LeftToRight()
    {
        OcrWord W(string t, double x, double y, double height = 14) => new(t, 90, new Rect(x, y, 30, height));
        List<List<OcrWord>> lines = TesseractOcr.Lines([W("b", 60, 101), W("c", 10, 130), W("a", 10, 100), W("d", 50, 128, 16)]);
        Assert.Equal(["a b", "c d"], lines.Select(l => string.Join(' ', l.Select(x => x.Text))));
    }

    [Fact]
    public void Upscale2x_KeepsFlatAreasAndDoublesTheSize()
    {
        byte[] src = [10, 10, 200, 200, 10, 10, 200, 200];
        byte[] up = TesseractOcr.Upscale2x(src, 4, 2, 1);
        Assert.Equal(8 * 4, up.Length);
        Assert.Equal([10, 10, 10, 58, 153, 200, 200, 200], up.AsSpan(0, 8).ToArray());
        Assert.Equal(up.AsSpan(0, 8).ToArray(), up.AsSpan(24, 8).ToArray());
    }

    /// <summary>The sparse-screen cases need the black desktop of the evals (the desktop is shared with other tests).</summary>
    private async Task BlackRootAsync()
    {
        CompletedCommand r = await Computer.Processes.ExecAsync(new ExecCommand(["xsetroot", "-solid", "black"], Environment: DisplayEnv()), Wait.Token);
        Assert.Equal(0, r.ReturnCode);
    }

    /// <summary>OCR of the whole 1920x1080 screen (and its pixels) when it lists <paramref name="word"/>, else null.</summary>
    private async Task<Screen?> RecognizeScreenUntilAsync(string word)
    {
        Pixmap full = await Desktop.Computer.Display.CaptureAsync(new CaptureOptions { Format = PixmapFormat.Png }, Wait.Token);
        Assert.Equal((1920, 1080), (full.Width, full.Height));
        OcrResult r = Desktop.Computer.Ocr!.Recognize(full);
        return r.Words.Any(x => x.Text == word) ? new Screen(r, SKBitmap.Decode(full.Data)) : null;
    }

    private sealed record Screen(OcrResult Result, SKBitmap Pixels) : IDisposable
    {
        public void Dispose() => Pixels.Dispose();
    }

    /// <summary>
    /// The word's box is the box of the dark pixels around it within 2 px (looked for 1 px beyond the box: a shifted or
    /// scaled box has ink clipped on one side and none on the other; further out is the window frame).
    /// </summary>
    private void AssertBoxFitsInk(SKBitmap screen, OcrWord word)
    {
        Rect b = word.Box;
        int x0 = Math.Max(0, (int)b.X - 1), y0 = Math.Max(0, (int)b.Y - 1);
        int x1 = Math.Min(screen.Width - 1, (int)Math.Ceiling(b.Right) + 1), y1 = Math.Min(screen.Height - 1, (int)Math.Ceiling(b.Bottom) + 1);
        int l = int.MaxValue, t = int.MaxValue, r = -1, bottom = -1;
        for (int y = y0; y <= y1; y++)
        {
            for (int x = x0; x <= x1; x++)
            {
                SKColor c = screen.GetPixel(x, y);
                if ((c.Red * 77) + (c.Green * 150) + (c.Blue * 29) < 110 * 256)
                {
                    (l, t, r, bottom) = (Math.Min(l, x), Math.Min(t, y), Math.Max(r, x + 1), Math.Max(bottom, y + 1));
                }
            }
        }

        output.WriteLine($"  {word.Text}: box {b}, ink {r - l}x{bottom - t} at ({l}, {t})");
        Assert.True(r > 0, $"no ink around '{word.Text}' at {b}");
        Assert.InRange(b.X - l, -2, 2);
        Assert.InRange(b.Y - t, -2, 2);
        Assert.InRange(b.Right - r, -2, 2);
        Assert.InRange(b.Bottom - bottom, -2, 2);
    }
}
