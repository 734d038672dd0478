using System.Diagnostics;
using OpenDesk.Core;
using OpenDesk.Local;
using OpenDesk.Local.Ocr;
using OpenDesk.Serve.Demo;

namespace OpenDesk.Evals;

/// <summary>
/// In-process figures through <see cref="LocalComputer"/> on the bench desktop, next to the capture path: click round
/// trip, the AT-SPI tree of a GTK dialog, and OCR of the text-heavy terminal screen.
/// </summary>
internal sealed partial class Bench
{
    /// <summary>
    /// Click round trip: <c>SendPointerAsync</c> down + up (each XTest request is followed by <c>XSync</c>, so the call
    /// returns once the X server has processed it), and the same click until a real client (<c>xev</c>) has printed the
    /// <c>ButtonRelease</c> it received.
    /// </summary>
    private async Task ClickRoundTripAsync(Desktop desktop, CancellationToken ct)
    {
        await using LocalComputer local = LocalComputer.Create(new LocalComputerOptions
        {
            DisplayName = desktop.DisplayName, UseVirtualDisplay = false, EnableOcr = false, EnableAccessibility = false,
        });
        await using ChildProcess xev = ChildProcess.Start("xev", ChildProcess.Which("xev") ?? "xev",
            ["-event", "button", "-geometry", "300x200+1500+700"], desktop.Environment, rawStdio: true);
        _ = await desktop.WaitForWindowAsync("^Event Tester$");
        StreamReader events = xev.Process.StandardOutput;
        var point = new Point(1650, 800);
        await local.Input.SendPointerAsync(new PointerEvent(PointerAction.Move, point), ct);

        async Task ClickAsync()
        {
            await local.Input.SendPointerAsync(new PointerEvent(PointerAction.Down, point, MouseButton.Left), ct);
            await local.Input.SendPointerAsync(new PointerEvent(PointerAction.Up, point, MouseButton.Left), ct);
        }

        async Task UntilReleaseAsync()
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            while (true)
            {
                string line = await events.ReadLineAsync(timeout.Token) ?? throw new InvalidOperationException("xev exited");
                if (line.StartsWith("ButtonRelease event", StringComparison.Ordinal))
                {
                    return;
                }
            }
        }

        int n = quick ? 10 : 100;
        var synced = new double[n];
        for (int i = -5; i < n; i++)
        {
            long t = Stopwatch.GetTimestamp();
            await ClickAsync();
            if (i >= 0)
            {
                synced[i] = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
            }

            await UntilReleaseAsync(); // xev has it before the next click (not timed here)
        }

        double[] seen = await TimeAsync(n, async () =>
        {
            await ClickAsync();
            await UntilReleaseAsync();
        });
        Add("click round trip: XTest down + up until XSync returns (in process)", Ms(Stats.Median(synced)), Ms(Stats.P95(synced)), "—", null,
            Inv($"`LocalComputer.Input.SendPointerAsync` down and up; each returns after XSync, i.e. once the X server has processed the events; n={n}"));
        Add("click round trip: until a real app has the ButtonRelease (in process)", Ms(Stats.Median(seen)), Ms(Stats.P95(seen)), "—", null,
            Inv($"the same click on an `xev` window, timed until xev prints ButtonRelease on its stdout pipe; n={n}"));
        output.WriteLine(Inv($"click in process: XSync {Stats.Median(synced):0.00} ms, xev sees it {Stats.Median(seen):0.00} ms"));
    }

    /// <summary>The AT-SPI tree of a zenity (GTK 3) entry dialog through <c>LocalComputer.UI</c>: time and node count.</summary>
    private async Task DialogTreeAsync(Desktop desktop, CancellationToken ct)
    {
        // libatspi reads the session bus of this process: point it at the bench desktop's bus (set once, before the
        // first LocalComputer with accessibility; the bench process never talks to another desktop's AT-SPI bus).
        Environment.SetEnvironmentVariable("DBUS_SESSION_BUS_ADDRESS", desktop.Environment["DBUS_SESSION_BUS_ADDRESS"]);
        await using LocalComputer local = LocalComputer.Create(new LocalComputerOptions
        {
            DisplayName = desktop.DisplayName, UseVirtualDisplay = false, EnableOcr = false, EnableAccessibility = true,
        });
        if (local.UnavailableReasons.TryGetValue(Capability.UiTree.Name, out string? reason))
        {
            throw new InvalidOperationException($"no accessibility on the bench desktop: {reason}");
        }

        await using ChildProcess zenity = desktop.StartApp("zenity", "zenity", "--entry", "--title", "bench-dialog",
            "--text", "Name of the new folder:", "--entry-text", "bench");
        _ = await desktop.WaitForWindowAsync("^bench-dialog$");
        var query = new UITreeQuery(App: "zenity");
        UIElement? tree = null;
        bool ready = await Desktop.Until(async () =>
        {
            try
            {
                tree = await local.UI.GetTreeAsync(query, ct);
                return tree.DescendantsAndSelf().Any(e => e.Value == "bench" || e.Name.Contains("new folder", StringComparison.Ordinal));
            }
            catch (OpenDeskException)
            {
                return false; // not registered on the AT-SPI bus yet
            }
        }, TimeSpan.FromSeconds(20));
        if (!ready || tree is null)
        {
            throw new InvalidOperationException("the zenity dialog's entry never appeared in its AT-SPI tree");
        }

        int nodes = 0;
        double[] ms = await TimeAsync(quick ? 10 : 50, async () => nodes = (await local.UI.GetTreeAsync(query, ct)).DescendantsAndSelf().Count());
        Add("AT-SPI tree of a GTK dialog (`zenity --entry`), `ui.tree` (in process)", Ms(Stats.Median(ms)), Ms(Stats.P95(ms)), "—", null,
            Inv($"{nodes} nodes; `LocalComputer.UI.GetTreeAsync(App: \"zenity\")` over the private AT-SPI bus; n={ms.Length}"));
        output.WriteLine(Inv($"zenity tree: median {Stats.Median(ms):0.0} ms, {nodes} nodes"));
    }

    /// <summary>OCR of the whole text-heavy terminal screen through <c>LocalComputer.Ocr</c> (capture included).</summary>
    private async Task TerminalOcrAsync(Desktop desktop, CancellationToken ct)
    {
        await using LocalComputer local = LocalComputer.Create(new LocalComputerOptions
        {
            DisplayName = desktop.DisplayName, UseVirtualDisplay = false, EnableOcr = true, EnableAccessibility = false,
        });
        TesseractOcr ocr = local.Ocr ?? throw new InvalidOperationException(
            "no OCR: " + (local.UnavailableReasons.TryGetValue(Capability.Ocr.Name, out string? why) ? why : "unknown"));
        int n = quick ? 2 : 7;
        (double[] auto, int words) = await OcrTimesAsync(local, ocr, OcrPageMode.Auto, n, ct);
        if (words < 100)
        {
            throw new InvalidOperationException($"OCR of the terminal found only {words} words");
        }

        Add("OCR of a text-heavy 1080p terminal, full screen (in process)", Ms(Stats.Median(auto)), Ms(Stats.P95(auto)), "—", null,
            Inv($"{words} words; XShm capture + `LocalComputer.Ocr.Recognize` as `ocr` calls it (libtesseract {ocr.Language}, automatic mode: a screen mostly of one colour is read region by region); n={n}"));

        // The same screen given to Tesseract whole as one block of text (PSM 6): how much of the figure above is the mode.
        (double[] block, int blockWords) = await OcrTimesAsync(local, ocr, OcrPageMode.SingleBlock, n, ct);
        Add("OCR of the same screen, whole image as one block (PSM 6) (in process)", Ms(Stats.Median(block)), Ms(Stats.P95(block)), "—", null,
            Inv($"{blockWords} words; for comparison with the automatic mode above; n={n}"));
        output.WriteLine(Inv($"terminal OCR: auto median {Stats.Median(auto):0} ms, {words} words; block median {Stats.Median(block):0} ms, {blockWords} words"));
    }

    private static async Task<(double[] Ms, int Words)> OcrTimesAsync(LocalComputer local, TesseractOcr ocr, OcrPageMode mode, int n, CancellationToken ct)
    {
        int words = 0;
        async Task RecogniseAsync()
        {
            Pixmap screen = await local.Display.CaptureAsync(new CaptureOptions { Format = PixmapFormat.RawRgba }, ct);
            words = ocr.Recognize(screen, mode: mode).Words.Count;
        }

        await RecogniseAsync(); // warm-up: language data, first allocation of the page buffers
        var ms = new double[n];
        for (int i = 0; i < n; i++)
        {
            long t = Stopwatch.GetTimestamp();
            await RecogniseAsync();
            ms[i] = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
        }

        return (ms, words);
    }
}
