using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using OpenDesk.Core;
using OpenDesk.Local.Ocr;
using OpenDesk.Local.Tests.Desktop;
using SkiaSharp;

namespace OpenDesk.Local.Tests;

/// <summary>
/// Clicks xcalc's "7" through <see cref="IComputer.Input"/>. xcalc is an Xt/Xaw app without accessibility, so the button
/// is located independently of any known layout: Xaw widgets are X child windows, <c>xwininfo -tree</c> lists their
/// geometry, and the one whose label OCR (LocalComputer's capture and libtesseract) reads as "7" is clicked. The result
/// is checked without OpenDesk: <c>xwd</c> dumps the display widget's window and the <c>tesseract</c> CLI reads it.
/// </summary>
public sealed partial class XcalcTests(DesktopFixture desktop, ITestOutputHelper output) : DesktopTest(desktop)
{
    [Fact]
    public async Task Click_Xcalc7_ShowsSevenOnItsDisplay()
    {
        TesseractOcr ocr = Desktop.Computer.Ocr ?? throw new InvalidOperationException("libtesseract is needed: " + TesseractOcr.UnavailableReason);

        // The only core fonts on a bare Xvfb are the misc 'fixed' ones (xcalc's 8x13 is missing): their 1-pixel strokes at
        // 13 px are not readable by OCR, so xcalc gets a larger scalable font (the same widgets, just bigger labels).
        const string font = "-*-helvetica-bold-r-normal--20-*-*-*-*-*-iso8859-1";
        CompletedCommand fonts = await Computer.Processes.ExecAsync(new ExecCommand(["xlsfonts", "-fn", font], Environment: DisplayEnv()), Wait.Token);
        Assert.True(fonts.ReturnCode == 0 && fonts.Stdout.Length > 0, $"The X server has no {font} (install fonts-urw-base35, see eng/packages.txt).");
        (_, Window calc) = await Apps.StartWithWindowAsync("xcalc", "-geometry", "+420+140",
            "-xrm", "XCalc*Font: " + font,
            "-xrm", "XCalc*Command.width: 64", "-xrm", "XCalc*Command.height: 40");
        await Computer.Windows.FocusAsync(calc.Id, Wait.Token);
        await Wait.UntilAsync(async () => (await Computer.Windows.GetFocusedAsync(Wait.Token))?.Id == calc.Id, "xcalc to have the focus");

        // Buttons are the leaf widget windows of the most common size; the display is another leaf that shows "0".
        List<XChild> leaves = await LeafWindowsAsync(calc.Id);
        IGrouping<(double, double), XChild> buttonSize = leaves.GroupBy(l => (l.Bounds.Width, l.Bounds.Height)).MaxBy(g => g.Count())!;
        List<XChild> buttons = [.. buttonSize];
        List<XChild> others = leaves.Except(buttons).Where(l => l.Bounds.Width > 8).ToList();
        output.WriteLine($"{leaves.Count} leaf windows, {buttons.Count} buttons of {buttonSize.Key}");
        Assert.InRange(buttons.Count, 20, 60);

        XChild lcd = await Wait.ForAsync(
            async () => await FirstReadingAsync(others, "0"),
            "a display widget showing 0 (xwd + tesseract)");
        output.WriteLine($"display widget {lcd.Id} at {lcd.Bounds}");

        XChild seven = await Wait.ForAsync(
            async () =>
            {
                List<(XChild Button, string Text, float Confidence)> read = await ReadButtonsAsync(ocr, buttons);
                output.WriteLine(string.Join(" ", read.Select(r => $"'{r.Text}'")));

                // Should another label (e.g. the square root sign) also read as "7", the surer reading wins.
                return read.Where(r => r.Text == "7").OrderByDescending(r => r.Confidence).Select(r => r.Button).FirstOrDefault();
            },
            "a button labelled 7 (OCR)");
        output.WriteLine($"'7' button {seven.Id} at {seven.Bounds}");

        Point centre = seven.Bounds.Center;
        await Computer.Input.SendPointerAsync(new PointerEvent(PointerAction.Move, centre), Wait.Token);
        await Computer.Input.SendPointerAsync(new PointerEvent(PointerAction.Down, centre, MouseButton.Left), Wait.Token);
        await Computer.Input.SendPointerAsync(new PointerEvent(PointerAction.Up, centre, MouseButton.Left), Wait.Token);

        string shown = string.Empty;
        try
        {
            await Wait.UntilAsync(async () => (shown = await ReadWindowAsync(lcd)) == "7", "xcalc's display to show 7");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message} It shows '{shown}'.", e);
        }
    }

    /// <summary>The first window whose independent reading (xwd + tesseract CLI) is <paramref name="text"/>.</summary>
    private async Task<XChild?> FirstReadingAsync(List<XChild> windows, string text)
    {
        foreach (XChild w in windows)
        {
            if (await ReadWindowAsync(w) == text)
            {
                return w;
            }
        }

        return null;
    }

    /// <summary>Reads each button's label with LocalComputer's capture and OCR (inside the button's border).</summary>
    private async Task<List<(XChild Button, string Text, float Confidence)>> ReadButtonsAsync(TesseractOcr ocr, List<XChild> buttons)
    {
        Pixmap shot = await Computer.Display.CaptureAsync(new CaptureOptions { Format = PixmapFormat.RawRgba }, Wait.Token);
        var result = new List<(XChild, string, float)>();
        foreach (XChild b in buttons)
        {
            Rect inner = new(b.Bounds.X + 4, b.Bounds.Y + 4, b.Bounds.Width - 8, b.Bounds.Height - 8);
            OcrResult r = ocr.Recognize(shot, inner, OcrPageMode.SingleLine);
            result.Add((b, r.Text.Trim(), r.Words.Count > 0 ? r.Words.Max(w => w.Confidence) : 0));
        }

        return result;
    }

    /// <summary>xwd dumps the window (its own contents, whatever covers it); its pixels become a PNG that the tesseract CLI reads as one line.</summary>
    private async Task<string> ReadWindowAsync(XChild window)
    {
        string xwd = Path.Combine(TempDir, "w.xwd"), png = Path.Combine(TempDir, "w.png");
        CompletedCommand dump = await Computer.Processes.ExecAsync(new ExecCommand(["xwd", "-silent", "-id", window.Id, "-out", xwd], Environment: DisplayEnv()), Wait.Token);
        if (dump.ReturnCode != 0)
        {
            return $"(xwd failed: {Encoding.UTF8.GetString(dump.Stderr).Trim()})"; // e.g. an unmapped widget (BadMatch)
        }

        await File.WriteAllBytesAsync(png, XwdToPng(await File.ReadAllBytesAsync(xwd)));
        CompletedCommand read = await Computer.Processes.ExecAsync(new ExecCommand(["tesseract", png, "-", "--psm", "7"], Environment: DisplayEnv()), Wait.Token);
        Assert.True(read.ReturnCode == 0, Encoding.UTF8.GetString(read.Stderr));
        return Encoding.UTF8.GetString(read.Stdout).Trim();
    }

    /// <summary>Converts an XWD dump (ZPixmap, 32 bits per pixel, as Xvfb's 24-bit TrueColor visual gives) to PNG.</summary>
    private static byte[] XwdToPng(byte[] xwd)
    {
        uint Field(int i) => BinaryPrimitives.ReadUInt32BigEndian(xwd.AsSpan(i * 4));
        int headerSize = (int)Field(0), width = (int)Field(4), height = (int)Field(5), byteOrder = (int)Field(7);
        int bitsPerPixel = (int)Field(11), bytesPerLine = (int)Field(12), colours = (int)Field(19);
        Assert.Equal(32, bitsPerPixel);
        int offset = headerSize + (colours * 12);
        using var bmp = new SKBitmap(width, height, SKColorType.Bgra8888, SKAlphaType.Opaque);
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                uint px = byteOrder == 0
                    ? BinaryPrimitives.ReadUInt32LittleEndian(xwd.AsSpan(offset + (y * bytesPerLine) + (x * 4)))
                    : BinaryPrimitives.ReadUInt32BigEndian(xwd.AsSpan(offset + (y * bytesPerLine) + (x * 4)));
                bmp.SetPixel(x, y, new SKColor((byte)(px >> 16), (byte)(px >> 8), (byte)px));
            }
        }

        using SKData data = bmp.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>The leaf windows under <paramref name="windowId"/> with desktop bounds, from <c>xwininfo -tree</c>.</summary>
    private async Task<List<XChild>> LeafWindowsAsync(string windowId)
    {
        CompletedCommand r = await Computer.Processes.ExecAsync(new ExecCommand(["xwininfo", "-tree", "-id", windowId], Environment: DisplayEnv()), Wait.Token);
        Assert.Equal(0, r.ReturnCode);
        var windows = new List<(int Depth, XChild Window)>();
        foreach (string line in Encoding.UTF8.GetString(r.Stdout).Split('\n'))
        {
            // e.g. "        0x200052 (has no name): ()  64x40+4+82  +5+83": size, position in the parent, position on the desktop.
            Match m = ChildLine().Match(line);
            if (m.Success)
            {
                int I(string g) => int.Parse(m.Groups[g].Value, CultureInfo.InvariantCulture);
                windows.Add((m.Groups["indent"].Length, new XChild(m.Groups["id"].Value, new Rect(I("ax"), I("ay"), I("w"), I("h")))));
            }
        }

        // A window is a leaf when the next listed window is not deeper.
        return windows.Where((w, i) => i == windows.Count - 1 || windows[i + 1].Depth <= w.Depth).Select(w => w.Window).ToList();
    }

    [GeneratedRegex(@"^(?<indent>\s+)(?<id>0x[0-9a-f]+) .*?\s(?<w>\d+)x(?<h>\d+)[+-]-?\d+[+-]-?\d+\s+\+(?<ax>-?\d+)\+(?<ay>-?\d+)\s*$")]
    private static partial Regex ChildLine();

    private sealed record XChild(string Id, Rect Bounds);
}
