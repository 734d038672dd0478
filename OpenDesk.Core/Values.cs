using System.Text;

namespace OpenDesk.Core;

/// <summary>
/// A captured image (protocol-v1 <c>Pixmap</c>). <see cref="Width"/>/<see cref="Height"/> are the pixels of
/// <see cref="Data"/> (image space); <see cref="LogicalWidth"/>/<see cref="LogicalHeight"/> are the size of the
/// captured area in desktop space. Image pixel (u, v) maps to desktop point
/// (origin.X + u / <see cref="ScaleX"/>, origin.Y + v / <see cref="ScaleY"/>), where origin is the top-left of the
/// captured display or region in desktop space.
/// </summary>
/// <param name="Data">The encoded (or raw) image bytes.</param>
/// <param name="Format">The encoding of <paramref name="Data"/>.</param>
/// <param name="Width">Width of the image in pixels (image space).</param>
/// <param name="Height">Height of the image in pixels (image space).</param>
/// <param name="LogicalWidth">Width of the captured area in desktop-space pixels.</param>
/// <param name="LogicalHeight">Height of the captured area in desktop-space pixels.</param>
/// <param name="DisplayId">The captured display, or null for the whole desktop or a region.</param>
/// <param name="CapturedAt">When the image was captured.</param>
public sealed record Pixmap(
    byte[] Data,
    PixmapFormat Format,
    int Width,
    int Height,
    int LogicalWidth,
    int LogicalHeight,
    string? DisplayId,
    DateTimeOffset CapturedAt)
{
    /// <summary>Image pixels per desktop pixel horizontally (<c>Width / LogicalWidth</c>); 1 when unknown.</summary>
    public double ScaleX => LogicalWidth > 0 ? (double)Width / LogicalWidth : 1.0;

    /// <summary>Image pixels per desktop pixel vertically (<c>Height / LogicalHeight</c>); 1 when unknown.</summary>
    public double ScaleY => LogicalHeight > 0 ? (double)Height / LogicalHeight : 1.0;

    /// <summary>The MIME type of <see cref="Data"/> (<c>image/png</c>, <c>image/jpeg</c> or <c>application/octet-stream</c>).</summary>
    public string MimeType => Format switch
    {
        PixmapFormat.Png => "image/png",
        PixmapFormat.Jpeg => "image/jpeg",
        _ => "application/octet-stream",
    };
}

/// <summary>A monitor (protocol-v1 <c>Display</c>).</summary>
/// <param name="Id">A stable identifier for the display (e.g. the XRandR output name or index).</param>
/// <param name="Bounds">The display's area in desktop space.</param>
/// <param name="ScaleFactor">Physical pixels per desktop pixel; on X11 (no desktop scaling) the density the display is drawn for: DPI / 96 to the nearest 0.25, at least 1, 1 when the physical size is unknown.</param>
/// <param name="Primary">True for the primary display.</param>
/// <param name="Name">A human-readable name, if known.</param>
public sealed record Display(string Id, Rect Bounds, double ScaleFactor = 1.0, bool Primary = false, string? Name = null);

/// <summary>A top-level window (protocol-v1 <c>Window</c>).</summary>
/// <param name="Id">The window identifier (on X11 the window id in decimal).</param>
/// <param name="Title">The window title.</param>
/// <param name="AppName">The owning application's name.</param>
/// <param name="Pid">The owning process id, if known.</param>
/// <param name="Bounds">The window's outer frame in desktop space, if known.</param>
/// <param name="Focused">True when the window has the input focus.</param>
/// <param name="Minimized">True when the window is minimized (iconic).</param>
/// <param name="Workspace">The workspace (virtual desktop) it is on, if known.</param>
public sealed record Window(
    string Id,
    string Title,
    string AppName,
    int? Pid = null,
    Rect? Bounds = null,
    bool Focused = false,
    bool Minimized = false,
    string? Workspace = null);

/// <summary>A running process (protocol-v1 <c>Process</c>).</summary>
/// <param name="Pid">The process id.</param>
/// <param name="Name">The process name.</param>
/// <param name="Ppid">The parent process id, if known.</param>
/// <param name="Cmdline">The command line, one element per argument.</param>
public sealed record ProcessInfo(int Pid, string Name, int? Ppid = null, IReadOnlyList<string>? Cmdline = null)
{
    /// <summary>The command line (never null).</summary>
    public IReadOnlyList<string> Cmdline { get; init; } = Cmdline ?? [];
}

/// <summary>
/// A node of an accessibility tree (protocol-v1 <c>UIElement</c>). <see cref="Bounds"/> is in desktop space.
/// <see cref="Metadata"/> carries backend data needed to find the element again (for <c>ui.action</c>) and the
/// keys <c>partial</c> (bool) and <c>node_count</c> (int) on a root when a tree walk hit its budget.
/// </summary>
/// <param name="Role">The role, e.g. <c>push button</c>, <c>text</c>, <c>menu item</c>.</param>
/// <param name="Name">The accessible name (label).</param>
/// <param name="Value">The value or text, if any.</param>
/// <param name="Bounds">The element's bounds in desktop space, if known.</param>
/// <param name="Focused">True when the element has the focus.</param>
/// <param name="Enabled">True when the element is enabled (sensitive).</param>
/// <param name="Actions">Action names the element supports, e.g. <c>click</c>.</param>
/// <param name="Children">Child elements.</param>
/// <param name="Metadata">Backend metadata (free-form; strings, numbers, booleans, lists and maps).</param>
public sealed record UIElement(
    string Role,
    string Name = "",
    string? Value = null,
    Rect? Bounds = null,
    bool Focused = false,
    bool Enabled = true,
    IReadOnlyList<string>? Actions = null,
    IReadOnlyList<UIElement>? Children = null,
    IReadOnlyDictionary<string, object?>? Metadata = null)
{
    /// <summary>Action names (never null).</summary>
    public IReadOnlyList<string> Actions { get; init; } = Actions ?? [];

    /// <summary>Children (never null).</summary>
    public IReadOnlyList<UIElement> Children { get; init; } = Children ?? [];

    /// <summary>Metadata (never null).</summary>
    public IReadOnlyDictionary<string, object?> Metadata { get; init; } = Metadata ?? new Dictionary<string, object?>();

    /// <summary>This element and all its descendants, depth first.</summary>
    public IEnumerable<UIElement> DescendantsAndSelf()
    {
        var stack = new Stack<UIElement>();
        stack.Push(this);
        while (stack.Count > 0)
        {
            UIElement e = stack.Pop();
            yield return e;
            for (int i = e.Children.Count - 1; i >= 0; i--)
            {
                stack.Push(e.Children[i]);
            }
        }
    }
}

/// <summary>Well-known <c>ui.action</c> action names.</summary>
public static class UIActions
{
    /// <summary>Click (the default).</summary>
    public const string Click = "click";
    /// <summary>Press (buttons).</summary>
    public const string Press = "press";
    /// <summary>Activate (menu items, links).</summary>
    public const string Activate = "activate";
    /// <summary>Toggle (check boxes, toggle buttons).</summary>
    public const string Toggle = "toggle";
    /// <summary>Give the element the focus.</summary>
    public const string Focus = "focus";
    /// <summary>Set the text of an editable element to the element's <see cref="UIElement.Value"/>.</summary>
    public const string SetValue = "set_value";
}

/// <summary>An input event (a <see cref="PointerEvent"/> or a <see cref="KeyEvent"/>); items of <c>input.subscribe</c>.</summary>
public abstract record InputEvent
{
    private protected InputEvent()
    {
    }

    /// <summary>Modifiers held during the event.</summary>
    public IReadOnlyList<Modifier> Modifiers { get; init; } = [];

    /// <summary>When the event happened; null means "now" when sending.</summary>
    public DateTimeOffset? Timestamp { get; init; }
}

/// <summary>A pointer event (protocol-v1 <c>PointerEvent</c>). <see cref="Point"/> is in desktop space.</summary>
/// <param name="Action">What the event does.</param>
/// <param name="Point">Where, in desktop space.</param>
/// <param name="Button">The button for <see cref="PointerAction.Down"/>/<see cref="PointerAction.Up"/>; null means left.</param>
/// <param name="Dx">Horizontal scroll amount in notches (positive = right), for <see cref="PointerAction.Scroll"/>.</param>
/// <param name="Dy">Vertical scroll amount in notches (positive = down), for <see cref="PointerAction.Scroll"/>.</param>
public sealed record PointerEvent(PointerAction Action, Point Point, MouseButton? Button = null, double Dx = 0, double Dy = 0) : InputEvent
{
    /// <summary>Pen pressure 0..1, if any.</summary>
    public double? Pressure { get; init; }

    /// <summary>Pen tilt on X in degrees, if any.</summary>
    public double? TiltX { get; init; }

    /// <summary>Pen tilt on Y in degrees, if any.</summary>
    public double? TiltY { get; init; }
}

/// <summary>A key event (protocol-v1 <c>KeyEvent</c>).</summary>
/// <param name="Action">Press or release.</param>
/// <param name="Keysym">The key name: an X11 keysym name (<c>Return</c>, <c>a</c>) or an agent alias (<c>enter</c>, <c>ctrl</c>, <c>f5</c>).</param>
/// <param name="Char">The character the key produces, if known.</param>
/// <param name="Scancode">The hardware scancode, if known.</param>
/// <param name="IsRepeat">True for auto-repeat events.</param>
public sealed record KeyEvent(KeyAction Action, string Keysym, string? Char = null, int? Scancode = null, bool IsRepeat = false) : InputEvent;

/// <summary>Text to type (protocol-v1 <c>TextInput</c>).</summary>
/// <param name="Text">Any Unicode text.</param>
/// <param name="IntervalMs">Delay between characters in milliseconds (0 = as fast as possible).</param>
public sealed record TextInput(string Text, int IntervalMs = 20);

/// <summary>One representation of the clipboard (protocol-v1 <c>ClipboardEntry</c>).</summary>
/// <param name="MimeType">The MIME type; text uses <see cref="ClipboardContents.TextMimeType"/>.</param>
/// <param name="Data">The bytes.</param>
public sealed record ClipboardEntry(string MimeType, byte[] Data);

/// <summary>The clipboard (protocol-v1 <c>ClipboardContents</c>).</summary>
/// <param name="Entries">The representations, best first.</param>
public sealed record ClipboardContents(IReadOnlyList<ClipboardEntry> Entries)
{
    /// <summary>The MIME type used for text: <c>text/plain;charset=utf-8</c>.</summary>
    public const string TextMimeType = "text/plain;charset=utf-8";

    /// <summary>Empty contents.</summary>
    public static ClipboardContents Empty { get; } = new([]);

    /// <summary>Contents holding <paramref name="text"/> as UTF-8.</summary>
    /// <param name="text">The text.</param>
    public static ClipboardContents FromText(string text) => new([new ClipboardEntry(TextMimeType, Encoding.UTF8.GetBytes(text))]);

    /// <summary>The first <c>text/*</c> entry decoded as UTF-8, or null.</summary>
    public string? GetText()
    {
        foreach (ClipboardEntry e in Entries)
        {
            if (e.MimeType.StartsWith("text/", StringComparison.OrdinalIgnoreCase))
            {
                return Encoding.UTF8.GetString(e.Data);
            }
        }

        return null;
    }
}

/// <summary>A file or directory (protocol-v1 <c>FileEntry</c>).</summary>
/// <param name="Path">The full path on the computer it describes.</param>
/// <param name="Name">The last path segment.</param>
/// <param name="IsDir">True for a directory.</param>
/// <param name="Size">Size in bytes (0 for directories).</param>
/// <param name="ModifiedAt">Last modification time, if known.</param>
/// <param name="Mode">Unix permission bits, if known.</param>
public sealed record FileEntry(string Path, string Name, bool IsDir, long Size = 0, DateTimeOffset? ModifiedAt = null, int? Mode = null);

/// <summary>The outcome of <c>process.shell</c> or <c>process.exec</c> (protocol-v1 <c>CompletedCommand</c>).</summary>
/// <param name="ReturnCode">The exit code.</param>
/// <param name="Stdout">Standard output bytes (possibly capped).</param>
/// <param name="Stderr">Standard error bytes (possibly capped).</param>
/// <param name="Duration">How long the command ran.</param>
public sealed record CompletedCommand(int ReturnCode, byte[] Stdout, byte[] Stderr, TimeSpan Duration = default);

/// <summary>The machine (protocol-v1 <c>Environment</c>).</summary>
/// <param name="Os">The OS family: <c>linux</c>, <c>windows</c>, <c>darwin</c>.</param>
/// <param name="OsVersion">The OS version text.</param>
/// <param name="Hostname">The host name.</param>
/// <param name="Locale">The locale, e.g. <c>en_US.UTF-8</c>.</param>
/// <param name="Timezone">The time zone, e.g. <c>UTC</c>.</param>
/// <param name="Displays">The displays.</param>
public sealed record EnvironmentInfo(string Os, string OsVersion, string Hostname, string Locale, string Timezone, IReadOnlyList<Display> Displays);

/// <summary>A desktop notification (protocol-v1 <c>Notification</c>).</summary>
/// <param name="Id">The notification id.</param>
/// <param name="Title">The title.</param>
/// <param name="Body">The body text.</param>
/// <param name="App">The sending application, if known.</param>
/// <param name="Timestamp">When it was shown.</param>
public sealed record Notification(string Id, string Title, string Body, string? App, DateTimeOffset Timestamp);

/// <summary>One frame of a <c>display.subscribe</c> stream (protocol-v1 <c>DisplayFrame</c>).</summary>
/// <param name="Pixmap">The image.</param>
/// <param name="FrameNumber">The frame number, from 0.</param>
/// <param name="Keyframe">True for a full frame.</param>
public sealed record DisplayFrame(Pixmap Pixmap, long FrameNumber = 0, bool Keyframe = true);
