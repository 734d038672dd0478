using System.Text;

namespace OpenDesk.Local.Platforms.Linux;

/// <summary>Maps the key names agents use (<c>enter</c>, <c>ctrl</c>, <c>page_down</c>, <c>f5</c>, <c>a</c>) to X11 keysyms.</summary>
internal static class KeyNames
{
    private static readonly Dictionary<string, string> s_aliases = new(StringComparer.OrdinalIgnoreCase)
    {
        ["enter"] = "Return", ["return"] = "Return", ["kp_enter"] = "KP_Enter",
        ["esc"] = "Escape", ["escape"] = "Escape",
        ["tab"] = "Tab", ["backspace"] = "BackSpace", ["back_space"] = "BackSpace",
        ["delete"] = "Delete", ["del"] = "Delete", ["insert"] = "Insert", ["ins"] = "Insert",
        ["space"] = "space", ["spacebar"] = "space",
        ["home"] = "Home", ["end"] = "End",
        ["page_up"] = "Prior", ["pageup"] = "Prior", ["pgup"] = "Prior", ["prior"] = "Prior",
        ["page_down"] = "Next", ["pagedown"] = "Next", ["pgdn"] = "Next", ["next"] = "Next",
        ["up"] = "Up", ["down"] = "Down", ["left"] = "Left", ["right"] = "Right",
        ["arrow_up"] = "Up", ["arrow_down"] = "Down", ["arrow_left"] = "Left", ["arrow_right"] = "Right",
        ["arrowup"] = "Up", ["arrowdown"] = "Down", ["arrowleft"] = "Left", ["arrowright"] = "Right",
        ["ctrl"] = "Control_L", ["control"] = "Control_L", ["ctrl_l"] = "Control_L", ["ctrl_r"] = "Control_R",
        ["control_l"] = "Control_L", ["control_r"] = "Control_R",
        ["alt"] = "Alt_L", ["alt_l"] = "Alt_L", ["alt_r"] = "Alt_R", ["option"] = "Alt_L", ["altgr"] = "ISO_Level3_Shift",
        ["shift"] = "Shift_L", ["shift_l"] = "Shift_L", ["shift_r"] = "Shift_R",
        ["super"] = "Super_L", ["super_l"] = "Super_L", ["super_r"] = "Super_R", ["meta"] = "Super_L", ["win"] = "Super_L",
        ["windows"] = "Super_L", ["cmd"] = "Super_L", ["command"] = "Super_L",
        ["caps_lock"] = "Caps_Lock", ["capslock"] = "Caps_Lock", ["num_lock"] = "Num_Lock", ["numlock"] = "Num_Lock",
        ["scroll_lock"] = "Scroll_Lock", ["pause"] = "Pause", ["break"] = "Break",
        ["print"] = "Print", ["printscreen"] = "Print", ["print_screen"] = "Print", ["prtsc"] = "Print",
        ["menu"] = "Menu", ["apps"] = "Menu", ["context_menu"] = "Menu",
        ["plus"] = "plus", ["minus"] = "minus",
    };

    /// <summary>Splits a chord such as <c>ctrl+shift+t</c> (a literal <c>+</c> is allowed as the last key: <c>ctrl++</c>).</summary>
    public static IReadOnlyList<string> SplitChord(string chord)
    {
        ArgumentException.ThrowIfNullOrEmpty(chord);
        if (chord == "+")
        {
            return ["+"];
        }

        var parts = new List<string>();
        string rest = chord;
        if (rest.EndsWith("++", StringComparison.Ordinal))
        {
            rest = rest[..^2];
            parts.AddRange(rest.Split('+', StringSplitOptions.TrimEntries));
            parts.Add("+");
            return parts;
        }

        parts.AddRange(chord.Split('+', StringSplitOptions.TrimEntries));
        if (parts.Exists(string.IsNullOrEmpty))
        {
            throw new Core.InvalidArgumentException($"Malformed key chord '{chord}'.");
        }

        return parts;
    }

    /// <summary>The keysym for one key name, or 0 when unknown.</summary>
    public static nuint ToKeysym(string name)
    {
        if (name.Length == 0)
        {
            return 0;
        }

        if (s_aliases.TryGetValue(name, out string? xname))
        {
            return Interop.Xlib.XStringToKeysym(xname);
        }

        if (Rune.TryGetRuneAt(name, 0, out Rune rune) && rune.Utf16SequenceLength == name.Length)
        {
            return KeysymForRune(rune);
        }

        if (name.Length is >= 2 and <= 3 && (name[0] == 'f' || name[0] == 'F') && int.TryParse(name.AsSpan(1), out int f) && f is >= 1 and <= 35)
        {
            return Interop.Xlib.XStringToKeysym("F" + f.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        nuint sym = Interop.Xlib.XStringToKeysym(name);
        if (sym == 0 && name.Length > 1)
        {
            sym = Interop.Xlib.XStringToKeysym(char.ToUpperInvariant(name[0]) + name[1..].ToLowerInvariant());
        }

        return sym;
    }

    /// <summary>The keysym that types <paramref name="rune"/> (Latin-1 keysyms equal the code point; others are 0x1000000 + code point).</summary>
    public static nuint KeysymForRune(Rune rune)
    {
        int cp = rune.Value;
        return cp switch
        {
            '\n' or '\r' => 0xFF0D, // Return
            '\t' => 0xFF09, // Tab
            '\b' => 0xFF08, // BackSpace
            0x1B => 0xFF1B, // Escape
            >= 0x20 and <= 0x7E => (nuint)cp,
            >= 0xA0 and <= 0xFF => (nuint)cp,
            _ => (nuint)(0x01000000 | cp),
        };
    }

    /// <summary>True for modifier keysyms (Shift, Control, Alt, Super, Meta, Hyper, ISO_Level3_Shift).</summary>
    public static bool IsModifier(nuint keysym) => keysym is (>= 0xFFE1 and <= 0xFFEE) or 0xFE03;
}
