using System.Globalization;
using OpenDesk.Core;

namespace OpenDesk.Remote.Protocol;

/// <summary>
/// Extensions beyond protocol v1, advertised in the manifest <c>limits</c> under existing capability keys (so strict
/// Python peers still accept the manifest). A controller sends extension params only when the server advertises them:
/// Python servers reject unknown params.
/// </summary>
internal static class ProtocolExtensions
{
    /// <summary>
    /// <c>limits["display.capture"]["encode"]</c> = array of format names (e.g. <c>["png", "jpeg"]</c>): the server
    /// accepts the <c>display.capture</c> params <see cref="FormatParam"/>, <see cref="QualityParam"/>,
    /// <see cref="MaxWidthParam"/> and <see cref="MaxHeightParam"/>.
    /// </summary>
    public const string CaptureEncodeLimit = "encode";

    /// <summary><c>display.capture</c> extension param: <c>png</c> / <c>jpeg</c> / <c>raw_rgba</c> / <c>raw_rgb</c>.</summary>
    public const string FormatParam = "format";

    /// <summary><c>display.capture</c> extension param: JPEG quality 1..100.</summary>
    public const string QualityParam = "quality";

    /// <summary><c>display.capture</c> extension param: fit the image into this many pixels wide.</summary>
    public const string MaxWidthParam = "max_width";

    /// <summary><c>display.capture</c> extension param: fit the image into this many pixels high.</summary>
    public const string MaxHeightParam = "max_height";

    /// <summary>
    /// <c>limits["ui.tree"]["budget"] = true</c>: the server accepts the <c>ui.tree</c> params <see cref="MaxNodesParam"/>
    /// and <see cref="BudgetMsParam"/>.
    /// </summary>
    public const string UITreeBudgetLimit = "budget";

    /// <summary><c>ui.tree</c> extension param: node budget.</summary>
    public const string MaxNodesParam = "max_nodes";

    /// <summary><c>ui.tree</c> extension param: time budget in milliseconds.</summary>
    public const string BudgetMsParam = "budget_ms";

    /// <summary>True when the manifest advertises the capture encoding extension.</summary>
    public static bool SupportsCaptureEncoding(CapabilityManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return manifest.GetLimit(Capability.DisplayCapture, CaptureEncodeLimit) is not null and not false;
    }

    /// <summary>True when the manifest advertises the ui.tree budget extension.</summary>
    public static bool SupportsUITreeBudget(CapabilityManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return manifest.GetLimit(Capability.UiTree, UITreeBudgetLimit) is true;
    }
}

/// <summary>
/// Core value records ↔ msgpack-ready maps with the exact wire field names and order of spec §10. Writers emit every
/// field (nil for unset optionals). Readers accept any number where a float is expected, nil or absence for optionals
/// and defaulted fields, and ignore unknown fields; a bad shape throws <see cref="InvalidArgumentException"/> naming
/// the path (e.g. <c>result.bounds.x</c>).
/// </summary>
internal static class ValueCodec
{
    private static readonly string[] s_itemsKey = ["items"];

    // ---------------------------------------------------------------- writers

    public static Dictionary<string, object?> ToWire(Point value) => new(2) { ["x"] = value.X, ["y"] = value.Y };

    public static Dictionary<string, object?> ToWire(Rect value) =>
        new(4) { ["x"] = value.X, ["y"] = value.Y, ["width"] = value.Width, ["height"] = value.Height };

    public static Dictionary<string, object?> ToWire(Pixmap value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new(8)
        {
            ["data"] = value.Data,
            ["format"] = value.Format.ToWireName(),
            ["width"] = value.Width,
            ["height"] = value.Height,
            ["logical_width"] = value.LogicalWidth,
            ["logical_height"] = value.LogicalHeight,
            ["display_id"] = value.DisplayId,
            ["captured_at"] = ToEpochSeconds(value.CapturedAt),
        };
    }

    public static Dictionary<string, object?> ToWire(Display value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new(5)
        {
            ["id"] = value.Id,
            ["bounds"] = ToWire(value.Bounds),
            ["scale_factor"] = value.ScaleFactor,
            ["primary"] = value.Primary,
            ["name"] = value.Name,
        };
    }

    public static Dictionary<string, object?> ToWire(Window value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new(8)
        {
            ["id"] = value.Id,
            ["title"] = value.Title,
            ["app_name"] = value.AppName,
            ["pid"] = value.Pid,
            ["bounds"] = value.Bounds is { } b ? ToWire(b) : null,
            ["focused"] = value.Focused,
            ["minimized"] = value.Minimized,
            ["workspace"] = value.Workspace,
        };
    }

    public static Dictionary<string, object?> ToWire(ProcessInfo value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new(4) { ["pid"] = value.Pid, ["name"] = value.Name, ["ppid"] = value.Ppid, ["cmdline"] = value.Cmdline.ToArray() };
    }

    public static Dictionary<string, object?> ToWire(UIElement value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var children = new List<object?>(value.Children.Count);
        foreach (UIElement child in value.Children)
        {
            children.Add(ToWire(child));
        }

        return new(9)
        {
            ["role"] = value.Role,
            ["name"] = value.Name,
            ["value"] = value.Value,
            ["bounds"] = value.Bounds is { } b ? ToWire(b) : null,
            ["focused"] = value.Focused,
            ["enabled"] = value.Enabled,
            ["actions"] = value.Actions.ToArray(),
            ["children"] = children,
            ["metadata"] = value.Metadata,
        };
    }

    public static Dictionary<string, object?> ToWire(InputEvent value) => value switch
    {
        PointerEvent p => ToWire(p),
        KeyEvent k => ToWire(k),
        null => throw new ArgumentNullException(nameof(value)),
        _ => throw new ArgumentException($"unknown input event {value.GetType().Name}", nameof(value)),
    };

    /// <summary>A PointerEvent; a null <see cref="InputEvent.Timestamp"/> is sent as now (Python requires a float).</summary>
    public static Dictionary<string, object?> ToWire(PointerEvent value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new(10)
        {
            ["action"] = value.Action.ToWireName(),
            ["point"] = ToWire(value.Point),
            ["button"] = value.Button?.ToWireName(),
            ["modifiers"] = Modifiers(value.Modifiers),
            ["dx"] = value.Dx,
            ["dy"] = value.Dy,
            ["pressure"] = value.Pressure,
            ["tilt_x"] = value.TiltX,
            ["tilt_y"] = value.TiltY,
            ["timestamp"] = ToEpochSeconds(value.Timestamp ?? DateTimeOffset.UtcNow),
        };
    }

    /// <summary>A KeyEvent; a null <see cref="InputEvent.Timestamp"/> is sent as now.</summary>
    public static Dictionary<string, object?> ToWire(KeyEvent value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new(7)
        {
            ["action"] = value.Action.ToWireName(),
            ["keysym"] = value.Keysym,
            ["char"] = value.Char,
            ["scancode"] = value.Scancode,
            ["modifiers"] = Modifiers(value.Modifiers),
            ["is_repeat"] = value.IsRepeat,
            ["timestamp"] = ToEpochSeconds(value.Timestamp ?? DateTimeOffset.UtcNow),
        };
    }

    public static Dictionary<string, object?> ToWire(TextInput value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new(2) { ["text"] = value.Text, ["interval_ms"] = value.IntervalMs };
    }

    public static Dictionary<string, object?> ToWire(ClipboardEntry value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new(2) { ["mime_type"] = value.MimeType, ["data"] = value.Data };
    }

    public static Dictionary<string, object?> ToWire(ClipboardContents value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new(1) { ["entries"] = value.Entries.Select(e => (object?)ToWire(e)).ToList() };
    }

    public static Dictionary<string, object?> ToWire(FileEntry value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new(6)
        {
            ["path"] = value.Path,
            ["name"] = value.Name,
            ["is_dir"] = value.IsDir,
            ["size"] = value.Size,
            ["mtime"] = value.ModifiedAt is { } m ? ToEpochSeconds(m) : null,
            ["mode"] = value.Mode,
        };
    }

    public static Dictionary<string, object?> ToWire(CompletedCommand value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new(4)
        {
            ["returncode"] = value.ReturnCode,
            ["stdout"] = value.Stdout,
            ["stderr"] = value.Stderr,
            ["duration"] = value.Duration.TotalSeconds,
        };
    }

    public static Dictionary<string, object?> ToWire(EnvironmentInfo value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new(6)
        {
            ["os"] = value.Os,
            ["os_version"] = value.OsVersion,
            ["hostname"] = value.Hostname,
            ["locale"] = value.Locale,
            ["timezone"] = value.Timezone,
            ["displays"] = value.Displays.Select(d => (object?)ToWire(d)).ToList(),
        };
    }

    public static Dictionary<string, object?> ToWire(Notification value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new(5)
        {
            ["id"] = value.Id,
            ["title"] = value.Title,
            ["body"] = value.Body,
            ["app"] = value.App,
            ["timestamp"] = ToEpochSeconds(value.Timestamp),
        };
    }

    public static Dictionary<string, object?> ToWire(DisplayFrame value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new(3) { ["pixmap"] = ToWire(value.Pixmap), ["frame_number"] = value.FrameNumber, ["keyframe"] = value.Keyframe };
    }

    /// <summary>A CapabilityManifest (capabilities as an array of names, without duplicates).</summary>
    public static Dictionary<string, object?> ToWire(CapabilityManifest value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var limits = new Dictionary<string, object?>(value.Limits.Count);
        foreach (KeyValuePair<string, IReadOnlyDictionary<string, object?>> kv in value.Limits)
        {
            limits[kv.Key] = kv.Value;
        }

        return new(5)
        {
            ["capabilities"] = value.Capabilities.Select(c => c.Name).Distinct(StringComparer.Ordinal).ToArray(),
            ["limits"] = limits,
            ["protocol_version"] = value.ProtocolVersion,
            ["backend"] = value.Backend,
            ["description"] = value.Description,
        };
    }

    /// <summary>
    /// A CapabilityManifest for a peer (HELLO, <c>system.capabilities</c>): only the capability names protocol v1 knows
    /// (<see cref="Capability.IsKnown"/>; a strict Python peer rejects unknown enum values), and
    /// <paramref name="description"/>, when given, replaces the manifest's (HELLO carries description.txt).
    /// </summary>
    public static Dictionary<string, object?> ToPeerWire(CapabilityManifest value, string? description = null)
    {
        Dictionary<string, object?> map = ToWire(value);
        map["capabilities"] = value.Capabilities.Where(c => c.IsKnown).Select(c => c.Name).Distinct(StringComparer.Ordinal).ToArray();
        map["description"] = description ?? value.Description;
        return map;
    }

    /// <summary><c>{items: [...]}</c>, the result shape of the list methods.</summary>
    public static Dictionary<string, object?> Items<T>(IEnumerable<T> items, Func<T, object?> toWire)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(toWire);
        return new(1) { ["items"] = items.Select(toWire).ToList() };
    }

    // ---------------------------------------------------------------- method params

    /// <summary><c>display.capture</c> params; the encoding extensions only when <paramref name="includeExtensions"/> (the server advertised them) and set.</summary>
    public static Dictionary<string, object?> CaptureParams(CaptureOptions options, bool includeExtensions)
    {
        ArgumentNullException.ThrowIfNull(options);
        var map = new Dictionary<string, object?>(7)
        {
            ["display_id"] = options.DisplayId,
            ["region"] = options.Region is { } r ? ToWire(r) : null,
            ["downscale"] = options.Downscale,
        };
        if (includeExtensions)
        {
            AddIfSet(map, ProtocolExtensions.FormatParam, options.Format?.ToWireName());
            AddIfSet(map, ProtocolExtensions.QualityParam, options.Quality);
            AddIfSet(map, ProtocolExtensions.MaxWidthParam, options.MaxWidth);
            AddIfSet(map, ProtocolExtensions.MaxHeightParam, options.MaxHeight);
        }

        return map;
    }

    /// <summary>Reads <c>display.capture</c> params, including the extensions when present.</summary>
    public static CaptureOptions ReadCaptureOptions(IReadOnlyDictionary<string, object?> parameters)
    {
        var m = new WireMap(parameters, "params");
        return new CaptureOptions(m.OptString("display_id"), m.OptRect("region"), m.Bool("downscale", true))
        {
            Format = m.OptString(ProtocolExtensions.FormatParam) is { } f
                ? WireNames.TryParse(f, out PixmapFormat pf) ? pf : throw m.Bad(ProtocolExtensions.FormatParam, "a pixmap format")
                : null,
            Quality = m.OptInt(ProtocolExtensions.QualityParam),
            MaxWidth = m.OptInt(ProtocolExtensions.MaxWidthParam),
            MaxHeight = m.OptInt(ProtocolExtensions.MaxHeightParam),
        };
    }

    /// <summary><c>display.subscribe</c> params.</summary>
    public static Dictionary<string, object?> SubscribeParams(DisplayStreamOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new(3) { ["display_id"] = options.DisplayId, ["fps"] = options.Fps, ["region"] = options.Region is { } r ? ToWire(r) : null };
    }

    /// <summary>Reads <c>display.subscribe</c> params (fps may be any number; rounded).</summary>
    public static DisplayStreamOptions ReadDisplayStreamOptions(IReadOnlyDictionary<string, object?> parameters)
    {
        var m = new WireMap(parameters, "params");
        return new DisplayStreamOptions(m.OptString("display_id"), (int)Math.Round(m.Float("fps", 30)), m.OptRect("region"));
    }

    /// <summary><c>ui.tree</c> params; the budget extensions only when <paramref name="includeExtensions"/>.</summary>
    public static Dictionary<string, object?> UITreeParams(UITreeQuery query, bool includeExtensions)
    {
        ArgumentNullException.ThrowIfNull(query);
        var map = new Dictionary<string, object?>(5) { ["window_id"] = query.WindowId, ["app"] = query.App, ["max_depth"] = query.MaxDepth };
        if (includeExtensions)
        {
            map[ProtocolExtensions.MaxNodesParam] = query.MaxNodes;
            map[ProtocolExtensions.BudgetMsParam] = (long)query.Budget.TotalMilliseconds;
        }

        return map;
    }

    /// <summary>Reads <c>ui.tree</c> params, including the extensions when present.</summary>
    public static UITreeQuery ReadUITreeQuery(IReadOnlyDictionary<string, object?> parameters)
    {
        var m = new WireMap(parameters, "params");
        var query = new UITreeQuery(m.OptString("window_id"), m.OptString("app"), m.Int("max_depth", 8));
        if (m.OptInt(ProtocolExtensions.MaxNodesParam) is { } nodes)
        {
            query = query with { MaxNodes = nodes };
        }

        if (m.OptFloat(ProtocolExtensions.BudgetMsParam) is { } ms)
        {
            query = query with { Budget = TimeSpan.FromMilliseconds(ms) };
        }

        return query;
    }

    /// <summary><c>process.shell</c> params.</summary>
    public static Dictionary<string, object?> ShellParams(ShellCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        return new(4)
        {
            ["command"] = command.Command,
            ["timeout"] = command.Timeout?.TotalSeconds,
            ["cwd"] = command.WorkingDirectory,
            ["env"] = EnvToWire(command.Environment),
        };
    }

    /// <summary>Reads <c>process.shell</c> params.</summary>
    public static ShellCommand ReadShellCommand(IReadOnlyDictionary<string, object?> parameters)
    {
        var m = new WireMap(parameters, "params");
        return new ShellCommand(m.String("command"), Seconds(m.OptFloat("timeout")), m.OptString("cwd"), m.OptStringMap("env"));
    }

    /// <summary><c>process.exec</c> params.</summary>
    public static Dictionary<string, object?> ExecParams(ExecCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        return new(5)
        {
            ["argv"] = command.Argv.ToArray(),
            ["timeout"] = command.Timeout?.TotalSeconds,
            ["cwd"] = command.WorkingDirectory,
            ["env"] = EnvToWire(command.Environment),
            ["stdin"] = command.Stdin,
        };
    }

    /// <summary>Reads <c>process.exec</c> params.</summary>
    public static ExecCommand ReadExecCommand(IReadOnlyDictionary<string, object?> parameters)
    {
        var m = new WireMap(parameters, "params");
        return new ExecCommand(m.StringList("argv", required: true), Seconds(m.OptFloat("timeout")), m.OptString("cwd"), m.OptStringMap("env"), m.OptBytes("stdin"));
    }

    // ---------------------------------------------------------------- readers

    public static Point ReadPoint(object? value, string path = "value")
    {
        var m = WireMap.Of(value, path);
        return new Point(m.Float("x"), m.Float("y"));
    }

    public static Rect ReadRect(object? value, string path = "value")
    {
        var m = WireMap.Of(value, path);
        return new Rect(m.Float("x"), m.Float("y"), m.Float("width"), m.Float("height"));
    }

    public static Pixmap ReadPixmap(object? value, string path = "value")
    {
        var m = WireMap.Of(value, path);
        return new Pixmap(
            m.Bytes("data"),
            m.Enum<PixmapFormat>("format", PixmapFormat.Png, WireNames.TryParse),
            m.Int("width"),
            m.Int("height"),
            m.Int("logical_width"),
            m.Int("logical_height"),
            m.OptString("display_id"),
            m.OptTime("captured_at") ?? DateTimeOffset.UtcNow);
    }

    public static Display ReadDisplay(object? value, string path = "value")
    {
        var m = WireMap.Of(value, path);
        return new Display(m.String("id"), m.Rect("bounds"), m.Float("scale_factor", 1.0), m.Bool("primary", false), m.OptString("name"));
    }

    public static Window ReadWindow(object? value, string path = "value")
    {
        var m = WireMap.Of(value, path);
        return new Window(
            m.String("id"),
            m.String("title"),
            m.String("app_name"),
            m.OptInt("pid"),
            m.OptRect("bounds"),
            m.Bool("focused", false),
            m.Bool("minimized", false),
            m.OptStringOrInt("workspace"));
    }

    public static ProcessInfo ReadProcess(object? value, string path = "value")
    {
        var m = WireMap.Of(value, path);
        return new ProcessInfo(m.Int("pid"), m.String("name"), m.OptInt("ppid"), m.StringList("cmdline", required: false));
    }

    public static UIElement ReadUIElement(object? value, string path = "value") => ReadUIElement(value, path, 0);

    public static InputEvent ReadInputEvent(object? value, string path = "value")
    {
        var m = WireMap.Of(value, path);
        return m.Has("keysym") ? ReadKeyEvent(value, path) : ReadPointerEvent(value, path);
    }

    public static PointerEvent ReadPointerEvent(object? value, string path = "value")
    {
        var m = WireMap.Of(value, path);
        return new PointerEvent(
            m.Enum<PointerAction>("action", null, WireNames.TryParse),
            ReadPoint(m.Required("point"), m.Path("point")),
            m.OptEnum<MouseButton>("button", WireNames.TryParse),
            m.Float("dx", 0),
            m.Float("dy", 0))
        {
            Modifiers = m.Modifiers("modifiers"),
            Pressure = m.OptFloat("pressure"),
            TiltX = m.OptFloat("tilt_x"),
            TiltY = m.OptFloat("tilt_y"),
            Timestamp = m.OptTime("timestamp"),
        };
    }

    public static KeyEvent ReadKeyEvent(object? value, string path = "value")
    {
        var m = WireMap.Of(value, path);
        return new KeyEvent(
            m.Enum<KeyAction>("action", null, WireNames.TryParse),
            m.String("keysym"),
            m.OptString("char"),
            m.OptInt("scancode"),
            m.Bool("is_repeat", false))
        {
            Modifiers = m.Modifiers("modifiers"),
            Timestamp = m.OptTime("timestamp"),
        };
    }

    public static TextInput ReadTextInput(object? value, string path = "value")
    {
        var m = WireMap.Of(value, path);
        return new TextInput(m.String("text"), m.Int("interval_ms", 20));
    }

    public static ClipboardEntry ReadClipboardEntry(object? value, string path = "value")
    {
        var m = WireMap.Of(value, path);
        return new ClipboardEntry(m.String("mime_type"), m.Bytes("data"));
    }

    public static ClipboardContents ReadClipboardContents(object? value, string path = "value")
    {
        var m = WireMap.Of(value, path);
        return new ClipboardContents(m.List("entries", ReadClipboardEntry, required: true));
    }

    public static FileEntry ReadFileEntry(object? value, string path = "value")
    {
        var m = WireMap.Of(value, path);
        return new FileEntry(m.String("path"), m.String("name"), m.Bool("is_dir"), m.Long("size", 0), m.OptTime("mtime"), m.OptInt("mode"));
    }

    public static CompletedCommand ReadCompletedCommand(object? value, string path = "value")
    {
        var m = WireMap.Of(value, path);
        return new CompletedCommand(m.Int("returncode"), m.Bytes("stdout"), m.Bytes("stderr"), Seconds(m.Float("duration", 0)) ?? TimeSpan.Zero);
    }

    public static EnvironmentInfo ReadEnvironment(object? value, string path = "value")
    {
        var m = WireMap.Of(value, path);
        return new EnvironmentInfo(
            m.String("os"),
            m.String("os_version", ""),
            m.String("hostname", ""),
            m.String("locale", ""),
            m.String("timezone", ""),
            m.List("displays", ReadDisplay, required: false));
    }

    public static Notification ReadNotification(object? value, string path = "value")
    {
        var m = WireMap.Of(value, path);
        return new Notification(m.String("id"), m.String("title"), m.String("body", ""), m.OptString("app"), m.OptTime("timestamp") ?? DateTimeOffset.UtcNow);
    }

    public static DisplayFrame ReadDisplayFrame(object? value, string path = "value")
    {
        var m = WireMap.Of(value, path);
        return new DisplayFrame(ReadPixmap(m.Required("pixmap"), m.Path("pixmap")), m.Long("frame_number", 0), m.Bool("keyframe", true));
    }

    /// <summary>Reads a CapabilityManifest; unknown capability names are kept (an open set).</summary>
    public static CapabilityManifest ReadCapabilityManifest(object? value, string path = "value")
    {
        var m = WireMap.Of(value, path);
        IReadOnlyList<string> names = m.StringList("capabilities", required: false);
        var limits = new Dictionary<string, IReadOnlyDictionary<string, object?>>(StringComparer.Ordinal);
        if (m.OptMap("limits") is { } limitMap)
        {
            foreach (KeyValuePair<string, object?> kv in limitMap)
            {
                limits[kv.Key] = kv.Value as IReadOnlyDictionary<string, object?>
                    ?? throw new InvalidArgumentException($"{m.Path("limits")}.{kv.Key}: expected a map, got {FrameCodec.DescribeValue(kv.Value)}");
            }
        }

        return new CapabilityManifest(
            names.Select(n => new Capability(n)).Distinct().ToArray(),
            limits,
            m.String("protocol_version", "0.1"),
            m.String("backend", "unknown"),
            m.String("description", ""));
    }

    /// <summary>Reads the <c>items</c> array of a list result (<c>{items: [...]}</c>).</summary>
    public static IReadOnlyList<T> ReadItems<T>(object? value, Func<object?, string, T> read, string path = "result")
    {
        var m = WireMap.Of(value, path);
        return m.List(s_itemsKey[0], read, required: true);
    }

    /// <summary>Reads the required bytes field <paramref name="key"/> of a result map (e.g. <c>fs.read</c>'s <c>data</c>).</summary>
    public static byte[] ReadBytesField(object? value, string key, string path = "result") => WireMap.Of(value, path).Bytes(key);

    /// <summary>Reads the optional field <paramref name="key"/> of a result map (nil or absent: null), e.g. <c>windows.focused</c>'s <c>window</c>.</summary>
    public static T? ReadOptionalField<T>(object? value, string key, Func<object?, string, T> read, string path = "result")
        where T : class
    {
        ArgumentNullException.ThrowIfNull(read);
        var m = WireMap.Of(value, path);
        return m.Opt(key) is { } v ? read(v, m.Path(key)) : null;
    }

    // ---------------------------------------------------------------- time

    /// <summary>Epoch seconds (float) of a time.</summary>
    public static double ToEpochSeconds(DateTimeOffset time) => (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / (double)TimeSpan.TicksPerSecond;

    /// <summary>The time of epoch seconds.</summary>
    /// <exception cref="InvalidArgumentException">Not finite or out of range.</exception>
    public static DateTimeOffset FromEpochSeconds(double seconds, string path = "value")
    {
        const double Max = 253402300799.0; // 9999-12-31T23:59:59Z
        const double Min = -62135596800.0; // 0001-01-01T00:00:00Z
        if (!double.IsFinite(seconds) || seconds < Min || seconds > Max)
        {
            throw new InvalidArgumentException($"{path}: {seconds.ToString(CultureInfo.InvariantCulture)} is not a valid epoch time");
        }

        return DateTimeOffset.UnixEpoch.AddTicks((long)Math.Round(seconds * TimeSpan.TicksPerSecond));
    }

    // ---------------------------------------------------------------- helpers

    private static UIElement ReadUIElement(object? value, string path, int depth)
    {
        if (depth > 256)
        {
            throw new InvalidArgumentException($"{path}: UIElement nesting deeper than 256");
        }

        var m = WireMap.Of(value, path);
        return new UIElement(
            m.String("role"),
            m.String("name", ""),
            m.OptString("value"),
            m.OptRect("bounds"),
            m.Bool("focused", false),
            m.Bool("enabled", true),
            m.StringList("actions", required: false),
            m.List("children", (v, p) => ReadUIElement(v, p, depth + 1), required: false),
            m.OptMap("metadata") ?? new Dictionary<string, object?>());
    }

    private static string[] Modifiers(IReadOnlyList<Modifier> modifiers)
    {
        string[] names = new string[modifiers.Count];
        for (int i = 0; i < names.Length; i++)
        {
            names[i] = modifiers[i].ToWireName();
        }

        return names;
    }

    private static Dictionary<string, object?>? EnvToWire(IReadOnlyDictionary<string, string>? env)
    {
        if (env is null)
        {
            return null;
        }

        var map = new Dictionary<string, object?>(env.Count, StringComparer.Ordinal);
        foreach (KeyValuePair<string, string> kv in env)
        {
            map[kv.Key] = kv.Value;
        }

        return map;
    }

    private static TimeSpan? Seconds(double? seconds) =>
        seconds is { } s ? (double.IsFinite(s) && Math.Abs(s) < TimeSpan.MaxValue.TotalSeconds ? TimeSpan.FromSeconds(s) : throw new InvalidArgumentException($"invalid duration {s.ToString(CultureInfo.InvariantCulture)}")) : null;

    private static void AddIfSet(Dictionary<string, object?> map, string key, object? value)
    {
        if (value is not null)
        {
            map[key] = value;
        }
    }

    internal delegate bool TryParseWire<T>(string? name, out T value);

    /// <summary>
    /// A received map plus its path, with typed, lenient getters that throw <see cref="InvalidArgumentException"/>.
    /// The one reader of wire maps: the server's dispatcher reads <c>req.params</c> with it too.
    /// </summary>
    internal readonly struct WireMap
    {
        private readonly IReadOnlyDictionary<string, object?> _map;
        private readonly string _path;

        public WireMap(IReadOnlyDictionary<string, object?> map, string path)
        {
            ArgumentNullException.ThrowIfNull(map);
            _map = map;
            _path = path;
        }

        /// <summary>The map read.</summary>
        public IReadOnlyDictionary<string, object?> Map => _map;

        public static WireMap Of(object? value, string path) => value is IReadOnlyDictionary<string, object?> map
            ? new WireMap(map, path)
            : throw new InvalidArgumentException($"{path}: expected a map, got {FrameCodec.DescribeValue(value)}");

        public string Path(string key) => _path + "." + key;

        public bool Has(string key) => _map.ContainsKey(key);

        public object? Opt(string key) => _map.GetValueOrDefault(key);

        public InvalidArgumentException Bad(string key, string expected) =>
            new($"{Path(key)}: expected {expected}, got {Describe(_map.GetValueOrDefault(key))}");

        public object? Required(string key) =>
            _map.TryGetValue(key, out object? v) && v is not null ? v : throw new InvalidArgumentException($"{Path(key)}: missing required field");

        public string String(string key, string? fallback = null)
        {
            object? v = Get(key, fallback is not null);
            return v switch
            {
                null => fallback!,
                string s => s,
                _ => throw Bad(key, "a string"),
            };
        }

        public string? OptString(string key) => _map.GetValueOrDefault(key) switch
        {
            null => null,
            string s => s,
            _ => throw Bad(key, "a string or nil"),
        };

        public string? OptStringOrInt(string key) => _map.GetValueOrDefault(key) switch
        {
            null => null,
            string s => s,
            long l => l.ToString(CultureInfo.InvariantCulture),
            _ => throw Bad(key, "a string, an int or nil"),
        };

        public bool Bool(string key, bool? fallback = null)
        {
            object? v = Get(key, fallback is not null);
            return v switch
            {
                null => fallback!.Value,
                bool b => b,
                _ => throw Bad(key, "a bool"),
            };
        }

        public double Float(string key, double? fallback = null)
        {
            object? v = Get(key, fallback is not null);
            return v is null ? fallback!.Value : AsDouble(key, v) ?? throw Bad(key, "a number");
        }

        public double? OptFloat(string key)
        {
            object? v = _map.GetValueOrDefault(key);
            return v is null ? null : AsDouble(key, v) ?? throw Bad(key, "a number or nil");
        }

        public long Long(string key, long? fallback = null)
        {
            object? v = Get(key, fallback is not null);
            return v is null ? fallback!.Value : AsLong(v) ?? throw Bad(key, "an int");
        }

        public int Int(string key, int? fallback = null)
        {
            long l = Long(key, fallback);
            return l is >= int.MinValue and <= int.MaxValue ? (int)l : throw Bad(key, "a 32-bit int");
        }

        public int? OptInt(string key)
        {
            object? v = _map.GetValueOrDefault(key);
            if (v is null)
            {
                return null;
            }

            return AsLong(v) is long l && l is >= int.MinValue and <= int.MaxValue ? (int)l : throw Bad(key, "a 32-bit int or nil");
        }

        public byte[] Bytes(string key) => Get(key, false) as byte[] ?? throw Bad(key, "bytes (msgpack bin)");

        public byte[]? OptBytes(string key) => _map.GetValueOrDefault(key) switch
        {
            null => null,
            byte[] b => b,
            _ => throw Bad(key, "bytes (msgpack bin) or nil"),
        };

        public Rect Rect(string key) => ReadRect(Get(key, false), Path(key));

        public Rect? OptRect(string key) => _map.GetValueOrDefault(key) is { } v ? ReadRect(v, Path(key)) : null;

        public DateTimeOffset? OptTime(string key) => OptFloat(key) is { } s ? FromEpochSeconds(s, Path(key)) : null;

        public IReadOnlyDictionary<string, object?>? OptMap(string key) => _map.GetValueOrDefault(key) switch
        {
            null => null,
            IReadOnlyDictionary<string, object?> m => m,
            _ => throw Bad(key, "a map"),
        };

        public Dictionary<string, string>? OptStringMap(string key)
        {
            if (OptMap(key) is not { } map)
            {
                return null;
            }

            var result = new Dictionary<string, string>(map.Count, StringComparer.Ordinal);
            foreach (KeyValuePair<string, object?> kv in map)
            {
                result[kv.Key] = kv.Value as string ?? throw new InvalidArgumentException($"{Path(key)}.{kv.Key}: expected a string, got {Describe(kv.Value)}");
            }

            return result;
        }

        public T[] List<T>(string key, Func<object?, string, T> read, bool required)
        {
            object? v = Get(key, !required);
            if (v is null)
            {
                return [];
            }

            if (v is not IReadOnlyList<object?> list)
            {
                throw Bad(key, "an array");
            }

            var result = new T[list.Count];
            for (int i = 0; i < result.Length; i++)
            {
                result[i] = read(list[i], $"{Path(key)}[{i}]");
            }

            return result;
        }

        public string[] StringList(string key, bool required)
        {
            return List(key, (v, p) => v as string ?? throw new InvalidArgumentException($"{p}: expected a string, got {Describe(v)}"), required);
        }

        public Modifier[] Modifiers(string key) =>
            List(key, (v, p) => WireNames.TryParse(v as string, out Modifier mod) ? mod : throw new InvalidArgumentException($"{p}: unknown modifier {Describe(v)}"), required: false);

        public T Enum<T>(string key, T? fallback, TryParseWire<T> tryParse)
            where T : struct
        {
            object? v = Get(key, fallback is not null);
            if (v is null)
            {
                return fallback!.Value;
            }

            return tryParse(v as string, out T parsed) ? parsed : throw Bad(key, $"a {typeof(T).Name} name");
        }

        public T? OptEnum<T>(string key, TryParseWire<T> tryParse)
            where T : struct
        {
            object? v = _map.GetValueOrDefault(key);
            if (v is null)
            {
                return null;
            }

            return tryParse(v as string, out T parsed) ? parsed : throw Bad(key, $"a {typeof(T).Name} name or nil");
        }

        private object? Get(string key, bool optional)
        {
            object? v = _map.GetValueOrDefault(key);
            if (v is null && !optional)
            {
                throw new InvalidArgumentException($"{Path(key)}: missing required field");
            }

            return v;
        }

        private static double? AsDouble(string key, object v) => v switch
        {
            double d => d,
            long l => l,
            ulong u => u,
            int i => i,
            float f => f,
            _ => null,
        };

        private static long? AsLong(object v) => v switch
        {
            long l => l,
            int i => i,
            double d when double.IsFinite(d) && Math.Floor(d) == d && Math.Abs(d) < 9.2e18 => (long)d,
            _ => null,
        };

        private static string Describe(object? v) => v is string s ? $"'{s}'" : FrameCodec.DescribeValue(v);
    }
}
