using Microsoft.Extensions.AI;
using OpenDesk.Core;
using OpenDesk.Mcp.Catalog;

namespace OpenDesk.Mcp.Tools;

internal static class KeyboardTool
{
    public const string Name = "keyboard";

    private static readonly string[] s_actions = ["type", "press", "hotkey", "hold"];

    public static AIFunction Create(ToolRuntime runtime)
    {
        var schema = Schema.Object(
            [
                ("action", Schema.Str("type: type text; press: press and release one key; hotkey: a key combination; hold: hold a key down.", s_actions)),
                ("text", Schema.Str("Text to type (action type). Any Unicode.")),
                ("key", Schema.Str("Key for press/hold, e.g. enter, escape, tab, backspace, f5, a, Return.")),
                ("keys", Schema.StrArray("Keys for hotkey, pressed in order and released in reverse, e.g. [\"ctrl\", \"c\"].")),
                ("interval", Schema.Num("Seconds between typed characters (default 0.02).", 0, 0.02)),
                ("settle_ms", Schema.Int("Longest wait in ms for the screen to settle after the action (default 300; 0 = do not wait or check).", 0, 10_000, 300)),
                ("hold_duration", Schema.Num("Seconds to hold the key (action hold, default 1.0).", 0, 1.0)),
            ],
            ["action"],
            withPeer: true);
        const string description =
            "Keyboard input on the target computer: type text, press a key, press a hotkey (e.g. [\"ctrl\",\"s\"]) or hold a key. "
            + "Goes to the focused window. The result says whether the screen changed.";
        return new CatalogTool(Name, description + Schema.PeerParagraph, schema,
            (args, ct) => runtime.RunComputerAsync(args, (ctx, c) => RunAsync(runtime, ctx, args, c), ct));
    }

    private static async ValueTask<IList<AIContent>> RunAsync(ToolRuntime runtime, PeerContext context, ToolArgs args, CancellationToken ct)
    {
        string action = args.Enum("action", s_actions);
        int settleMs = args.Int("settle_ms", 0, 10_000) ?? runtime.Options.KeyboardSettleMs;
        double interval = args.Number("interval", 0, 10) ?? 0.02;
        double hold = args.Number("hold_duration", 0, 60) ?? 1.0;
        string? text = null, key = null;
        IReadOnlyList<string>? keys = null;
        switch (action)
        {
            case "type":
                text = args.String("text");
                if (string.IsNullOrEmpty(text))
                {
                    throw args.Missing("text", "type");
                }

                break;
            case "press":
            case "hold":
                key = args.RequiredString("key", action).Trim();
                break;
            default:
                keys = args.StringArray("keys");
                if (keys is null || keys.Count == 0)
                {
                    throw args.Missing("keys", "hotkey");
                }

                break;
        }

        IComputerInput input = context.Computer.Input;
        byte[]? before = await Settle.BeforeAsync(context, settleMs, runtime.Options, ct).ConfigureAwait(false);
        string done;
        switch (action)
        {
            case "type":
                await input.TypeTextAsync(new TextInput(text!, (int)Math.Round(interval * 1000)), ct).ConfigureAwait(false);
                done = $"Typed {text!.Length} character(s).";
                break;
            case "press":
                await PressAsync(input, key!, ct).ConfigureAwait(false);
                done = $"Pressed {key}.";
                break;
            case "hold":
                await input.SendKeyAsync(new KeyEvent(KeyAction.Down, key!), ct).ConfigureAwait(false);
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(hold), runtime.Options.TimeProvider, ct).ConfigureAwait(false);
                }
                finally
                {
                    await input.SendKeyAsync(new KeyEvent(KeyAction.Up, key!), CancellationToken.None).ConfigureAwait(false);
                }

                done = Frames.Inv($"Held {key} for {hold:0.##} s.");
                break;
            default:
                await HotkeyAsync(input, [.. keys!.Select(k => k.Trim())], ct).ConfigureAwait(false);
                done = $"Pressed {string.Join('+', keys!)}.";
                break;
        }

        string settled = await Settle.AfterAsync(context, before, settleMs, runtime.Options, ct).ConfigureAwait(false);
        return ToolRuntime.Text(done + " " + settled);
    }

    internal static async ValueTask PressAsync(IComputerInput input, string key, CancellationToken ct)
    {
        await input.SendKeyAsync(new KeyEvent(KeyAction.Down, key), ct).ConfigureAwait(false);
        await input.SendKeyAsync(new KeyEvent(KeyAction.Up, key), ct).ConfigureAwait(false);
    }

    internal static async ValueTask HotkeyAsync(IComputerInput input, IReadOnlyList<string> keys, CancellationToken ct)
    {
        int pressed = 0;
        try
        {
            foreach (string k in keys)
            {
                await input.SendKeyAsync(new KeyEvent(KeyAction.Down, k), ct).ConfigureAwait(false);
                pressed++;
            }
        }
        finally
        {
            for (int i = pressed - 1; i >= 0; i--)
            {
                await input.SendKeyAsync(new KeyEvent(KeyAction.Up, keys[i]), CancellationToken.None).ConfigureAwait(false);
            }
        }
    }
}
