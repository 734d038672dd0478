using System.Collections;
using OpenDesk.Core;

namespace OpenDesk.Remote.Server;

/// <summary>
/// Core value records ↔ protocol-v1 value maps (§10), both ways, for the dispatcher and <c>RemoteComputer</c>. Sends
/// exactly the documented fields in table order (nil for unset optionals); reading accepts any number type where a
/// float is expected, nil for optionals, and ignores unknown keys. Malformed values throw
/// <see cref="InvalidArgumentException"/>.
/// </summary>
internal static class WireValues
{
    private static readonly Dictionary<string, object?> s_empty = [];

    // ---- encode ------------------------------------------------------------------------------------------

    public static Dictionary<string, object?> Point(Point p) => new() { ["x"] = p.X, ["y"] = p.Y };

    public static Dictionary<string, object?> Rect(Rect r) => new() { ["x"] = r.X, ["y"] = r.Y, ["width"] = r.Width, ["height"] = r.Height };

    public static double Epoch(DateTimeOffset t) => t.ToUnixTimeMilliseconds() / 1000.0;

    public static Dictionary<string, object?> Pixmap(Pixmap p) => new()
    {
        ["data"] = p.Data,
        ["format"] = p.Format.ToWireName(),
        ["width"] = p.Width,
        ["height"] = p.Height,
        ["logical_width"] = p.LogicalWidth,
        ["logical_height"] = p.LogicalHeight,
        ["display_id"] = p.DisplayId,
        ["captured_at"] = Epoch(p.CapturedAt),
    };

    public static Dictionary<string, object?> Display(Display d) => new()
    {
        ["id"] = d.Id,
        ["bounds"] = Rect(d.Bounds),
        ["scale_factor"] = d.ScaleFactor,
        ["primary"] = d.Primary,
        ["name"] = d.Name,
    };

    public static Dictionary<string, object?> Window(Window w) => new()
    {
        ["id"] = w.Id,
        ["title"] = w.Title,
        ["app_name"] = w.AppName,
        ["pid"] = w.Pid,
        ["bounds"] = w.Bounds is { } b ? Rect(b) : null,
        ["focused"] = w.Focused,
        ["minimized"] = w.Minimized,
        ["workspace"] = w.Workspace,
    };

    public static Dictionary<string, object?> Process(ProcessInfo p) => new()
    {
        ["pid"] = p.Pid,
        ["name"] = p.Name,
        ["ppid"] = p.Ppid,
        ["cmdline"] = p.Cmdline.ToList(),
    };

    public static Dictionary<string, object?> UIElement(UIElement e) => new()
    {
        ["role"] = e.Role,
        ["name"] = e.Name,
        ["value"] = e.Value,
        ["bounds"] = e.Bounds is { } b ? Rect(b) : null,
        ["focused"] = e.Focused,
        ["enabled"] = e.Enabled,
        ["actions"] = e.Actions.ToList(),
        ["children"] = e.Children.Select(c => (object?)UIElement(c)).ToList(),
        ["metadata"] = e.Metadata.ToDictionary(kv => kv.Key, kv => kv.Value),
    };

    public static Dictionary<string, object?> PointerEvent(PointerEvent e) => new()
    {
        ["action"] = e.Action.ToWireName(),
        ["point"] = Point(e.Point),
        ["button"] = e.Button?.ToWireName(),
        ["modifiers"] = e.Modifiers.Select(m => (object?)m.ToWireName()).ToList(),
        ["dx"] = e.Dx,
        ["dy"] = e.Dy,
        ["pressure"] = e.Pressure,
        ["tilt_x"] = e.TiltX,
        ["tilt_y"] = e.TiltY,
        ["timestamp"] = Epoch(e.Timestamp ?? DateTimeOffset.UtcNow),
    };

    public static Dictionary<string, object?> KeyEvent(KeyEvent e) => new()
    {
        ["action"] = e.Action.ToWireName(),
        ["keysym"] = e.Keysym,
        ["char"] = e.Char,
        ["scancode"] = e.Scancode,
        ["modifiers"] = e.Modifiers.Select(m => (object?)m.ToWireName()).ToList(),
        ["is_repeat"] = e.IsRepeat,
        ["timestamp"] = Epoch(e.Timestamp ?? DateTimeOffset.UtcNow),
    };

    public static Dictionary<string, object?> InputEvent(InputEvent e) => e switch
    {
        PointerEvent p => PointerEvent(p),
        KeyEvent k => KeyEvent(k),
        _ => throw new ArgumentException("unknown input event", nameof(e)),
    };

    public static Dictionary<string, object?> TextInput(TextInput t) => new() { ["text"] = t.Text, ["interval_ms"] = t.IntervalMs };

    public static Dictionary<string, object?> Clipboard(ClipboardContents c) => new()
    {
        ["entries"] = c.Entries.Select(e => (object?)new Dictionary<string, object?> { ["mime_type"] = e.MimeType, ["data"] = e.Data }).ToList(),
    };

    public static Dictionary<string, object?> FileEntry(FileEntry f) => new()
    {
        ["path"] = f.Path,
        ["name"] = f.Name,
        ["is_dir"] = f.IsDir,
        ["size"] = f.Size,
        ["mtime"] = f.ModifiedAt is { } m ? Epoch(m) : null,
        ["mode"] = f.Mode,
    };

    public static Dictionary<string, object?> Completed(CompletedCommand c) => new()
    {
        ["returncode"] = c.ReturnCode,
        ["stdout"] = c.Stdout,
        ["stderr"] = c.Stderr,
        ["duration"] = c.Duration.TotalSeconds,
    };

    public static Dictionary<string, object?> Environment(EnvironmentInfo e) => new()
    {
        ["os"] = e.Os,
        ["os_version"] = e.OsVersion,
        ["hostname"] = e.Hostname,
        ["locale"] = e.Locale,
        ["timezone"] = e.Timezone,
        ["displays"] = e.Displays.Select(d => (object?)Display(d)).ToList(),
    };

    public static Dictionary<string, object?> Notification(Notification n) => new()
    {
        ["id"] = n.Id,
        ["title"] = n.Title,
        ["body"] = n.Body,
        ["app"] = n.App,
        ["timestamp"] = Epoch(n.Timestamp),
    };

    public static Dictionary<string, object?> DisplayFrame(DisplayFrame f) => new()
    {
        ["pixmap"] = Pixmap(f.Pixmap),
        ["frame_number"] = f.FrameNumber,
        ["keyframe"] = f.Keyframe,
    };

    /// <summary>The manifest; <paramref name="description"/> replaces its description (HELLO carries description.txt).</summary>
    public static Dictionary<string, object?> Manifest(CapabilityManifest m, string? description = null) => new()
    {
        ["capabilities"] = m.Capabilities.Where(c => c.IsKnown).Select(c => (object?)c.Name).ToList(),
        ["limits"] = m.Limits.ToDictionary(kv => kv.Key, kv => (object?)kv.Value.ToDictionary(x => x.Key, x => x.Value)),
        ["protocol_version"] = m.ProtocolVersion,
        ["backend"] = m.Backend,
        ["description"] = description ?? m.Description,
    };

    public static Dictionary<string, object?> Items<T>(IEnumerable<T> items, Func<T, object?> encode)
        => new() { ["items"] = items.Select(encode).ToList() };

    // ---- decode ------------------------------------------------------------------------------------------

    public static IReadOnlyDictionary<string, object?> Map(object? value, string what)
        => ParamReader.AsMap(value) ?? throw new InvalidArgumentException($"{what} must be a map");

    public static Point ToPoint(object? value, string what = "point")
    {
        var r = new ParamReader(Map(value, what));
        return new Point(Num(r, "x", what), Num(r, "y", what));
    }

    public static Rect ToRect(object? value, string what = "rect")
    {
        var r = new ParamReader(Map(value, what));
        return new Rect(Num(r, "x", what), Num(r, "y", what), Num(r, "width", what), Num(r, "height", what));
    }

    public static Rect? ToOptionalRect(object? value, string what) => value is null ? null : ToRect(value, what);

    public static DateTimeOffset FromEpoch(double seconds) => DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(seconds * 1000));

    public static Pixmap ToPixmap(object? value)
    {
        var r = new ParamReader(Map(value, "pixmap"));
        return new Pixmap(
            r.Bytes("data") ?? throw ParamReader.Missing("pixmap.data"),
            Enum<PixmapFormat>(r.String("format") ?? "png", WireNames.TryParse, "pixmap.format"),
            r.Int("width") ?? 0,
            r.Int("height") ?? 0,
            r.Int("logical_width") ?? 0,
            r.Int("logical_height") ?? 0,
            r.String("display_id"),
            FromEpoch(r.Number("captured_at") ?? 0));
    }

    public static Display ToDisplay(object? value)
    {
        var r = new ParamReader(Map(value, "display"));
        return new Display(r.RequiredString("id"), ToRect(r.Value("bounds"), "display.bounds"), r.Number("scale_factor") ?? 1.0, r.Bool("primary") ?? false, r.String("name"));
    }

    public static Window ToWindow(object? value)
    {
        var r = new ParamReader(Map(value, "window"));
        return new Window(r.RequiredString("id"), r.String("title") ?? "", r.String("app_name") ?? "", r.Int("pid"),
            ToOptionalRect(r.Value("bounds"), "window.bounds"), r.Bool("focused") ?? false, r.Bool("minimized") ?? false, r.String("workspace"));
    }

    public static ProcessInfo ToProcess(object? value)
    {
        var r = new ParamReader(Map(value, "process"));
        return new ProcessInfo(r.Int("pid") ?? 0, r.String("name") ?? "", r.Int("ppid"), r.StringList("cmdline"));
    }

    public static UIElement ToUIElement(object? value, int depth = 0)
    {
        if (depth > 256)
        {
            throw new InvalidArgumentException("ui element tree is too deep");
        }

        var r = new ParamReader(Map(value, "element"));
        var children = new List<UIElement>();
        if (r.Value("children") is IEnumerable kids and not string)
        {
            foreach (object? kid in kids)
            {
                children.Add(ToUIElement(kid, depth + 1));
            }
        }

        return new UIElement(r.String("role") ?? "", r.String("name") ?? "", r.String("value"), ToOptionalRect(r.Value("bounds"), "element.bounds"),
            r.Bool("focused") ?? false, r.Bool("enabled") ?? true, r.StringList("actions"), children, r.Map("metadata"));
    }

    public static PointerEvent ToPointerEvent(object? value)
    {
        var r = new ParamReader(Map(value, "event"));
        PointerAction action = Enum<PointerAction>(r.RequiredString("action"), WireNames.TryParse, "event.action");
        MouseButton? button = r.String("button") is { } b ? Enum<MouseButton>(b, WireNames.TryParse, "event.button") : null;
        return new PointerEvent(action, ToPoint(r.Value("point") ?? throw ParamReader.Missing("event.point"), "event.point"), button, r.Number("dx") ?? 0, r.Number("dy") ?? 0)
        {
            Modifiers = Modifiers(r),
            Pressure = r.Number("pressure"),
            TiltX = r.Number("tilt_x"),
            TiltY = r.Number("tilt_y"),
            Timestamp = r.Number("timestamp") is { } ts ? FromEpoch(ts) : null,
        };
    }

    public static KeyEvent ToKeyEvent(object? value)
    {
        var r = new ParamReader(Map(value, "event"));
        KeyAction action = Enum<KeyAction>(r.RequiredString("action"), WireNames.TryParse, "event.action");
        return new KeyEvent(action, r.RequiredString("keysym"), r.String("char"), r.Int("scancode"), r.Bool("is_repeat") ?? false)
        {
            Modifiers = Modifiers(r),
            Timestamp = r.Number("timestamp") is { } ts ? FromEpoch(ts) : null,
        };
    }

    public static InputEvent ToInputEvent(object? value)
        => Map(value, "event").ContainsKey("keysym") ? ToKeyEvent(value) : ToPointerEvent(value);

    public static TextInput ToTextInput(object? value)
    {
        var r = new ParamReader(Map(value, "text_input"));
        return new TextInput(r.RequiredString("text"), r.Int("interval_ms") ?? 20);
    }

    public static ClipboardContents ToClipboard(object? value)
    {
        var r = new ParamReader(Map(value, "contents"));
        var entries = new List<ClipboardEntry>();
        if (r.Value("entries") is IEnumerable list and not string)
        {
            foreach (object? item in list)
            {
                var e = new ParamReader(Map(item, "clipboard entry"));
                entries.Add(new ClipboardEntry(e.RequiredString("mime_type"), e.Bytes("data") ?? throw ParamReader.Missing("entries.data")));
            }
        }
        else if (r.Value("entries") is not null)
        {
            throw new InvalidArgumentException("contents.entries must be a list");
        }

        return new ClipboardContents(entries);
    }

    public static FileEntry ToFileEntry(object? value)
    {
        var r = new ParamReader(Map(value, "file entry"));
        return new FileEntry(r.String("path") ?? "", r.String("name") ?? "", r.Bool("is_dir") ?? false, (long)(r.Number("size") ?? 0),
            r.Number("mtime") is { } m ? FromEpoch(m) : null, r.Int("mode"));
    }

    public static CompletedCommand ToCompleted(object? value)
    {
        var r = new ParamReader(Map(value, "completed command"));
        return new CompletedCommand(r.Int("returncode") ?? 0, r.Bytes("stdout") ?? [], r.Bytes("stderr") ?? [], TimeSpan.FromSeconds(r.Number("duration") ?? 0));
    }

    public static EnvironmentInfo ToEnvironment(object? value)
    {
        var r = new ParamReader(Map(value, "environment"));
        return new EnvironmentInfo(r.String("os") ?? "", r.String("os_version") ?? "", r.String("hostname") ?? "", r.String("locale") ?? "",
            r.String("timezone") ?? "", List(r.Value("displays"), ToDisplay));
    }

    public static Notification ToNotification(object? value)
    {
        var r = new ParamReader(Map(value, "notification"));
        return new Notification(r.String("id") ?? "", r.String("title") ?? "", r.String("body") ?? "", r.String("app"),
            r.Number("timestamp") is { } ts ? FromEpoch(ts) : DateTimeOffset.UtcNow);
    }

    public static DisplayFrame ToDisplayFrame(object? value)
    {
        var r = new ParamReader(Map(value, "frame"));
        return new DisplayFrame(ToPixmap(r.Value("pixmap")), (long)(r.Number("frame_number") ?? 0), r.Bool("keyframe") ?? true);
    }

    public static CapabilityManifest ToManifest(object? value)
    {
        var r = new ParamReader(value is null ? s_empty : Map(value, "manifest"));
        var limits = new Dictionary<string, IReadOnlyDictionary<string, object?>>(StringComparer.Ordinal);
        foreach (KeyValuePair<string, object?> kv in r.Map("limits") ?? s_empty)
        {
            limits[kv.Key] = ParamReader.AsMap(kv.Value) ?? s_empty;
        }

        return new CapabilityManifest(
            [.. (r.StringList("capabilities") ?? []).Select(c => new Capability(c))],
            limits,
            r.String("protocol_version") ?? "0.1",
            r.String("backend") ?? "unknown",
            r.String("description") ?? "");
    }

    public static IReadOnlyList<T> List<T>(object? value, Func<object?, T> decode)
    {
        if (value is null)
        {
            return [];
        }

        if (value is string || value is not IEnumerable items)
        {
            throw new InvalidArgumentException("expected a list");
        }

        var result = new List<T>();
        foreach (object? item in items)
        {
            result.Add(decode(item));
        }

        return result;
    }

    public static IReadOnlyList<T> ItemsOf<T>(object? result, Func<object?, T> decode)
        => List(new ParamReader(Map(result, "result")).Value("items"), decode);

    private static IReadOnlyList<Modifier> Modifiers(ParamReader r)
        => [.. (r.StringList("modifiers") ?? []).Select(m => Enum<Modifier>(m, WireNames.TryParse, "event.modifiers"))];

    private delegate bool TryParser<T>(string? name, out T value);

    private static T Enum<T>(string name, TryParser<T> parse, string what)
        => parse(name, out T value) ? value : throw new InvalidArgumentException($"'{what}' has an unknown value '{name}'");

    private static double Num(ParamReader r, string key, string parent)
        => r.Number(key) ?? throw new InvalidArgumentException($"'{parent}.{key}' is required");
}
