using System.Text;
using Microsoft.Extensions.AI;
using OpenDesk.Core;
using OpenDesk.Mcp.Catalog;

namespace OpenDesk.Mcp.Tools;

internal static class AppTool
{
    public const string Name = "app";

    private static readonly string[] s_actions = ["open", "close", "focus", "list"];

    public static AIFunction Create(ToolRuntime runtime)
    {
        var schema = Schema.Object(
            [
                ("action", Schema.Str("open: start an application (or open a file/URL); close; focus: bring to front; list: running applications.", s_actions)),
                ("name", Schema.Str("Application name (required for open, close, focus), e.g. firefox, xterm, gedit.")),
                ("settle_ms", Schema.Int("Longest wait in ms for the screen to settle after open/close/focus (default 500; 0 = do not wait or check).", 0, 10_000, 500)),
            ],
            ["action"],
            withPeer: true);
        const string description = "Open, close, focus or list applications on the target computer.";
        return new CatalogTool(Name, description + Schema.PeerParagraph, schema,
            (args, ct) => runtime.RunComputerAsync(args, (ctx, c) => RunAsync(runtime, ctx, args, c), ct));
    }

    private static async ValueTask<IList<AIContent>> RunAsync(ToolRuntime runtime, PeerContext context, ToolArgs args, CancellationToken ct)
    {
        string action = args.Enum("action", s_actions);
        IComputerApps apps = context.Computer.Apps;
        if (action == "list")
        {
            IReadOnlyList<string> running = await apps.ListAsync(ct).ConfigureAwait(false);
            var sb = new StringBuilder().Append("Running applications (").Append(running.Count).Append("):");
            foreach (string a in running)
            {
                sb.Append("\n- ").Append(a);
            }

            return ToolRuntime.Text(sb.ToString());
        }

        string name = args.RequiredString("name", action);
        int settleMs = args.Int("settle_ms", 0, 10_000) ?? runtime.Options.ActionSettleMs;
        byte[]? before = await Settle.BeforeAsync(context, settleMs, runtime.Options, ct).ConfigureAwait(false);
        string done;
        switch (action)
        {
            case "open":
                await apps.OpenAsync(name, ct).ConfigureAwait(false);
                done = $"Opened {name}.";
                break;
            case "close":
                await apps.CloseAsync(name, ct).ConfigureAwait(false);
                done = $"Closed {name}.";
                break;
            default:
                await apps.FocusAsync(name, ct).ConfigureAwait(false);
                done = $"Focused {name}.";
                break;
        }

        string settled = await Settle.AfterAsync(context, before, settleMs, runtime.Options, ct).ConfigureAwait(false);
        return ToolRuntime.Text(done + " " + settled);
    }
}

internal static class ClipboardTool
{
    public const string Name = "clipboard";

    public static AIFunction Create(ToolRuntime runtime)
    {
        var schema = Schema.Object(
            [
                ("action", Schema.Str("read: the clipboard text; write: replace it with text.", "read", "write")),
                ("text", Schema.Str("Text to write (action write).")),
            ],
            ["action"],
            withPeer: true);
        const string description = "Read or write the clipboard text of the target computer.";
        return new CatalogTool(Name, description + Schema.PeerParagraph, schema,
            (args, ct) => runtime.RunComputerAsync(args, (ctx, c) => RunAsync(ctx, args, c), ct));
    }

    private static async ValueTask<IList<AIContent>> RunAsync(PeerContext context, ToolArgs args, CancellationToken ct)
    {
        string action = args.Enum("action", ["read", "write"]);
        if (action == "read")
        {
            ClipboardContents contents = await context.Computer.Clipboard.ReadAsync(ct).ConfigureAwait(false);
            string? text = contents.GetText();
            return ToolRuntime.Text(text is null ? "Clipboard has no text." : text);
        }

        string value = args.String("text") ?? throw args.Missing("text", "write");
        await context.Computer.Clipboard.WriteAsync(ClipboardContents.FromText(value), ct).ConfigureAwait(false);
        return ToolRuntime.Text($"Clipboard set ({value.Length} character(s)).");
    }
}

internal static class OcrTool
{
    public const string Name = "ocr";

    private const int MaxWords = 400;

    public static AIFunction Create(ToolRuntime runtime)
    {
        var schema = Schema.Object(
            [
                ("region", Schema.IntArray("Optional [x, y, width, height] in mouse coordinates (pixels of the last full screenshot). Default: the whole screen.", 4)),
            ],
            [],
            withPeer: true);
        const string description =
            "Read the text on the screen with OCR. Captures on the target computer at full resolution and recognises the text "
            + "on this MCP server. Returns the text and word boxes (centres in mouse coordinates).";
        return new CatalogTool(Name, description + Schema.PeerParagraph, schema,
            (args, ct) => runtime.RunComputerAsync(args, (ctx, c) => RunAsync(runtime, ctx, args, c), ct));
    }

    private static async ValueTask<IList<AIContent>> RunAsync(ToolRuntime runtime, PeerContext context, ToolArgs args, CancellationToken ct)
    {
        IReadOnlyList<int>? region = args.IntArray("region", 4);
        if (region is not null && (region[2] <= 0 || region[3] <= 0))
        {
            throw new InvalidArgumentException("invalid argument 'region' for 'ocr': expected [x, y, width, height] with width and height > 0");
        }

        IOcrEngine engine = runtime.Options.OcrEngine ?? throw new CapabilityUnsupportedException(
            "OCR is not available on this MCP server (no OCR engine; on Linux install libtesseract5 and tesseract-ocr-eng)",
            new Dictionary<string, object?> { ["capability"] = "ocr" });
        CoordinateFrame? frame = context.View.Frame;
        Rect? desktopRegion = region is null
            ? null
            : frame?.ToDesktop(new Rect(region[0], region[1], region[2], region[3])) ?? new Rect(region[0], region[1], region[2], region[3]);
        Pixmap pixmap = await context.Computer.Display.CaptureAsync(new CaptureOptions(null, desktopRegion) { Format = PixmapFormat.Png }, ct)
            .ConfigureAwait(false);
        OcrResult result = await engine.RecognizeAsync(pixmap, ct).ConfigureAwait(false);

        Rect area = desktopRegion ?? new Rect(frame?.Desktop.X ?? 0, frame?.Desktop.Y ?? 0, pixmap.LogicalWidth > 0 ? pixmap.LogicalWidth : pixmap.Width, pixmap.LogicalHeight > 0 ? pixmap.LogicalHeight : pixmap.Height);
        var captured = new CoordinateFrame(area, pixmap.Width, pixmap.Height);
        var sb = new StringBuilder();
        sb.Append(string.IsNullOrWhiteSpace(result.Text) ? "(no text recognised)" : result.Text.TrimEnd());
        if (result.Words.Count > 0)
        {
            sb.Append("\n\nWords (centre and size in mouse coordinates):");
            foreach (OcrWord w in result.Words.Take(MaxWords))
            {
                Rect desktop = new(captured.Desktop.X + (w.Bounds.X * captured.ScaleX), captured.Desktop.Y + (w.Bounds.Y * captured.ScaleY), w.Bounds.Width * captured.ScaleX, w.Bounds.Height * captured.ScaleY);
                Rect image = frame?.ToImage(desktop) ?? desktop;
                sb.Append(Frames.Inv($"\n\"{w.Text}\" at ({image.Center.X:0}, {image.Center.Y:0}) size {image.Width:0}x{image.Height:0}"));
            }

            if (result.Words.Count > MaxWords)
            {
                sb.Append(Frames.Inv($"\n… {result.Words.Count - MaxWords} more words not listed."));
            }
        }

        return ToolRuntime.Text(sb.ToString());
    }
}
