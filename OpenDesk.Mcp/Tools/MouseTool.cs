using Microsoft.Extensions.AI;
using OpenDesk.Core;
using OpenDesk.Mcp.Catalog;

namespace OpenDesk.Mcp.Tools;

internal static class MouseTool
{
    public const string Name = "mouse";

    private static readonly string[] s_actions =
        ["move", "click", "double_click", "triple_click", "right_click", "middle_click", "left_down", "left_up", "scroll", "drag", "cursor_position"];

    public static AIFunction Create(ToolRuntime runtime)
    {
        var schema = Schema.Object(
            [
                ("action", Schema.Str("What to do.", s_actions)),
                ("x", Schema.Int("X in pixels of the last full screenshot (desktop pixels before any screenshot). Default 0.")),
                ("y", Schema.Int("Y in pixels of the last full screenshot (desktop pixels before any screenshot). Default 0.")),
                ("end_x", Schema.Int("Drag end X (same coordinates as x). Required for drag.")),
                ("end_y", Schema.Int("Drag end Y (same coordinates as y). Required for drag.")),
                ("image_width", Schema.Int("Optional width of the image x/y refer to (compatibility; not needed after screenshot).", 1)),
                ("image_height", Schema.Int("Optional height of the image x/y refer to (compatibility; not needed after screenshot).", 1)),
                ("direction", Schema.Str("Scroll direction.", "up", "down", "left", "right")),
                ("amount", Schema.Int("Scroll clicks (default 3).", 1, 100, 3)),
                ("duration", Schema.Num("Accepted for compatibility; ignored.", 0)),
                ("settle_ms", Schema.Int("Longest wait in ms for the screen to settle after the action (default 500; 0 = do not wait or check).", 0, 10_000, 500)),
            ],
            ["action"],
            withPeer: true);
        const string description =
            "Mouse input at image coordinates: pixels of the last full screenshot of the target computer (the tool maps them "
            + "to the desktop). Clicks are move + press/release. The result says where it acted in desktop pixels and whether "
            + "the screen changed (it waits until the screen is stable, up to settle_ms).";
        return new CatalogTool(Name, description + Schema.PeerParagraph, schema,
            (args, ct) => runtime.RunComputerAsync(args, (ctx, c) => RunAsync(runtime, ctx, args, c), ct));
    }

    private static async ValueTask<IList<AIContent>> RunAsync(ToolRuntime runtime, PeerContext context, ToolArgs args, CancellationToken ct)
    {
        string action = args.Enum("action", s_actions);
        double x = args.Int("x") ?? 0;
        double y = args.Int("y") ?? 0;
        int settleMs = args.Int("settle_ms", 0, 10_000) ?? runtime.Options.MouseSettleMs;
        _ = args.Number("duration", 0);
        CoordinateFrame? frame = await Frames.ForCallAsync(context, args, ct).ConfigureAwait(false);
        IComputerInput input = context.Computer.Input;

        if (action == "cursor_position")
        {
            Point cursor = await context.Computer.Display.GetCursorPositionAsync(ct).ConfigureAwait(false);
            Point image = frame?.ToImage(cursor) ?? cursor;
            return ToolRuntime.Text(Frames.Inv(
                $"Current cursor: ({image.X:0}, {image.Y:0}) in image coordinates (desktop ({cursor.X:0}, {cursor.Y:0}))."));
        }

        Point at = Frames.ToDesktop(frame, x, y);
        string where = Frames.Describe(frame, x, y, at);
        string? direction = null;
        int amount = 3;
        Point end = default;
        string endWhere = "";
        if (action == "scroll")
        {
            direction = args.Enum("direction", ["up", "down", "left", "right"], "down");
            amount = args.Int("amount", 1, 100) ?? 3;
        }
        else if (action == "drag")
        {
            int ex = args.Int("end_x") ?? throw args.Missing("end_x", "drag");
            int ey = args.Int("end_y") ?? throw args.Missing("end_y", "drag");
            end = Frames.ToDesktop(frame, ex, ey);
            endWhere = Frames.Describe(frame, ex, ey, end);
        }

        byte[]? before = await Settle.BeforeAsync(context, settleMs, runtime.Options, ct).ConfigureAwait(false);
        string done;
        switch (action)
        {
            case "move":
                await input.SendPointerAsync(new PointerEvent(PointerAction.Move, at), ct).ConfigureAwait(false);
                done = $"Moved to {where}.";
                break;
            case "click":
                await ClickAsync(input, at, MouseButton.Left, 1, ct).ConfigureAwait(false);
                done = $"Clicked at {where}.";
                break;
            case "double_click":
                await ClickAsync(input, at, MouseButton.Left, 2, ct).ConfigureAwait(false);
                done = $"Double-click at {where}.";
                break;
            case "triple_click":
                await ClickAsync(input, at, MouseButton.Left, 3, ct).ConfigureAwait(false);
                done = $"Triple-click at {where}.";
                break;
            case "right_click":
                await ClickAsync(input, at, MouseButton.Right, 1, ct).ConfigureAwait(false);
                done = $"Right-click at {where}.";
                break;
            case "middle_click":
                await ClickAsync(input, at, MouseButton.Middle, 1, ct).ConfigureAwait(false);
                done = $"Middle-click at {where}.";
                break;
            case "left_down":
                await input.SendPointerAsync(new PointerEvent(PointerAction.Move, at), ct).ConfigureAwait(false);
                await input.SendPointerAsync(new PointerEvent(PointerAction.Down, at, MouseButton.Left), ct).ConfigureAwait(false);
                done = $"Left button down at {where}.";
                break;
            case "left_up":
                await input.SendPointerAsync(new PointerEvent(PointerAction.Move, at), ct).ConfigureAwait(false);
                await input.SendPointerAsync(new PointerEvent(PointerAction.Up, at, MouseButton.Left), ct).ConfigureAwait(false);
                done = $"Left button up at {where}.";
                break;
            case "scroll":
                (double dx, double dy) = direction switch
                {
                    "up" => (0.0, (double)-amount),
                    "down" => (0.0, (double)amount),
                    "left" => ((double)-amount, 0.0),
                    _ => ((double)amount, 0.0),
                };
                await input.SendPointerAsync(new PointerEvent(PointerAction.Move, at), ct).ConfigureAwait(false);
                await input.SendPointerAsync(new PointerEvent(PointerAction.Scroll, at, null, dx, dy), ct).ConfigureAwait(false);
                done = $"Scrolled {direction} {amount} click(s) at {where}.";
                break;
            default: // drag
                await input.SendPointerAsync(new PointerEvent(PointerAction.Move, at), ct).ConfigureAwait(false);
                await input.SendPointerAsync(new PointerEvent(PointerAction.Down, at, MouseButton.Left), ct).ConfigureAwait(false);
                const int steps = 8;
                for (int i = 1; i <= steps; i++)
                {
                    var p = new Point(Math.Round(at.X + ((end.X - at.X) * i / steps)), Math.Round(at.Y + ((end.Y - at.Y) * i / steps)));
                    await input.SendPointerAsync(new PointerEvent(PointerAction.Move, p), ct).ConfigureAwait(false);
                }

                await input.SendPointerAsync(new PointerEvent(PointerAction.Up, end, MouseButton.Left), ct).ConfigureAwait(false);
                done = $"Dragged from {where} to {endWhere}.";
                break;
        }

        string settled = await Settle.AfterAsync(context, before, settleMs, runtime.Options, ct).ConfigureAwait(false);
        return ToolRuntime.Text(done + " " + settled);
    }

    internal static async ValueTask ClickAsync(IComputerInput input, Point at, MouseButton button, int count, CancellationToken ct)
    {
        await input.SendPointerAsync(new PointerEvent(PointerAction.Move, at), ct).ConfigureAwait(false);
        for (int i = 0; i < count; i++)
        {
            await input.SendPointerAsync(new PointerEvent(PointerAction.Down, at, button), ct).ConfigureAwait(false);
            await input.SendPointerAsync(new PointerEvent(PointerAction.Up, at, button), ct).ConfigureAwait(false);
        }
    }
}
