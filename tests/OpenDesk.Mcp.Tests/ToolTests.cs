using Microsoft.Extensions.AI;
using OpenDesk.Core;
using OpenDesk.Local.Imaging;
using OpenDesk.Testing;
using SkiaSharp;

namespace OpenDesk.Mcp.Tests;

public sealed class FrameMathTests
{
    [Theory]
    [InlineData(1920, 1080, 1429, 804)]
    [InlineData(2560, 1440, 1429, 804)]
    [InlineData(3840, 2160, 1429, 804)]
    [InlineData(1280, 800, 1280, 800)]
    [InlineData(800, 600, 800, 600)]
    [InlineData(1568, 400, 1568, 400)]
    [InlineData(3000, 500, 1568, 261)]
    public void Fit_size_respects_long_edge_and_pixel_budget_and_never_upscales(int w, int h, int ew, int eh)
    {
        (int fw, int fh) = CoordinateFrame.FitSize(w, h, 1568, 1_150_000);
        Assert.Equal((ew, eh), (fw, fh));
        Assert.True(Math.Max(fw, fh) <= 1568);
        Assert.True((long)fw * fh <= 1_150_000);
        Assert.True(fw <= w && fh <= h);
    }

    [Fact]
    public void Image_centre_maps_to_desktop_centre_and_back()
    {
        var frame = new CoordinateFrame(new Rect(0, 0, 2560, 1440), 1429, 804);
        Point d = frame.ToDesktop(714, 402);
        Assert.InRange(d.X, 1279, 1281);
        Assert.InRange(d.Y, 719, 721);
        Point back = frame.ToImage(d);
        Assert.InRange(back.X, 713.5, 714.5);
    }

    [Fact]
    public void Display_origin_is_added()
    {
        var frame = new CoordinateFrame(new Rect(1920, 0, 1280, 1024), 640, 512, "1");
        Assert.Equal(new Point(1920, 0), frame.ToDesktop(0, 0));
        Assert.Equal(new Point(1920 + 1278, 1022), frame.ToDesktop(639, 511));
        Assert.Equal(new Rect(1920 + 200, 100, 200, 100), frame.ToDesktop(new Rect(100, 50, 100, 50)));
    }

    [Fact]
    public void Unscaled_frame_is_identity()
    {
        var frame = new CoordinateFrame(new Rect(0, 0, 1280, 800), 1280, 800);
        Assert.True(frame.IsUnscaled);
        Assert.Equal(new Point(17, 33), frame.ToDesktop(17, 33));
    }
}

public sealed class ToolTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Screenshot_returns_text_then_image_and_states_the_frame()
    {
        var fake = new FakeComputer();
        var catalog = OpenDeskTools.Create(Tools.Session(fake, options: new OpenDeskToolOptions { MaxImageLongEdge = 640, ProbeWidth = 160 }));
        IList<AIContent> result = await Tools.CallAsync(catalog, "screenshot");
        Assert.Equal(2, result.Count);
        string text = Assert.IsType<TextContent>(result[0]).Text;
        DataContent image = Assert.IsType<DataContent>(result[1]);
        Assert.Equal("image/png", image.MediaType);
        Assert.True(TestPng.TryReadSize(image.Data.Span, out int w, out int h));
        Assert.Equal((640, 400), (w, h));
        Assert.Contains("Screenshot 640x400", text);
        Assert.Contains("desktop 1280x800 at (0, 0)", text);
        Assert.Contains("1 image px = 2 desktop px", text);
        Assert.Contains("first screenshot", text);
        Assert.Contains("Changed since the previous screenshot: no", Tools.Text(await Tools.CallAsync(catalog, "screenshot")));
    }

    [Fact]
    public async Task Click_at_image_space_centre_of_target_lands_on_it()
    {
        var fake = new FakeComputer();
        var catalog = OpenDeskTools.Create(Tools.Session(fake, options: new OpenDeskToolOptions { MaxImageLongEdge = 640, ProbeWidth = 160 }));
        await Tools.CallAsync(catalog, "screenshot");
        Rect save = FakeComputer.SaveButtonBounds; // desktop (700,600,120,40) → image (350,300,60,20)
        string text = Tools.Text(await Tools.CallAsync(catalog, "mouse", new { action = "click", x = (int)(save.Center.X / 2), y = (int)(save.Center.Y / 2) }));
        Assert.Equal(1, fake.SaveClicks);
        Assert.Contains("image (380, 310) = desktop (760, 620)", text);
        Assert.Contains("Screen changed", text);
    }

    [Fact]
    public async Task Before_any_screenshot_coordinates_are_desktop_pixels()
    {
        var fake = new FakeComputer();
        var catalog = OpenDeskTools.Create(Tools.Session(fake, options: new OpenDeskToolOptions { MaxImageLongEdge = 640, ProbeWidth = 160 }));
        string text = Tools.Text(await Tools.CallAsync(catalog, "mouse", new { action = "move", x = 760, y = 620, settle_ms = 0 }));
        Assert.Contains("Moved to (760, 620)", text);
        Assert.Contains("input.pointer move (760, 620)", fake.Calls);
    }

    [Fact]
    public async Task Image_width_and_height_define_the_scale_for_python_prompts()
    {
        var fake = new FakeComputer();
        var catalog = OpenDeskTools.Create(Tools.Session(fake));
        await Tools.CallAsync(catalog, "mouse", new { action = "click", x = 190, y = 155, image_width = 320, image_height = 200, settle_ms = 0 });
        Assert.Equal(1, fake.SaveClicks);
    }

    [Fact]
    public async Task Zoom_does_not_change_the_frame()
    {
        var fake = new FakeComputer();
        var session = Tools.Session(fake, options: new OpenDeskToolOptions { MaxImageLongEdge = 640, ProbeWidth = 160 });
        var catalog = OpenDeskTools.Create(session);
        await Tools.CallAsync(catalog, "screenshot");
        CoordinateFrame before = session.GetFrame("local")!;
        IList<AIContent> zoom = await Tools.CallAsync(catalog, "screenshot", new { zoom = new[] { 340, 290, 420, 330 } });
        Assert.Same(before, session.GetFrame("local"));
        Assert.Contains("display.capture 160x80 at (680, 580)", fake.Calls);
        Assert.True(TestPng.TryReadSize(Assert.IsType<DataContent>(zoom[1]).Data.Span, out int w, out int h));
        Assert.Equal((160, 80), (w, h));
        Assert.Contains("The frame is unchanged", Tools.Text(zoom));
    }

    [Fact]
    public async Task Settle_reports_no_change_honestly()
    {
        var fake = new FakeComputer();
        var catalog = OpenDeskTools.Create(Tools.Session(fake));
        string text = Tools.Text(await Tools.CallAsync(catalog, "mouse", new { action = "move", x = 10, y = 10 }));
        Assert.Contains("No screen change seen", text);
        string off = Tools.Text(await Tools.CallAsync(catalog, "mouse", new { action = "move", x = 10, y = 10, settle_ms = 0 }));
        Assert.Contains("not checked (settle_ms=0)", off);
    }

    [Fact]
    public async Task Mouse_actions_send_the_expected_events()
    {
        var fake = new FakeComputer();
        var catalog = OpenDeskTools.Create(Tools.Session(fake));
        await Tools.CallAsync(catalog, "mouse", new { action = "double_click", x = 5, y = 6, settle_ms = 0 });
        await Tools.CallAsync(catalog, "mouse", new { action = "right_click", x = 5, y = 6, settle_ms = 0 });
        await Tools.CallAsync(catalog, "mouse", new { action = "scroll", x = 5, y = 6, direction = "up", amount = 2, settle_ms = 0 });
        await Tools.CallAsync(catalog, "mouse", new { action = "drag", x = 5, y = 6, end_x = 85, end_y = 6, settle_ms = 0 });
        string[] pointer = [.. fake.Calls.Where(c => c.StartsWith("input.pointer", StringComparison.Ordinal))];
        Assert.Equal(3, pointer.Count(c => c == "input.pointer down (5, 6) left")); // double click + drag start
        Assert.Contains("input.pointer down (5, 6) right", pointer);
        Assert.Contains("input.pointer scroll (5, 6)", pointer);
        Assert.Equal("input.pointer up (85, 6) left", pointer[^1]);
        var scroll = fake.InputEvents.OfType<PointerEvent>().Single(e => e.Action == PointerAction.Scroll);
        Assert.Equal(-2, scroll.Dy);
        string cursor = Tools.Text(await Tools.CallAsync(catalog, "mouse", new { action = "cursor_position" }));
        Assert.Contains("Current cursor: (85, 6)", cursor);
    }

    [Fact]
    public async Task Keyboard_type_and_press()
    {
        var fake = new FakeComputer();
        var catalog = OpenDeskTools.Create(Tools.Session(fake));
        Assert.Contains("Typed 5 character(s)", Tools.Text(await Tools.CallAsync(catalog, "keyboard", new { action = "type", text = "hello", settle_ms = 0 })));
        Assert.Contains("Pressed enter", Tools.Text(await Tools.CallAsync(catalog, "keyboard", new { action = "press", key = "enter", settle_ms = 0 })));
        Assert.Contains("input.text 5 chars", fake.Calls);
        Assert.Contains("input.key down enter", fake.Calls);
        Assert.Contains("input.key up enter", fake.Calls);
    }

    [Fact]
    public async Task Ui_click_uses_a11y_when_supported()
    {
        var fake = new FakeComputer();
        var catalog = OpenDeskTools.Create(Tools.Session(fake));
        string text = Tools.Text(await Tools.CallAsync(catalog, "ui", new { action = "click", app = "editor", title = "save" }));
        Assert.Contains("Clicked push button \"Save\" (via a11y)", text);
        Assert.Equal(1, fake.SaveClicks);
    }

    [Fact]
    public async Task Ui_click_falls_back_to_bounds_centre_without_ui_actions()
    {
        var fake = new FakeComputer(FakeComputer.SupportedCapabilities.Where(c => c != Capability.UiActions));
        var catalog = OpenDeskTools.Create(Tools.Session(fake, options: new OpenDeskToolOptions { MaxImageLongEdge = 640, ProbeWidth = 160 }));
        await Tools.CallAsync(catalog, "screenshot");
        string text = Tools.Text(await Tools.CallAsync(catalog, "ui", new { action = "click", app = "editor", title = "Save", settle_ms = 0 }));
        Assert.Contains("via bounds-center at (380, 310) in mouse coordinates, desktop (760, 620)", text);
        Assert.Equal(1, fake.SaveClicks);
    }

    [Fact]
    public async Task Ui_get_tree_and_get_value()
    {
        var fake = new FakeComputer();
        var catalog = OpenDeskTools.Create(Tools.Session(fake));
        string tree = Tools.Text(await Tools.CallAsync(catalog, "ui", new { action = "get_tree", app = "editor" }));
        TestContext.Current.TestOutputHelper?.WriteLine(tree);
        Assert.StartsWith("Window: Untitled - Editor", tree);
        Assert.Contains("[push button] Save @ (760, 620)", tree);
        Assert.Contains("text \"Name\" value: \"\"", Tools.Text(await Tools.CallAsync(catalog, "ui", new { action = "get_value", app = "editor", title = "Name" })));
        var e = await Assert.ThrowsAsync<NotFoundException>(() => Tools.CallAsync(catalog, "ui", new { action = "click", app = "editor", title = "Frobnicate" }));
        Assert.Contains("'Frobnicate'", e.Message);
    }

    [Fact]
    public void Element_matching_prefers_exact_names_and_actionable_roles()
    {
        var tree = new UIElement("frame", "Save Document", Children:
        [
            new UIElement("label", "Save changes?"),
            new UIElement("push button", "Save"),
            new UIElement("push button", "Save as"),
        ]);
        Assert.Equal("Save", Tools_UiFind(tree, "save", null)!.Name);
        Assert.Equal("Save as", Tools_UiFind(tree, "save as", null)!.Name);
        Assert.Equal("Save changes?", Tools_UiFind(tree, "save", "label")!.Name);
        Assert.Null(Tools_UiFind(tree, "quit", null));
    }

    [Fact]
    public async Task Ui_get_value_by_role_alone_reaches_an_element_without_a_name()
    {
        var fake = new FakeComputer();
        var catalog = OpenDeskTools.Create(Tools.Session(fake));
        Assert.Contains("text \"Name\" value: \"\"", Tools.Text(await Tools.CallAsync(catalog, "ui", new { action = "get_value", app = "editor", role = "text" })));
        var missing = await Assert.ThrowsAsync<InvalidArgumentException>(() => Tools.CallAsync(catalog, "ui", new { action = "get_value", app = "editor" }));
        Assert.Contains("'title' or 'role'", missing.Message);
        var none = await Assert.ThrowsAsync<NotFoundException>(() => Tools.CallAsync(catalog, "ui", new { action = "get_value", app = "editor", role = "slider" }));
        Assert.Contains("no element with role 'slider'", none.Message);

        // mousepad-like: unnamed text views; role alone picks the focused one, else the first one with a value.
        var tree = new UIElement("frame", "Untitled - Mousepad", Children:
        [
            new UIElement("menu bar", "", Children: [new UIElement("menu", "File")]),
            new UIElement("text", "", null),
            new UIElement("scroll pane", "", Children: [new UIElement("text", "", "hello world")]),
            new UIElement("label", "Line 1"),
        ]);
        Assert.Equal("hello world", Tools_UiFind(tree, null, "text")!.Value);
        var focused = tree with
        {
            Children = [.. tree.Children, new UIElement("text", "", "focused text", Focused: true)],
        };
        Assert.Equal("focused text", Tools_UiFind(focused, null, "text")!.Value);
        Assert.Equal("Line 1", Tools_UiFind(focused, "line 1", null)!.Name); // a title still wins as before
    }

    private static UIElement? Tools_UiFind(UIElement tree, string? title, string? role) => OpenDesk.Mcp.Tools.UiTool.Find(tree, title, role);

    [Fact]
    public async Task Marks_list_interactive_elements_in_image_space()
    {
        var fake = new FakeComputer();
        var catalog = OpenDeskTools.Create(Tools.Session(fake, options: new OpenDeskToolOptions { MaxImageLongEdge = 640, ProbeWidth = 160 }));
        string text = Tools.Text(await Tools.CallAsync(catalog, "screenshot", new { marks = true }));
        Assert.Contains("Marks (3), not drawn", text);
        Assert.Contains("[2] push button \"Save\" at (380, 310) size 60x20", text);
    }

    [Fact]
    public async Task Marks_without_a_focused_window_still_return_the_screenshot_and_say_why()
    {
        var computer = new NoFocusComputer(new FakeComputer());
        var catalog = OpenDeskTools.Create(Tools.Session(computer, options: new OpenDeskToolOptions { MaxImageLongEdge = 640, ProbeWidth = 160 }));
        IList<AIContent> result = await Tools.CallAsync(catalog, "screenshot", new { marks = true });
        Assert.IsType<DataContent>(result[1]);
        string text = Tools.Text(result);
        Assert.Contains("Screenshot 640x400", text);
        Assert.Contains("Marks unavailable: the accessibility tree of the focused window could not be read (no focused window", text);
        Assert.Contains("still valid", text);
    }

    [Fact]
    public async Task Marks_without_the_ui_tree_capability_still_return_the_screenshot()
    {
        var fake = new FakeComputer(FakeComputer.SupportedCapabilities.Where(c => c != Capability.UiTree));
        var catalog = OpenDeskTools.Create(Tools.Session(fake, options: new OpenDeskToolOptions { MaxImageLongEdge = 640, ProbeWidth = 160 }));
        IList<AIContent> result = await Tools.CallAsync(catalog, "screenshot", new { marks = true });
        Assert.IsType<DataContent>(result[1]);
        Assert.Contains("Marks unavailable: this computer cannot read the accessibility tree", Tools.Text(result));
    }

    [Fact]
    public async Task App_and_clipboard()
    {
        var fake = new FakeComputer();
        var catalog = OpenDeskTools.Create(Tools.Session(fake));
        Assert.Contains("Opened xcalc", Tools.Text(await Tools.CallAsync(catalog, "app", new { action = "open", name = "xcalc", settle_ms = 0 })));
        await Tools.CallAsync(catalog, "clipboard", new { action = "write", text = "héllo" });
        Assert.Equal("héllo", Tools.Text(await Tools.CallAsync(catalog, "clipboard", new { action = "read" })));
    }

    [Fact]
    public async Task Ocr_without_engine_is_unsupported_and_with_engine_maps_words_to_image_space()
    {
        var fake = new FakeComputer();
        var none = OpenDeskTools.Create(Tools.Session(fake));
        var e = await Assert.ThrowsAsync<CapabilityUnsupportedException>(() => Tools.CallAsync(none, "ocr"));
        Assert.Contains("OCR is not available", e.Message);

        var engine = new StubOcr();
        var catalog = OpenDeskTools.Create(Tools.Session(fake, options: new OpenDeskToolOptions { MaxImageLongEdge = 640, OcrEngine = engine, ProbeWidth = 160 }));
        await Tools.CallAsync(catalog, "screenshot");
        string text = Tools.Text(await Tools.CallAsync(catalog, "ocr"));
        Assert.Contains("Save", text);
        Assert.Contains("\"Save\" at (380, 310) size 60x20", text);
        Assert.Equal(PixmapFormat.Png, engine.Last!.Format);
        Assert.Equal(1280, engine.Last.Width);
    }

    [Fact]
    public async Task Admin_tools_describe_peers_status_and_capabilities()
    {
        var peers = new FakePeerDirectory().Add("desk2", description: "Build box\nsecond line").Add("desk3");
        var session = Tools.Session(peers: peers);
        var catalog = OpenDeskTools.Create(session);
        string list = Tools.Text(await Tools.CallAsync(catalog, "opendesk_peers"));
        Assert.Contains("Warning: several peers", list);
        Assert.Contains("desk2", list);
        Assert.Contains("Build box", list);
        Assert.DoesNotContain("second line", list);
        Assert.Contains("Default peer is now: desk2", Tools.Text(await Tools.CallAsync(catalog, "opendesk_use", new { peer = "desk2" })));
        Assert.Contains("Default peer: desk2 (explicit)", Tools.Text(await Tools.CallAsync(catalog, "opendesk_status")));
        Assert.Contains("second line", Tools.Text(await Tools.CallAsync(catalog, "opendesk_describe", new { peer = "desk2" })));
        string caps = Tools.Text(await Tools.CallAsync(catalog, "opendesk_capabilities"));
        Assert.StartsWith("[on desk2] Peer: desk2", caps);
        Assert.Contains("Backend: fake", caps);
        Assert.Contains("0 (primary) FAKE-1: 1280x800 at (0, 0), scale 1, screenshot 1280x800", caps);
        Assert.Contains("Found 1 peer(s)", Tools.Text(await Tools.CallAsync(catalog, "opendesk_discover", new { timeout = 0.5 })));
        Assert.Contains("Closed connection to desk2", Tools.Text(await Tools.CallAsync(catalog, "opendesk_disconnect", new { peer = "desk2" })));
        Assert.Contains("ambiguous", Tools.Text(await Tools.CallAsync(catalog, "opendesk_status")));
    }

    [Fact]
    public async Task Audit_lists_this_sessions_actions()
    {
        var catalog = OpenDeskTools.Create(Tools.Session());
        await Tools.CallAsync(catalog, "mouse", new { action = "move", x = 1, y = 2, settle_ms = 0 });
        await Assert.ThrowsAsync<InvalidArgumentException>(() => Tools.CallAsync(catalog, "mouse", new { action = "drag" }));
        string full = Tools.Text(await Tools.CallAsync(catalog, "audit"));
        Assert.Contains("local mouse.move", full);
        Assert.Contains("ERROR: missing required argument 'end_x'", full);
        Assert.Contains("2 action(s) in this session, 1 failed", Tools.Text(await Tools.CallAsync(catalog, "audit", new { format = "summary" })));
    }

    [Fact]
    public async Task Computer_that_ignores_max_size_gets_an_honest_fixed_wait_and_an_over_budget_note()
    {
        var computer = new DyingComputer(new FakeComputer()) { IgnoreMaxSize = true };
        var catalog = OpenDeskTools.Create(Tools.Session(computer, options: new OpenDeskToolOptions { MaxImageLongEdge = 640, ProbeWidth = 160 }));
        string first = Tools.Text(await Tools.CallAsync(catalog, "mouse", new { action = "move", x = 1, y = 1, settle_ms = 100 }));
        Assert.Contains("No screen change seen", first); // the first (full-size) probe is still compared
        string second = Tools.Text(await Tools.CallAsync(catalog, "mouse", new { action = "move", x = 2, y = 2, settle_ms = 100 }));
        Assert.Contains("Waited 100 ms; screen change not checked", second);
        string shot = Tools.Text(await Tools.CallAsync(catalog, "screenshot"));
        Assert.Contains("did not downscale the capture; the image is over the 640x400 budget", shot);
        Assert.Contains("Screenshot 1280x800", shot);
    }

    [Fact]
    public async Task Mark_renderer_draws_and_the_text_says_so()
    {
        var renderer = new StubRenderer();
        var catalog = OpenDeskTools.Create(Tools.Session(new FakeComputer(), options: new OpenDeskToolOptions { MarkRenderer = renderer, ProbeWidth = 160 }));
        IList<AIContent> result = await Tools.CallAsync(catalog, "screenshot", new { marks = true });
        Assert.Contains("drawn on the image", Tools.Text(result));
        Assert.Equal(3, renderer.Marks!.Count);
        Assert.Equal(new Rect(700, 600, 120, 40), renderer.Marks[1].Bounds);
        Assert.Equal(StubRenderer.Marker, Assert.IsType<DataContent>(result[1]).Data.ToArray());
    }

    [Fact]
    public async Task Show_cursor_draws_an_arrow_with_its_tip_at_the_cursor_in_image_space()
    {
        // Desktop 1280x800 shown as a 640x400 image: the cursor at desktop (400, 300) is image pixel (200, 150).
        var computer = new FakeComputer();
        var catalog = OpenDeskTools.Create(Tools.Session(computer, options: new OpenDeskToolOptions
        {
            MaxImageLongEdge = 640, ProbeWidth = 160, CursorRenderer = new LocalCursorRenderer(),
        }));
        await Tools.CallAsync(catalog, "screenshot", new { format = "png" });
        await Tools.CallAsync(catalog, "mouse", new { action = "move", x = 200, y = 150, settle_ms = 0 });
        IList<AIContent> plain = await Tools.CallAsync(catalog, "screenshot", new { format = "png" });
        IList<AIContent> shown = await Tools.CallAsync(catalog, "screenshot", new { format = "png", show_cursor = true });
        Assert.Contains("Cursor at (200, 150) in mouse coordinates (desktop (400, 300)); drawn on the image as an arrow whose tip is at image pixel (200, 150).", Tools.Text(shown));

        using SKBitmap before = SKBitmap.Decode(Assert.IsType<DataContent>(plain[1]).Data.ToArray());
        using SKBitmap after = SKBitmap.Decode(Assert.IsType<DataContent>(shown[1]).Data.ToArray());
        Assert.Equal((640, 400), (after.Width, after.Height));

        // Every changed pixel lies in the arrow's box below and right of the tip, and the box does change.
        int minX = int.MaxValue, minY = int.MaxValue, maxX = -1, maxY = -1;
        for (int y = 0; y < 400; y++)
        {
            for (int x = 0; x < 640; x++)
            {
                if (before.GetPixel(x, y) != after.GetPixel(x, y))
                {
                    (minX, minY, maxX, maxY) = (Math.Min(minX, x), Math.Min(minY, y), Math.Max(maxX, x), Math.Max(maxY, y));
                }
            }
        }

        Assert.InRange(minX, 198, 200);
        Assert.InRange(minY, 148, 150);
        Assert.InRange(maxX, 208, 216);
        Assert.InRange(maxY, 166, 174);
        SKColor body = after.GetPixel(203, 160), edge = after.GetPixel(200, 158), background = before.GetPixel(203, 160);
        Assert.True(body.Red > 245 && body.Green > 245 && body.Blue > 245, $"arrow body {body} (background {background})");
        Assert.True(edge.Red < 100 && edge.Green < 100 && edge.Blue < 100, $"arrow outline {edge}");

        // A cursor outside a zoomed area is not drawn, and the text says so.
        string zoomed = Tools.Text(await Tools.CallAsync(catalog, "screenshot", new { zoom = new[] { 400, 300, 500, 380 }, show_cursor = true }));
        Assert.Contains("outside this image, so it is not drawn", zoomed);
    }

    [Fact]
    public async Task Show_cursor_without_a_renderer_reports_the_position_only()
    {
        var catalog = OpenDeskTools.Create(Tools.Session(new FakeComputer()));
        await Tools.CallAsync(catalog, "mouse", new { action = "move", x = 10, y = 20, settle_ms = 0 });
        string text = Tools.Text(await Tools.CallAsync(catalog, "screenshot", new { show_cursor = true }));
        Assert.Contains("Cursor at (10, 20) in mouse coordinates (desktop (10, 20)); not drawn (no image renderer on this server).", text);
    }

    private sealed class LocalCursorRenderer : ICursorRenderer
    {
        public ValueTask<Pixmap> DrawCursorAsync(Pixmap image, Point tip, CancellationToken cancellationToken)
            => ValueTask.FromResult(PixmapTools.DrawCursor(image, tip));
    }

    private sealed class StubRenderer : IMarkRenderer
    {
        public static readonly byte[] Marker = [1, 2, 3];

        public IReadOnlyList<ScreenMark>? Marks { get; private set; }

        public ValueTask<Pixmap> DrawAsync(Pixmap image, IReadOnlyList<ScreenMark> marks, CancellationToken cancellationToken)
        {
            Marks = marks;
            return ValueTask.FromResult(image with { Data = Marker });
        }
    }

    private sealed class StubOcr : IOcrEngine
    {
        public Pixmap? Last { get; private set; }

        public ValueTask<OcrResult> RecognizeAsync(Pixmap image, CancellationToken cancellationToken)
        {
            Last = image;
            return ValueTask.FromResult(new OcrResult("Save", [new OcrWord("Save", FakeComputer.SaveButtonBounds, 95)]));
        }
    }
}
