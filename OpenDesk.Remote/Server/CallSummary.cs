using System.Globalization;
using OpenDesk.Remote.Protocol;

namespace OpenDesk.Remote.Server;

/// <summary>
/// One-line, human-readable summaries of calls for the audit log and the console approver. They never carry raw
/// parameters: typed text and file contents appear only as lengths.
/// </summary>
internal static class CallSummary
{
    private const int MaxShown = 80;

    public static string Summarise(string method, IReadOnlyDictionary<string, object?>? parameters)
    {
        var p = new ValueCodec.WireMap(parameters ?? new Dictionary<string, object?>(), "params");
        try
        {
            return method switch
            {
                "input.pointer" => Pointer(p.OptMap("event")),
                "input.key" => Key(p.OptMap("event")),
                "input.text" => Inv($"type {(p.OptMap("text_input")?.GetValueOrDefault("text") as string)?.Length ?? 0} chars"),
                "display.capture" => p.OptString("display_id") is { } id ? $"capture display {Quote(id)}" : "capture the screen",
                "display.subscribe" => Inv($"stream the screen at {p.OptFloat("fps") ?? 30:0.#} fps"),
                "input.subscribe" => "watch input events",
                "windows.focus" => $"focus window {Quote(p.OptString("window_id"))}",
                "windows.move" => $"move window {Quote(p.OptString("window_id"))}",
                "windows.close" => $"close window {Quote(p.OptString("window_id"))}",
                "apps.open" => $"open app {Quote(p.OptString("name"))}",
                "apps.close" => $"close app {Quote(p.OptString("name"))}",
                "apps.focus" => $"focus app {Quote(p.OptString("name"))}",
                "ui.action" => $"ui action {Quote(p.OptString("action") ?? "click")} on {Quote(p.OptMap("element")?.GetValueOrDefault("name") as string ?? p.OptMap("element")?.GetValueOrDefault("role") as string)}",
                "ui.tree" => "read the accessibility tree",
                "clipboard.read" => "read the clipboard",
                "clipboard.write" => Inv($"write the clipboard ({CountEntries(p.OptMap("contents"))} entries)"),
                "fs.read" => $"read file {Quote(p.OptString("path"))}",
                "fs.write" => Inv($"write {(p.Opt("data") as byte[])?.Length ?? 0} bytes to {Quote(p.OptString("path"))}"),
                "fs.list" => $"list {Quote(p.OptString("path"))}",
                "fs.stat" => $"stat {Quote(p.OptString("path"))}",
                "fs.delete" => $"delete {Quote(p.OptString("path"))}",
                "fs.move" => $"move {Quote(p.OptString("src"))} → {Quote(p.OptString("dst"))}",
                "fs.mkdir" => $"make directory {Quote(p.OptString("path"))}",
                "process.shell" => $"run shell: {Quote(p.OptString("command"))}",
                "process.exec" => $"run {Quote(FirstArg(p.Opt("argv")))}" + Inv($" ({ArgCount(p.Opt("argv"))} args)"),
                "process.list" => "list processes",
                "power.lock" => "lock the screen",
                _ => method,
            };
        }
        catch (Exception ex) when (ex is InvalidCastException or OpenDesk.Core.InvalidArgumentException)
        {
            return method;
        }
    }

    private static string Pointer(IReadOnlyDictionary<string, object?>? e)
    {
        if (e is null)
        {
            return "send a pointer event";
        }

        string action = e.GetValueOrDefault("action") as string ?? "move";
        ValueCodec.WireMap? point = e.GetValueOrDefault("point") is IReadOnlyDictionary<string, object?> map ? new(map, "params.event.point") : null;
        double x = point?.OptFloat("x") ?? 0;
        double y = point?.OptFloat("y") ?? 0;
        string button = e.GetValueOrDefault("button") is string b && action is "down" or "up" ? $"{b} " : "";
        return Inv($"send pointer {button}{action} at ({x:0.##}, {y:0.##})");
    }

    private static string Key(IReadOnlyDictionary<string, object?>? e)
    {
        if (e is null)
        {
            return "send a key event";
        }

        string action = e.GetValueOrDefault("action") as string ?? "down";
        string keysym = e.GetValueOrDefault("keysym") as string ?? "?";

        // Single printable characters could spell out a password one event at a time: do not log them.
        string shown = keysym.Length == 1 ? "a character key" : Quote(keysym);
        return $"send key {action} {shown}";
    }

    private static int CountEntries(IReadOnlyDictionary<string, object?>? contents)
        => contents?.GetValueOrDefault("entries") is System.Collections.ICollection c ? c.Count : 0;

    private static string? FirstArg(object? argv)
        => argv is System.Collections.IList { Count: > 0 } list ? list[0] as string : null;

    private static int ArgCount(object? argv) => argv is System.Collections.ICollection c ? Math.Max(0, c.Count - 1) : 0;

    private static string Quote(string? value)
    {
        if (value is null)
        {
            return "'?'";
        }

        string oneLine = value.ReplaceLineEndings(" ");
        return oneLine.Length <= MaxShown ? $"'{oneLine}'" : $"'{oneLine[..(MaxShown - 1)]}…'";
    }

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
