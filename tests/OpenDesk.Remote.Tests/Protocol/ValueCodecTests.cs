using OpenDesk.Core;
using OpenDesk.Remote.Protocol;

namespace OpenDesk.Remote.Tests.Protocol;

/// <summary>Core records ↔ wire maps: exact field names and order, round trips through msgpack, lenient reading.</summary>
public sealed class ValueCodecTests
{
    private static readonly DateTimeOffset s_time = new(2026, 11, 23, 4, 5, 6, 789, TimeSpan.Zero);
    private static readonly Rect s_rect = new(1.5, -2, 640, 480);

    private static readonly Pixmap s_pixmap = new([0x89, 0x50, 0x4e, 0x47], PixmapFormat.Jpeg, 64, 40, 1280, 800, "0", s_time);

    private static readonly UIElement s_tree = new("window", "Calc", null, s_rect, Focused: true, Actions: ["focus"],
        Children: [new UIElement("push button", "7", "7", new Rect(1, 2, 3, 4), Enabled: false, Actions: ["click", "press"])],
        Metadata: new Dictionary<string, object?> { ["menu_path"] = new List<object?> { "File", "Open" }, ["partial"] = true });

    /// <summary>Every value type: (name, value, writer, reader, expected wire keys in spec order).</summary>
    public static TheoryData<string> Types() => new(Cases.Keys);

    private static readonly Dictionary<string, (object Value, Func<object, Dictionary<string, object?>> ToWire, Func<object?, object> Read, string[] Keys)> Cases = new()
    {
        ["Point"] = (new Point(3.25, -4), v => ValueCodec.ToWire((Point)v), v => ValueCodec.ReadPoint(v), ["x", "y"]),
        ["Rect"] = (s_rect, v => ValueCodec.ToWire((Rect)v), v => ValueCodec.ReadRect(v), ["x", "y", "width", "height"]),
        ["Pixmap"] = (s_pixmap, v => ValueCodec.ToWire((Pixmap)v), v => ValueCodec.ReadPixmap(v),
            ["data", "format", "width", "height", "logical_width", "logical_height", "display_id", "captured_at"]),
        ["Display"] = (new Display("HDMI-1", s_rect, 2.0, true, "Dell"), v => ValueCodec.ToWire((Display)v), v => ValueCodec.ReadDisplay(v),
            ["id", "bounds", "scale_factor", "primary", "name"]),
        ["Window"] = (new Window("0x1a", "Title", "xterm", 42, s_rect, true, false, "2"), v => ValueCodec.ToWire((Window)v), v => ValueCodec.ReadWindow(v),
            ["id", "title", "app_name", "pid", "bounds", "focused", "minimized", "workspace"]),
        ["Process"] = (new ProcessInfo(7, "bash", 1, ["bash", "-l"]), v => ValueCodec.ToWire((ProcessInfo)v), v => ValueCodec.ReadProcess(v),
            ["pid", "name", "ppid", "cmdline"]),
        ["UIElement"] = (s_tree, v => ValueCodec.ToWire((UIElement)v), v => ValueCodec.ReadUIElement(v),
            ["role", "name", "value", "bounds", "focused", "enabled", "actions", "children", "metadata"]),
        ["PointerEvent"] = (new PointerEvent(PointerAction.Scroll, new Point(10, 20), MouseButton.X2, 1, -3) { Modifiers = [Modifier.Ctrl, Modifier.CapsLock], Pressure = 0.5, TiltX = 1, TiltY = 2, Timestamp = s_time },
            v => ValueCodec.ToWire((PointerEvent)v), v => ValueCodec.ReadPointerEvent(v),
            ["action", "point", "button", "modifiers", "dx", "dy", "pressure", "tilt_x", "tilt_y", "timestamp"]),
        ["KeyEvent"] = (new KeyEvent(KeyAction.Down, "Return", "\r", 36, true) { Modifiers = [Modifier.Shift], Timestamp = s_time },
            v => ValueCodec.ToWire((KeyEvent)v), v => ValueCodec.ReadKeyEvent(v),
            ["action", "keysym", "char", "scancode", "modifiers", "is_repeat", "timestamp"]),
        ["TextInput"] = (new TextInput("héllo ✓", 0), v => ValueCodec.ToWire((TextInput)v), v => ValueCodec.ReadTextInput(v), ["text", "interval_ms"]),
        ["ClipboardEntry"] = (new ClipboardEntry("image/png", [1, 2, 3]), v => ValueCodec.ToWire((ClipboardEntry)v), v => ValueCodec.ReadClipboardEntry(v), ["mime_type", "data"]),
        ["ClipboardContents"] = (ClipboardContents.FromText("hi"), v => ValueCodec.ToWire((ClipboardContents)v), v => ValueCodec.ReadClipboardContents(v), ["entries"]),
        ["FileEntry"] = (new FileEntry("/home/u/a.txt", "a.txt", false, 12, s_time, 420), v => ValueCodec.ToWire((FileEntry)v), v => ValueCodec.ReadFileEntry(v),
            ["path", "name", "is_dir", "size", "mtime", "mode"]),
        ["CompletedCommand"] = (new CompletedCommand(3, [0x6f, 0x6b], [0xff], TimeSpan.FromMilliseconds(1500)), v => ValueCodec.ToWire((CompletedCommand)v), v => ValueCodec.ReadCompletedCommand(v),
            ["returncode", "stdout", "stderr", "duration"]),
        ["Environment"] = (new EnvironmentInfo("linux", "6.1", "box", "en_US.UTF-8", "UTC", [new Display("0", s_rect)]), v => ValueCodec.ToWire((EnvironmentInfo)v), v => ValueCodec.ReadEnvironment(v),
            ["os", "os_version", "hostname", "locale", "timezone", "displays"]),
        ["Notification"] = (new Notification("n1", "Hello", "body", "mail", s_time), v => ValueCodec.ToWire((Notification)v), v => ValueCodec.ReadNotification(v),
            ["id", "title", "body", "app", "timestamp"]),
        ["DisplayFrame"] = (new DisplayFrame(s_pixmap, 17, false), v => ValueCodec.ToWire((DisplayFrame)v), v => ValueCodec.ReadDisplayFrame(v), ["pixmap", "frame_number", "keyframe"]),
        ["CapabilityManifest"] = (new CapabilityManifest([Capability.DisplayCapture, Capability.DisplayStream, new Capability("future.thing")],
                new Dictionary<string, IReadOnlyDictionary<string, object?>> { ["display.stream"] = new Dictionary<string, object?> { ["max_fps"] = 30L }, ["display.capture"] = new Dictionary<string, object?> { ["encode"] = new List<object?> { "png", "jpeg" } } },
                "0.1", "local/linux", "my desk"),
            v => ValueCodec.ToWire((CapabilityManifest)v), v => ValueCodec.ReadCapabilityManifest(v),
            ["capabilities", "limits", "protocol_version", "backend", "description"]),
    };

    [Theory]
    [MemberData(nameof(Types))]
    public void ToWire_EachType_HasExactSpecKeysInOrder(string type)
    {
        var c = Cases[type];
        Assert.Equal(c.Keys, c.ToWire(c.Value).Keys.ToArray());
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void RoundTrip_ThroughMsgpack_ReencodesToIdenticalBytes(string type)
    {
        var c = Cases[type];
        byte[] wire = MsgPackValue.Encode(c.ToWire(c.Value));
        object back = c.Read(MsgPackValue.Decode(wire));
        Assert.Equal(wire, MsgPackValue.Encode(c.ToWire(back)));
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void Read_UnknownFields_AreIgnored(string type)
    {
        var c = Cases[type];
        var map = (Dictionary<string, object?>)MsgPackValue.Decode(MsgPackValue.Encode(c.ToWire(c.Value)))!;
        map["zz_future_field"] = new Dictionary<string, object?> { ["x"] = 1L };
        object back = c.Read(map);
        Assert.Equal(MsgPackValue.Encode(c.ToWire(c.Value)), MsgPackValue.Encode(c.ToWire(back)));
    }

    [Fact]
    public void Read_IntsWhereFloatsExpected_AndNilOptionals_AreAccepted()
    {
        var rect = ValueCodec.ReadRect(new Dictionary<string, object?> { ["x"] = 1L, ["y"] = 2L, ["width"] = 3L, ["height"] = 4.5 });
        Assert.Equal(new Rect(1, 2, 3, 4.5), rect);
        var window = ValueCodec.ReadWindow(new Dictionary<string, object?> { ["id"] = "1", ["title"] = "t", ["app_name"] = "a", ["pid"] = null, ["bounds"] = null, ["workspace"] = 3L });
        Assert.Null(window.Pid);
        Assert.Null(window.Bounds);
        Assert.Equal("3", window.Workspace);
        Assert.False(window.Focused);
        var pointer = ValueCodec.ReadPointerEvent(new Dictionary<string, object?> { ["action"] = "move", ["point"] = new Dictionary<string, object?> { ["x"] = 5L, ["y"] = 6L } });
        Assert.Null(pointer.Timestamp);
        Assert.Empty(pointer.Modifiers);
        var env = ValueCodec.ReadEnvironment(new Dictionary<string, object?> { ["os"] = "linux" });
        Assert.Empty(env.Displays);
        Assert.Equal("", env.Hostname);
        var pixmap = ValueCodec.ReadPixmap(new Dictionary<string, object?> { ["data"] = Array.Empty<byte>(), ["width"] = 1L, ["height"] = 1L, ["logical_width"] = 1L, ["logical_height"] = 1L, ["captured_at"] = 1700000000L });
        Assert.Equal(PixmapFormat.Png, pixmap.Format);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1700000000), pixmap.CapturedAt);
        var manifest = ValueCodec.ReadCapabilityManifest(new Dictionary<string, object?>());
        Assert.Empty(manifest.Capabilities);
        Assert.Equal("unknown", manifest.Backend);
    }

    [Fact]
    public void ToPeerWire_SendsOnlyKnownCapabilities_AndOverridesTheDescription()
    {
        var manifest = new CapabilityManifest([Capability.DisplayCapture, new Capability("future.thing"), Capability.DisplayCapture],
            new Dictionary<string, IReadOnlyDictionary<string, object?>>(), "1.0", "fake", "own");

        Dictionary<string, object?> wire = ValueCodec.ToPeerWire(manifest, "from description.txt");

        Assert.Equal(["display.capture"], Assert.IsType<string[]>(wire["capabilities"]));
        Assert.Equal("from description.txt", wire["description"]);
        Assert.Equal("own", ValueCodec.ToPeerWire(manifest)["description"]);
        Assert.Equal(["capabilities", "limits", "protocol_version", "backend", "description"], wire.Keys);
        Assert.Contains("future.thing", (string[])ValueCodec.ToWire(manifest)["capabilities"]!);
    }

    [Fact]
    public void ReadInputEvent_WithKeysym_IsKeyEvent_OtherwisePointerEvent()
    {
        Assert.IsType<KeyEvent>(ValueCodec.ReadInputEvent(ValueCodec.ToWire(new KeyEvent(KeyAction.Up, "a"))));
        Assert.IsType<PointerEvent>(ValueCodec.ReadInputEvent(ValueCodec.ToWire(new PointerEvent(PointerAction.Down, new Point(1, 1)))));
    }

    [Fact]
    public void ToWire_InputEventWithoutTimestamp_SendsNow()
    {
        double before = ValueCodec.ToEpochSeconds(DateTimeOffset.UtcNow);
        var wire = ValueCodec.ToWire(new KeyEvent(KeyAction.Down, "a"));
        Assert.InRange((double)wire["timestamp"]!, before - 1, before + 60);
    }

    public static TheoryData<string, Func<object>, string> BadShapes() => new()
    {
        { "not a map", () => ValueCodec.ReadPoint(new List<object?>()), "value: expected a map" },
        { "missing x", () => ValueCodec.ReadPoint(new Dictionary<string, object?> { ["y"] = 1.0 }), "value.x: missing required field" },
        { "x is str", () => ValueCodec.ReadPoint(new Dictionary<string, object?> { ["x"] = "1", ["y"] = 1.0 }), "value.x: expected a number" },
        { "nested bad", () => ValueCodec.ReadDisplay(new Dictionary<string, object?> { ["id"] = "d", ["bounds"] = new Dictionary<string, object?> { ["x"] = 0.0, ["y"] = 0.0, ["width"] = true, ["height"] = 1.0 } }), "value.bounds.width" },
        { "data is str", () => ValueCodec.ReadClipboardEntry(new Dictionary<string, object?> { ["mime_type"] = "t", ["data"] = "abc" }), "value.data: expected bytes" },
        { "bad enum", () => ValueCodec.ReadPointerEvent(new Dictionary<string, object?> { ["action"] = "jump", ["point"] = new Dictionary<string, object?> { ["x"] = 0.0, ["y"] = 0.0 } }), "value.action" },
        { "bad modifier", () => ValueCodec.ReadKeyEvent(new Dictionary<string, object?> { ["action"] = "down", ["keysym"] = "a", ["modifiers"] = new List<object?> { "hyper" } }), "value.modifiers[0]" },
        { "int overflow", () => ValueCodec.ReadProcess(new Dictionary<string, object?> { ["pid"] = 1L << 40, ["name"] = "x" }), "value.pid" },
        { "bad child", () => ValueCodec.ReadUIElement(new Dictionary<string, object?> { ["role"] = "w", ["children"] = new List<object?> { 5L } }), "value.children[0]" },
        { "bad time", () => ValueCodec.ReadNotification(new Dictionary<string, object?> { ["id"] = "1", ["title"] = "t", ["timestamp"] = double.NaN }), "value.timestamp" },
    };

    [Theory]
    [MemberData(nameof(BadShapes))]
    public void Read_BadShape_ThrowsInvalidArgumentNamingThePath(string what, Func<object> read, string expected)
    {
        var error = Assert.Throws<InvalidArgumentException>(read);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Equal(ErrorCode.InvalidArgument, error.Code);
        Assert.NotNull(what);
    }

    [Fact]
    public void CaptureParams_ExtensionsOnlyWhenAdvertised()
    {
        var options = new CaptureOptions("1", new Rect(0, 0, 10, 10), false) { Format = PixmapFormat.Jpeg, Quality = 70, MaxWidth = 1568 };
        Assert.Equal(["display_id", "region", "downscale"], ValueCodec.CaptureParams(options, includeExtensions: false).Keys.ToArray());
        var extended = ValueCodec.CaptureParams(options, includeExtensions: true);
        Assert.Equal(["display_id", "region", "downscale", "format", "quality", "max_width"], extended.Keys.ToArray());
        CaptureOptions back = ValueCodec.ReadCaptureOptions((Dictionary<string, object?>)MsgPackValue.Decode(MsgPackValue.Encode(extended))!);
        Assert.Equal(options, back);
        Assert.Equal(CaptureOptions.Default, ValueCodec.ReadCaptureOptions(new Dictionary<string, object?>()));
    }

    [Fact]
    public void Manifest_ExtensionFlags_AreDetected()
    {
        var plain = new CapabilityManifest([Capability.DisplayCapture], new Dictionary<string, IReadOnlyDictionary<string, object?>>());
        Assert.False(ProtocolExtensions.SupportsCaptureEncoding(plain));
        Assert.False(ProtocolExtensions.SupportsUITreeBudget(plain));
        var extended = ValueCodec.ReadCapabilityManifest(MsgPackValue.Decode(MsgPackValue.Encode(new Dictionary<string, object?>
        {
            ["capabilities"] = new[] { "display.capture", "ui.tree" },
            ["limits"] = new Dictionary<string, object?>
            {
                ["display.capture"] = new Dictionary<string, object?> { [ProtocolExtensions.CaptureEncodeLimit] = new[] { "png", "jpeg" } },
                ["ui.tree"] = new Dictionary<string, object?> { [ProtocolExtensions.UITreeBudgetLimit] = true },
            },
        })));
        Assert.True(ProtocolExtensions.SupportsCaptureEncoding(extended));
        Assert.True(ProtocolExtensions.SupportsUITreeBudget(extended));
    }

    [Fact]
    public void MethodParams_RoundTrip()
    {
        var query = new UITreeQuery("w", null, 5) { MaxNodes = 100, Budget = TimeSpan.FromMilliseconds(250) };
        Assert.Equal(["window_id", "app", "max_depth"], ValueCodec.UITreeParams(query, false).Keys.ToArray());
        Assert.Equal(query, ValueCodec.ReadUITreeQuery(ValueCodec.UITreeParams(query, true)));

        var shell = new ShellCommand("ls", TimeSpan.FromSeconds(2.5), "/tmp", new Dictionary<string, string> { ["A"] = "1" });
        var shellBack = ValueCodec.ReadShellCommand(ValueCodec.ShellParams(shell));
        Assert.Equal(shell.Command, shellBack.Command);
        Assert.Equal(shell.Timeout, shellBack.Timeout);
        Assert.Equal("1", shellBack.Environment!["A"]);

        var exec = new ExecCommand(["echo", "x"], null, null, null, [1, 2]);
        Assert.Equal(["argv", "timeout", "cwd", "env", "stdin"], ValueCodec.ExecParams(exec).Keys.ToArray());
        var execBack = ValueCodec.ReadExecCommand(ValueCodec.ExecParams(exec));
        Assert.Equal(exec.Argv, execBack.Argv);
        Assert.Equal(exec.Stdin, execBack.Stdin);

        var sub = new DisplayStreamOptions("0", 15, null);
        Assert.Equal(sub, ValueCodec.ReadDisplayStreamOptions(ValueCodec.SubscribeParams(sub)));

        var items = ValueCodec.Items(new[] { new Point(1, 2) }, p => ValueCodec.ToWire(p));
        Assert.Equal([new Point(1, 2)], ValueCodec.ReadItems(items, (v, p) => ValueCodec.ReadPoint(v, p)));
    }

    [Fact]
    public void ErrorMapping_EveryCode_RoundTripsThroughErrorInfo()
    {
        foreach (ErrorCode code in Enum.GetValues<ErrorCode>())
        {
            var details = new Dictionary<string, object?> { ["k"] = "v" };
            OpenDeskException original = OpenDeskException.FromCode(code, "msg " + code, details);
            ErrorInfo info = ErrorMapping.FromException(original);
            Assert.Equal(code.ToWireName(), info.Code);
            OpenDeskException back = ErrorMapping.ToException(info);
            Assert.Equal(code, back.Code);
            Assert.Equal(original.GetType(), back.GetType());
            Assert.Equal("msg " + code, back.Message);
            Assert.Equal("v", back.Details["k"]);
        }

        Assert.Equal(ErrorCode.Internal, ErrorMapping.ToException(new ErrorInfo("brand_new_code", "x")).Code);
        Assert.Equal("cancelled", ErrorMapping.FromException(new OperationCanceledException()).Code);
        Assert.Equal("invalid_argument", ErrorMapping.FromException(new ArgumentException("bad")).Code);
        Assert.Equal("invalid_argument", ErrorMapping.FromException(new FormatException("bad")).Code);
        Assert.Equal("not_found", ErrorMapping.FromException(new FileNotFoundException("gone")).Code);
        Assert.Equal("timeout", ErrorMapping.FromException(new TimeoutException("slow")).Code);
        ErrorInfo other = ErrorMapping.FromException(new InvalidOperationException("boom"));
        Assert.Equal("internal", other.Code);
        Assert.Equal("boom", other.Message);
    }
}
