using Microsoft.Extensions.AI;
using OpenDesk.Core;
using OpenDesk.Mcp.Catalog;

namespace OpenDesk.Mcp.Tools;

internal static class ScreenshotTool
{
    public const string Name = "screenshot";

    private static readonly HashSet<string> s_interactiveRoles = new(StringComparer.OrdinalIgnoreCase)
    {
        "push button", "toggle button", "check box", "radio button", "combo box", "text", "entry", "password text",
        "link", "menu item", "check menu item", "radio menu item", "menu", "page tab", "slider", "spin button",
        "list item", "tree item", "table cell", "icon", "editbar", "search box",
        "AXButton", "AXCheckBox", "AXRadioButton", "AXTextField", "AXTextArea", "AXComboBox", "AXLink", "AXMenuItem",
        "AXMenuBarItem", "AXPopUpButton", "AXSlider", "AXTab", "AXCell", "AXRow",
        "Button", "Edit", "Hyperlink", "MenuItem", "CheckBox", "RadioButton", "ComboBox", "TabItem", "ListItem",
        "TreeItem", "DataItem", "SplitButton", "Slider", "Spinner",
    };

    private static readonly string[] s_interactiveFragments = ["button", "field", "check", "radio", "combo", "link", "menu", "slider"];

    public static AIFunction Create(ToolRuntime runtime)
    {
        var schema = Schema.Object(
            [
                ("region", Schema.IntArray("Optional [x, y, width, height] part of the screen to capture, in the coordinates mouse uses (pixels of the last full screenshot). Does not change the frame.", 4)),
                ("zoom", Schema.IntArray("Optional [x0, y0, x1, y1] box to look at closely, in the coordinates mouse uses. Returns that area at full resolution (within the image budget); takes precedence over region; does not change the frame.", 4)),
                ("save_path", Schema.Str("Optional path on the machine running this MCP server where the screenshot is also saved as PNG (forces PNG).")),
                ("show_cursor", Schema.Bool("Draw the mouse cursor on the image (an arrow whose tip is the cursor position) and report the position in the coordinates mouse uses.")),
                ("marks", Schema.Bool("Set-of-Marks: number the interactive elements of the focused window from the accessibility tree (at most 150) and list them with their centre in the coordinates mouse uses.")),
                ("display", Schema.Str("Optional display id (see opendesk_capabilities). Default: the whole desktop.")),
                ("format", Schema.Str("Image encoding. Default jpeg (small); png is lossless.", "jpeg", "png")),
                ("max_long_edge", Schema.Int("Optional per-call cap on the long edge of the image in pixels (default 1568). Never upscales.", 64, 8192)),
                ("max_pixels", Schema.Int("Optional per-call cap on the image area in pixels (default 1150000). Never upscales.", 4096, 40_000_000)),
            ],
            [],
            withPeer: true);
        const string description =
            "Capture the screen. Returns the image scaled to fit the model (long edge <= 1568 px, <= 1.15 MP by default) "
            + "and one text line stating the frame. Coordinates for mouse and ui are pixels of the last full screenshot "
            + "(you never need to rescale them). Also says whether the screen changed since the previous screenshot.";
        return new CatalogTool(Name, description + Schema.PeerParagraph, schema,
            (args, ct) => runtime.RunComputerAsync(args, (ctx, c) => RunAsync(runtime, ctx, args, c), ct));
    }

    private static async ValueTask<IList<AIContent>> RunAsync(ToolRuntime runtime, PeerContext context, ToolArgs args, CancellationToken ct)
    {
        OpenDeskToolOptions options = runtime.Options;
        IReadOnlyList<int>? zoom = args.IntArray("zoom", 4);
        IReadOnlyList<int>? region = args.IntArray("region", 4);
        string? savePath = args.String("save_path");
        bool showCursor = args.Bool("show_cursor") ?? false;
        bool marks = args.Bool("marks") ?? false;
        string? displayArg = args.String("display");
        string formatName = args.Enum("format", ["jpeg", "png"], options.ImageFormat == PixmapFormat.Png ? "png" : "jpeg");
        int maxLongEdge = args.Int("max_long_edge", 64, 8192) ?? options.MaxImageLongEdge;
        long maxPixels = args.Int("max_pixels", 4096, 40_000_000) ?? options.MaxImagePixels;
        PixmapFormat format = savePath is not null || formatName == "png" ? PixmapFormat.Png : PixmapFormat.Jpeg;

        if (zoom is not null && (zoom[2] <= zoom[0] || zoom[3] <= zoom[1]))
        {
            throw new InvalidArgumentException("invalid argument 'zoom' for 'screenshot': expected [x0, y0, x1, y1] with x1 > x0 and y1 > y0");
        }

        if (region is not null && (region[2] <= 0 || region[3] <= 0))
        {
            throw new InvalidArgumentException("invalid argument 'region' for 'screenshot': expected [x, y, width, height] with width and height > 0");
        }

        CoordinateFrame? frame = context.View.Frame;
        var lines = new List<string>();
        Pixmap pixmap;
        CoordinateFrame imageMap; // maps this image's pixels to the desktop
        bool isFull = zoom is null && region is null;
        if (isFull)
        {
            IReadOnlyList<Display> displays = await context.GetDisplaysAsync(false, ct).ConfigureAwait(false);
            Display? display = null;
            if (displayArg is not null)
            {
                display = FindDisplay(displays, displayArg)
                    ?? (await context.GetDisplaysAsync(true, ct).ConfigureAwait(false) is var fresh ? FindDisplay(fresh, displayArg) : null)
                    ?? throw new InvalidArgumentException(
                        $"invalid argument 'display' for 'screenshot': no display '{displayArg}' (displays: {string.Join(", ", displays.Select(d => d.Id))})");
            }

            Rect area = display?.Bounds ?? Union(displays);
            (int w, int h) = area.IsEmpty ? (0, 0) : CoordinateFrame.FitSize((int)area.Width, (int)area.Height, maxLongEdge, maxPixels);
            var captureOptions = new CaptureOptions(display?.Id) { Format = format, Quality = options.JpegQuality };
            if (w > 0)
            {
                captureOptions = captureOptions with { MaxWidth = w, MaxHeight = h };
            }

            pixmap = await context.Computer.Display.CaptureAsync(captureOptions, ct).ConfigureAwait(false);
            double logicalW = pixmap.LogicalWidth > 0 ? pixmap.LogicalWidth : area.Width > 0 ? area.Width : pixmap.Width;
            double logicalH = pixmap.LogicalHeight > 0 ? pixmap.LogicalHeight : area.Height > 0 ? area.Height : pixmap.Height;
            if (!area.IsEmpty && (Math.Abs(logicalW - area.Width) > 1 || Math.Abs(logicalH - area.Height) > 1))
            {
                // The desktop changed size since the displays were read: read them again next time.
                await context.GetDisplaysAsync(true, ct).ConfigureAwait(false);
            }

            imageMap = new CoordinateFrame(new Rect(area.X, area.Y, logicalW, logicalH), pixmap.Width, pixmap.Height, display?.Id);
            context.View.Frame = imageMap;
            string scale = imageMap.IsUnscaled
                ? "1 image px = 1 desktop px"
                : Frames.Inv($"1 image px = {imageMap.ScaleX:0.###} desktop px");
            string target = display is null ? "the desktop" : "display " + display.Id;
            lines.Add(Frames.Inv(
                $"Screenshot {pixmap.Width}x{pixmap.Height} ({FormatName(pixmap.Format)}) of {target}: desktop {logicalW:0}x{logicalH:0} at ({area.X:0}, {area.Y:0}), {scale}. mouse/ui/zoom coordinates are pixels of this image."));
            if (w > 0 && (pixmap.Width > w + 1 || pixmap.Height > h + 1))
            {
                lines.Add(Frames.Inv($"Note: this computer did not downscale the capture; the image is over the {w}x{h} budget."));
            }

            byte[]? last = context.View.LastScreenshot;
            lines.Add(last is null
                ? "Changed since the previous screenshot: unknown (first screenshot of this computer in this session)."
                : last.AsSpan().SequenceEqual(pixmap.Data)
                    ? "Changed since the previous screenshot: no (identical image)."
                    : "Changed since the previous screenshot: yes.");
            context.View.LastScreenshot = pixmap.Data;
        }
        else
        {
            Rect inFrame = zoom is not null
                ? new Rect(zoom[0], zoom[1], zoom[2] - zoom[0], zoom[3] - zoom[1])
                : new Rect(region![0], region[1], region[2], region[3]);
            Rect desktop = frame is null ? inFrame : frame.ToDesktop(inFrame);
            (int w, int h) = CoordinateFrame.FitSize((int)desktop.Width, (int)desktop.Height, maxLongEdge, maxPixels);
            pixmap = await context.Computer.Display.CaptureAsync(
                new CaptureOptions(null, desktop) { Format = format, Quality = options.JpegQuality, MaxWidth = w, MaxHeight = h },
                ct).ConfigureAwait(false);
            imageMap = new CoordinateFrame(desktop, pixmap.Width, pixmap.Height);
            double framePxPerImagePx = frame is null ? imageMap.ScaleX : imageMap.ScaleX / frame.ScaleX;
            string what = zoom is not null ? "Zoom" : "Region";
            string box = zoom is not null
                ? Frames.Inv($"[{zoom[0]}, {zoom[1]}, {zoom[2]}, {zoom[3]}]")
                : Frames.Inv($"[{region![0]}, {region[1]}, {region[2]}, {region[3]}]");
            lines.Add(Frames.Inv(
                $"{what} {box}: image {pixmap.Width}x{pixmap.Height} ({FormatName(pixmap.Format)}) of desktop {desktop.Width:0}x{desktop.Height:0} at ({desktop.X:0}, {desktop.Y:0}). ")
                + Frames.Inv($"The frame is unchanged: a point (u, v) of this image is ({inFrame.X:0.#} + u*{framePxPerImagePx:0.###}, {inFrame.Y:0.#} + v*{framePxPerImagePx:0.###}) for mouse."));
        }

        if (marks)
        {
            (List<string> markLines, Pixmap marked) = await MarksAsync(runtime, context, pixmap, imageMap, ct).ConfigureAwait(false);
            lines.AddRange(markLines);
            pixmap = marked;
        }

        if (showCursor)
        {
            // After the marks, so the cursor stays on top.
            (string line, pixmap) = await CursorAsync(runtime, context, pixmap, imageMap, ct).ConfigureAwait(false);
            lines.Add(line);
        }

        if (savePath is not null)
        {
            string path = ExpandPath(savePath);
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                await File.WriteAllBytesAsync(path, pixmap.Data, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
            {
                throw new InvalidArgumentException($"invalid argument 'save_path' for 'screenshot': cannot write '{savePath}': {e.Message}");
            }

            lines.Add($"Saved to {path}.");
        }

        return [new TextContent(string.Join('\n', lines)), new DataContent(pixmap.Data, pixmap.MimeType)];
    }

    private static async ValueTask<(string Line, Pixmap Image)> CursorAsync(
        ToolRuntime runtime, PeerContext context, Pixmap pixmap, CoordinateFrame imageMap, CancellationToken ct)
    {
        Point cursor = await context.Computer.Display.GetCursorPositionAsync(ct).ConfigureAwait(false);
        Point p = context.View.Frame?.ToImage(cursor) ?? cursor;
        string line = Frames.Inv($"Cursor at ({p.X:0}, {p.Y:0}) in mouse coordinates (desktop ({cursor.X:0}, {cursor.Y:0}))");
        Point tip = imageMap.ToImage(cursor);
        if (tip.X < 0 || tip.Y < 0 || tip.X >= pixmap.Width || tip.Y >= pixmap.Height)
        {
            return (line + "; it is outside this image, so it is not drawn.", pixmap);
        }

        ICursorRenderer? renderer = runtime.Options.CursorRenderer;
        if (renderer is null)
        {
            return (line + "; not drawn (no image renderer on this server).", pixmap);
        }

        Pixmap drawn = await renderer.DrawCursorAsync(pixmap, tip, ct).ConfigureAwait(false);
        return (line + Frames.Inv($"; drawn on the image as an arrow whose tip is at image pixel ({tip.X:0}, {tip.Y:0})."), drawn);
    }

    private static async ValueTask<(List<string> Lines, Pixmap Image)> MarksAsync(
        ToolRuntime runtime, PeerContext context, Pixmap pixmap, CoordinateFrame imageMap, CancellationToken ct)
    {
        var lines = new List<string>();
        UIElement tree;
        try
        {
            tree = await context.Computer.UI.GetTreeAsync(new UITreeQuery(), ct).ConfigureAwait(false);
        }
        catch (CapabilityUnsupportedException e)
        {
            lines.Add($"Marks unavailable: this computer cannot read the accessibility tree ({Trim(e.Message)}). The screenshot above is still valid: use it with mouse coordinates.");
            return (lines, pixmap);
        }
        catch (OpenDeskException e) when (e is NotFoundException or PermissionDeniedException or OperationTimedOutException or InternalErrorException or InvalidArgumentException)
        {
            // Typically no window has focus (nothing to walk). The screenshot itself is fine: return it without marks.
            lines.Add($"Marks unavailable: the accessibility tree of the focused window could not be read ({Trim(e.Message)}); "
                + "perhaps no window has focus. The screenshot above is still valid: use it with mouse coordinates, or focus a window (app action focus) and take another screenshot with marks.");
            return (lines, pixmap);
        }

        CoordinateFrame? frame = context.View.Frame;
        var marks = new List<ScreenMark>();
        var seen = new HashSet<Rect>();
        foreach (UIElement e in tree.DescendantsAndSelf())
        {
            if (marks.Count >= 150)
            {
                break;
            }

            if (e.Bounds is not { } b || b.Width <= 2 || b.Height <= 2 || !IsInteractive(e.Role))
            {
                continue;
            }

            Rect visible = b.Intersect(imageMap.Desktop);
            if (visible.IsEmpty || !seen.Add(b))
            {
                continue;
            }

            string label = (string.IsNullOrWhiteSpace(e.Name) ? e.Value ?? "" : e.Name).ReplaceLineEndings(" ");
            if (label.Length > 60)
            {
                label = label[..60];
            }

            int n = marks.Count + 1;
            marks.Add(new ScreenMark(n, imageMap.ToImage(visible), e.Role, label));
            Point c = frame?.ToImage(visible.Center) ?? visible.Center;
            Rect r = frame?.ToImage(visible) ?? visible;
            lines.Add(Frames.Inv($"[{n}] {e.Role} \"{label}\" at ({c.X:0}, {c.Y:0}) size {r.Width:0}x{r.Height:0}"));
        }

        if (marks.Count == 0)
        {
            lines.Insert(0, "Marks: no interactive elements with bounds in the accessibility tree of the focused window.");
            return (lines, pixmap);
        }

        bool partial = tree.Metadata.TryGetValue("partial", out object? p) && p is true;
        IMarkRenderer? renderer = runtime.Options.MarkRenderer;
        Pixmap result = pixmap;
        string drawn = "not drawn (no image renderer on this server); positions are centres in mouse coordinates";
        if (renderer is not null)
        {
            result = await renderer.DrawAsync(pixmap, marks, ct).ConfigureAwait(false);
            drawn = "drawn on the image; positions are centres in mouse coordinates";
        }

        lines.Insert(0, Frames.Inv($"Marks ({marks.Count}{(partial ? ", tree walk partial" : "")}), {drawn}; click a mark at its centre:"));
        return (lines, result);
    }

    private static string Trim(string message)
    {
        string m = message.ReplaceLineEndings(" ").Trim().TrimEnd('.');
        return m.Length > 200 ? m[..200] + "…" : m;
    }

    private static bool IsInteractive(string role)
        => s_interactiveRoles.Contains(role) || s_interactiveFragments.Any(f => role.Contains(f, StringComparison.OrdinalIgnoreCase));

    private static Display? FindDisplay(IReadOnlyList<Display> displays, string id)
    {
        Display? byId = displays.FirstOrDefault(d => string.Equals(d.Id, id, StringComparison.Ordinal))
            ?? displays.FirstOrDefault(d => string.Equals(d.Name, id, StringComparison.OrdinalIgnoreCase));
        return byId ?? (int.TryParse(id, out int index) && index >= 0 && index < displays.Count ? displays[index] : null);
    }

    private static Rect Union(IReadOnlyList<Display> displays)
    {
        if (displays.Count == 0)
        {
            return default;
        }

        double x0 = displays.Min(d => d.Bounds.X), y0 = displays.Min(d => d.Bounds.Y);
        double x1 = displays.Max(d => d.Bounds.Right), y1 = displays.Max(d => d.Bounds.Bottom);
        return new Rect(x0, y0, x1 - x0, y1 - y0);
    }

    private static string FormatName(PixmapFormat f) => f.ToWireName();

    internal static string ExpandPath(string path)
    {
        if (path == "~" || path.StartsWith("~/", StringComparison.Ordinal))
        {
            path = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), path.Length > 2 ? path[2..] : "");
        }

        return Path.GetFullPath(path);
    }
}
