namespace OpenDesk.Remote.Server;

/// <summary>The protocol-v1 method sets (§11.2): observation, action, idempotent and streaming methods.</summary>
internal static class MethodSets
{
    /// <summary>The 17 observation methods; the console policy allows them without asking.</summary>
    public static readonly IReadOnlySet<string> Observation = new HashSet<string>(StringComparer.Ordinal)
    {
        "system.capabilities", "system.environment",
        "display.capture", "display.cursor_position", "display.displays", "display.subscribe",
        "windows.list", "windows.focused", "ui.tree", "clipboard.read",
        "fs.read", "fs.list", "fs.stat", "process.list", "apps.list", "notifications.list", "input.subscribe",
    };

    /// <summary>The 14 idempotent methods a client replays once after a reconnect.</summary>
    public static readonly IReadOnlySet<string> Idempotent = new HashSet<string>(StringComparer.Ordinal)
    {
        "system.environment", "display.capture", "display.cursor_position", "display.displays",
        "windows.list", "windows.focused", "ui.tree", "clipboard.read",
        "fs.read", "fs.list", "fs.stat", "process.list", "apps.list", "notifications.list",
    };

    /// <summary>The two streaming methods.</summary>
    public static readonly IReadOnlySet<string> Streaming = new HashSet<string>(StringComparer.Ordinal)
    {
        "display.subscribe", "input.subscribe",
    };
}
