using OpenDesk.Core;
using OpenDesk.Local.Ocr;
using OpenDesk.Local.Tests.Desktop;
using SkiaSharp;

namespace OpenDesk.Local.Tests;

public sealed class OcrTests(DesktopFixture desktop, ITestOutputHelper output) : IAsyncLifetime
{
    private readonly TestApps _apps = new(desktop);

    public ValueTask InitializeAsync()
    {
        DesktopFixture.RequireDesktop();
        Assert.True(TesseractOcr.IsAvailable, TesseractOcr.UnavailableReason);
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => _apps.DisposeAsync();

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
        (_, Window w) = await _apps.StartWithWindowAsync("xterm", "-geometry", "60x8+300+200", "-fa", "DejaVu Sans Mono", "-fs", "14",
            "-T", "ocr-term", "-e", "sh", "-c", "echo HELLO OPENDESK 2026; echo The quick brown fox; exec sleep 600");
        Assert.NotNull(desktop.Computer.Ocr);
        Rect frame = w.Bounds!.Value;
        OcrResult result = await Wait.ForAsync(async () =>
        {
            Pixmap shot = await desktop.Computer.Display.CaptureAsync(new CaptureOptions(Region: frame), Wait.Token);
            OcrResult r = desktop.Computer.Ocr!.Recognize(shot);
            return r.Words.Any(x => x.Text == "OPENDESK") ? r : null;
        }, "OCR to read the xterm line");
        output.WriteLine($"'{result.Text}' in {result.Duration.TotalMilliseconds:0} ms");
        OcrWord hello = result.Words.First(x => x.Text == "HELLO");
        OcrWord opendesk = result.Words.First(x => x.Text == "OPENDESK");
        Assert.Contains("The quick brown fox", result.Text, StringComparison.Ordinal);

        // Boxes are in the image of the region; + region origin = desktop space, inside the window, on one line.
        Assert.True(hello.Box.X < opendesk.Box.X);
        Assert.InRange(opendesk.Box.Y - hello.Box.Y, -3, 3);
        var desktopBox = new Rect(frame.X + hello.Box.X, frame.Y + hello.Box.Y, hello.Box.Width, hello.Box.Height);
        Assert.True(frame.Contains(desktopBox.Center));
        Assert.True(desktopBox.Y < frame.Y + 60, $"first line near the top: {desktopBox}");

        // The full 1920x1080 screen too.
        Pixmap full = await desktop.Computer.Display.CaptureAsync(new CaptureOptions { Format = PixmapFormat.Png }, Wait.Token);
        OcrResult screen = desktop.Computer.Ocr!.Recognize(full);
        output.WriteLine($"full screen OCR: {screen.Words.Count} words in {screen.Duration.TotalMilliseconds:0} ms");
        OcrWord onScreen = screen.Words.First(x => x.Text == "OPENDESK");
        Assert.True(frame.Contains(onScreen.Box.Center), $"{onScreen.Box} in {frame}");
    }
}
