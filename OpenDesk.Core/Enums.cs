namespace OpenDesk.Core;

/// <summary>Encoding of <see cref="Pixmap.Data"/> (protocol-v1 <c>format</c>).</summary>
public enum PixmapFormat
{
    /// <summary><c>png</c>.</summary>
    Png,
    /// <summary><c>jpeg</c>.</summary>
    Jpeg,
    /// <summary><c>raw_rgba</c>: 4 bytes per pixel, rows without padding.</summary>
    RawRgba,
    /// <summary><c>raw_rgb</c>: 3 bytes per pixel, rows without padding.</summary>
    RawRgb,
}

/// <summary>What a <see cref="PointerEvent"/> does (protocol-v1 <c>action</c>).</summary>
public enum PointerAction
{
    /// <summary><c>move</c>: move the pointer to the point.</summary>
    Move,
    /// <summary><c>down</c>: press the button at the point.</summary>
    Down,
    /// <summary><c>up</c>: release the button at the point.</summary>
    Up,
    /// <summary><c>scroll</c>: scroll by <see cref="PointerEvent.Dx"/>/<see cref="PointerEvent.Dy"/> at the point.</summary>
    Scroll,
}

/// <summary>A pointer button (protocol-v1 <c>button</c>).</summary>
public enum MouseButton
{
    /// <summary><c>left</c>.</summary>
    Left,
    /// <summary><c>right</c>.</summary>
    Right,
    /// <summary><c>middle</c>.</summary>
    Middle,
    /// <summary><c>x1</c> (back).</summary>
    X1,
    /// <summary><c>x2</c> (forward).</summary>
    X2,
}

/// <summary>A modifier key (protocol-v1 <c>Modifier</c>).</summary>
public enum Modifier
{
    /// <summary><c>shift</c>.</summary>
    Shift,
    /// <summary><c>ctrl</c>.</summary>
    Ctrl,
    /// <summary><c>alt</c>.</summary>
    Alt,
    /// <summary><c>meta</c> (Super / Windows / Command).</summary>
    Meta,
    /// <summary><c>fn</c>.</summary>
    Fn,
    /// <summary><c>caps_lock</c>.</summary>
    CapsLock,
}

/// <summary>What a <see cref="KeyEvent"/> does (protocol-v1 <c>action</c>).</summary>
public enum KeyAction
{
    /// <summary><c>down</c>: press.</summary>
    Down,
    /// <summary><c>up</c>: release.</summary>
    Up,
}

/// <summary>Protocol-v1 wire names of the value enums, both ways.</summary>
public static class WireNames
{
    private static readonly string[] s_pixmapFormats = ["png", "jpeg", "raw_rgba", "raw_rgb"];
    private static readonly string[] s_pointerActions = ["move", "down", "up", "scroll"];
    private static readonly string[] s_buttons = ["left", "right", "middle", "x1", "x2"];
    private static readonly string[] s_modifiers = ["shift", "ctrl", "alt", "meta", "fn", "caps_lock"];
    private static readonly string[] s_keyActions = ["down", "up"];

    /// <summary>The wire name, e.g. <c>raw_rgba</c>.</summary>
    /// <param name="value">The value.</param>
    public static string ToWireName(this PixmapFormat value) => s_pixmapFormats[(int)value];

    /// <summary>The wire name, e.g. <c>scroll</c>.</summary>
    /// <param name="value">The value.</param>
    public static string ToWireName(this PointerAction value) => s_pointerActions[(int)value];

    /// <summary>The wire name, e.g. <c>middle</c>.</summary>
    /// <param name="value">The value.</param>
    public static string ToWireName(this MouseButton value) => s_buttons[(int)value];

    /// <summary>The wire name, e.g. <c>caps_lock</c>.</summary>
    /// <param name="value">The value.</param>
    public static string ToWireName(this Modifier value) => s_modifiers[(int)value];

    /// <summary>The wire name, e.g. <c>down</c>.</summary>
    /// <param name="value">The value.</param>
    public static string ToWireName(this KeyAction value) => s_keyActions[(int)value];

    /// <summary>Parses a wire name.</summary>
    /// <param name="name">The wire name.</param>
    /// <param name="value">The parsed value.</param>
    public static bool TryParse(string? name, out PixmapFormat value) => TryParse(s_pixmapFormats, name, out value);

    /// <summary>Parses a wire name.</summary>
    /// <param name="name">The wire name.</param>
    /// <param name="value">The parsed value.</param>
    public static bool TryParse(string? name, out PointerAction value) => TryParse(s_pointerActions, name, out value);

    /// <summary>Parses a wire name.</summary>
    /// <param name="name">The wire name.</param>
    /// <param name="value">The parsed value.</param>
    public static bool TryParse(string? name, out MouseButton value) => TryParse(s_buttons, name, out value);

    /// <summary>Parses a wire name.</summary>
    /// <param name="name">The wire name.</param>
    /// <param name="value">The parsed value.</param>
    public static bool TryParse(string? name, out Modifier value) => TryParse(s_modifiers, name, out value);

    /// <summary>Parses a wire name.</summary>
    /// <param name="name">The wire name.</param>
    /// <param name="value">The parsed value.</param>
    public static bool TryParse(string? name, out KeyAction value) => TryParse(s_keyActions, name, out value);

    private static bool TryParse<T>(string[] names, string? name, out T value)
        where T : struct, Enum
    {
        int index = name is null ? -1 : Array.IndexOf(names, name);
        value = index < 0 ? default : (T)Enum.ToObject(typeof(T), index);
        return index >= 0;
    }
}
