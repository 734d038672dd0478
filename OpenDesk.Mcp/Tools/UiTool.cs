using System.Text;
using Microsoft.Extensions.AI;
using OpenDesk.Core;
using OpenDesk.Mcp.Catalog;

namespace OpenDesk.Mcp.Tools;

internal static class UiTool
{
    public const string Name = "ui";

    private const int MaxTreeLines = 200;

    private static readonly string[] s_actions = ["get_tree", "click", "click_menu", "type", "press_key", "get_value"];

    private static readonly string[] s_actionableFragments =
        ["button", "link", "menu item", "check", "radio", "tab", "combo", "entry", "text", "field", "slider", "spin", "item", "cell", "icon"];

    private static readonly string[] s_containerFragments =
        ["frame", "window", "panel", "filler", "application", "pane", "scroll", "group", "section", "document", "layered", "viewport", "split"];

    public static AIFunction Create(ToolRuntime runtime)
    {
        var schema = Schema.Object(
            [
                ("action", Schema.Str("get_tree: list the accessibility tree; click: click an element; click_menu: menu > item; type: type into the app (or an element); press_key: key with modifiers; get_value: read an element's value.", s_actions)),
                ("app", Schema.Str("Application (process, window or executable name).")),
                ("title", Schema.Str("The element's label (accessible name); best match wins.")),
                ("role", Schema.Str("Optional role to narrow the search, e.g. button, text, menu item.")),
                ("text", Schema.Str("Text to type (action type).")),
                ("menu", Schema.Str("Menu name (action click_menu), e.g. File.")),
                ("menu_item", Schema.Str("Menu item (action click_menu), e.g. Save.")),
                ("key", Schema.Str("Key (action press_key), e.g. s, enter, f5.")),
                ("modifiers", Schema.StrArray("Modifiers for press_key: ctrl, shift, alt, meta (cmd/command/win/super), fn.")),
                ("window_index", Schema.Int("Accepted for compatibility; ignored.", 1)),
                ("settle_ms", Schema.Int("Longest wait in ms for the screen to settle after the action (default 500; 0 = do not wait or check).", 0, 10_000, 500)),
            ],
            ["action", "app"],
            withPeer: true);
        const string description =
            "Act through the accessibility tree of an application: find elements by label (scored name and role match), click "
            + "them (native action when supported, else the centre of their bounds), choose menu items, type, press keys, read "
            + "values. Positions are reported in mouse coordinates (pixels of the last full screenshot).";
        return new CatalogTool(Name, description + Schema.PeerParagraph, schema,
            (args, ct) => runtime.RunComputerAsync(args, (ctx, c) => RunAsync(runtime, ctx, args, c), ct));
    }

    private static async ValueTask<IList<AIContent>> RunAsync(ToolRuntime runtime, PeerContext context, ToolArgs args, CancellationToken ct)
    {
        string action = args.Enum("action", s_actions);
        string app = args.RequiredString("app");
        string? title = args.String("title");
        string? role = args.String("role");
        _ = args.Int("window_index", 1);
        int settleMs = args.Int("settle_ms", 0, 10_000) ?? runtime.Options.ActionSettleMs;
        IComputer computer = context.Computer;
        CoordinateFrame? frame = context.View.Frame;

        switch (action)
        {
            case "get_tree":
            {
                UIElement tree = await GetTreeAsync(computer, app, ct).ConfigureAwait(false);
                return ToolRuntime.Text(RenderTree(tree, frame));
            }

            case "get_value":
            {
                if (title is null && role is null)
                {
                    throw new InvalidArgumentException(
                        "missing argument 'title' or 'role' for 'ui' action 'get_value': give the element's label, or only its role (e.g. role \"text\") for an unnamed element");
                }

                UIElement tree = await GetTreeAsync(computer, app, ct).ConfigureAwait(false);
                UIElement element = FindOrThrow(tree, title, role, app);
                return ToolRuntime.Text(element.Value is null ? $"{Describe(element)} has no value." : $"{Describe(element)} value: \"{element.Value}\"");
            }

            case "click":
            {
                if (title is null && role is null)
                {
                    throw args.Missing("title", "click");
                }

                UIElement tree = await GetTreeAsync(computer, app, ct).ConfigureAwait(false);
                UIElement element = FindOrThrow(tree, title, role, app);
                byte[]? before = await Settle.BeforeAsync(context, settleMs, runtime.Options, ct).ConfigureAwait(false);
                string how = await ClickElementAsync(context, element, app, frame, ct).ConfigureAwait(false);
                string settled = await Settle.AfterAsync(context, before, settleMs, runtime.Options, ct).ConfigureAwait(false);
                return ToolRuntime.Text($"Clicked {element.Role} \"{element.Name}\" {how}. {settled}");
            }

            case "click_menu":
            {
                string menu = args.RequiredString("menu", "click_menu");
                string item = args.RequiredString("menu_item", "click_menu");
                byte[]? before = await Settle.BeforeAsync(context, settleMs, runtime.Options, ct).ConfigureAwait(false);
                string how = await ClickMenuAsync(context, app, menu, item, frame, ct).ConfigureAwait(false);
                string settled = await Settle.AfterAsync(context, before, settleMs, runtime.Options, ct).ConfigureAwait(false);
                return ToolRuntime.Text($"Chose {menu} > {item} {how}. {settled}");
            }

            case "type":
            {
                string text = args.String("text") is { Length: > 0 } t ? t : throw args.Missing("text", "type");
                await computer.Apps.FocusAsync(app, ct).ConfigureAwait(false);
                string target = "";
                if (title is not null || role is not null)
                {
                    UIElement tree = await GetTreeAsync(computer, app, ct).ConfigureAwait(false);
                    UIElement element = FindOrThrow(tree, title, role, app);
                    string how = await FocusElementAsync(context, element, app, frame, ct).ConfigureAwait(false);
                    target = $" into {Describe(element)} (focused {how})";
                }

                byte[]? before = await Settle.BeforeAsync(context, settleMs, runtime.Options, ct).ConfigureAwait(false);
                await computer.Input.TypeTextAsync(new TextInput(text), ct).ConfigureAwait(false);
                string settled = await Settle.AfterAsync(context, before, settleMs, runtime.Options, ct).ConfigureAwait(false);
                return ToolRuntime.Text($"Typed {text.Length} character(s) in {app}{target}. {settled}");
            }

            default: // press_key
            {
                string key = args.RequiredString("key", "press_key").Trim();
                IReadOnlyList<Modifier> modifiers = ParseModifiers(args.StringArray("modifiers") ?? []);
                await computer.Apps.FocusAsync(app, ct).ConfigureAwait(false);
                byte[]? before = await Settle.BeforeAsync(context, settleMs, runtime.Options, ct).ConfigureAwait(false);
                await computer.Input.SendKeyAsync(new KeyEvent(KeyAction.Down, key) { Modifiers = modifiers }, ct).ConfigureAwait(false);
                await computer.Input.SendKeyAsync(new KeyEvent(KeyAction.Up, key) { Modifiers = modifiers }, ct).ConfigureAwait(false);
                string settled = await Settle.AfterAsync(context, before, settleMs, runtime.Options, ct).ConfigureAwait(false);
                string combo = string.Join('+', modifiers.Select(m => m.ToWireName()).Append(key));
                return ToolRuntime.Text($"Pressed {combo} in {app}. {settled}");
            }
        }
    }

    internal static async ValueTask<UIElement> GetTreeAsync(IComputer computer, string app, CancellationToken ct)
        => await computer.UI.GetTreeAsync(new UITreeQuery(App: app), ct).ConfigureAwait(false);

    /// <summary>
    /// The best match: name 100 exact / 60 prefix or suffix / 30 contains; role 50 exact / 25 contains; without a role, actionable +40,
    /// containers −40. Without a title (role only, e.g. an unnamed text view) the focused element gets +20 and an element with a value
    /// +5. Ties keep document order.
    /// </summary>
    internal static UIElement? Find(UIElement tree, string? title, string? role)
    {
        string? t = title?.Trim().ToLowerInvariant();
        string? r = role?.Trim().ToLowerInvariant();
        UIElement? best = null;
        int bestScore = int.MinValue;
        foreach (UIElement e in tree.DescendantsAndSelf())
        {
            string name = e.Name.Trim().ToLowerInvariant();
            string elementRole = e.Role.ToLowerInvariant();
            int score = 0;
            if (!string.IsNullOrEmpty(t))
            {
                if (name == t)
                {
                    score += 100;
                }
                else if (name.Length > 0 && (name.StartsWith(t, StringComparison.Ordinal) || name.EndsWith(t, StringComparison.Ordinal)))
                {
                    score += 60;
                }
                else if (name.Length > 0 && name.Contains(t, StringComparison.Ordinal))
                {
                    score += 30;
                }
                else
                {
                    continue;
                }
            }

            if (!string.IsNullOrEmpty(r))
            {
                if (elementRole == r)
                {
                    score += 50;
                }
                else if (elementRole.Contains(r, StringComparison.Ordinal) || (elementRole.Length > 0 && r.Contains(elementRole, StringComparison.Ordinal)))
                {
                    score += 25;
                }
                else if (string.IsNullOrEmpty(t))
                {
                    continue;
                }
            }
            else
            {
                if (s_actionableFragments.Any(f => elementRole.Contains(f, StringComparison.Ordinal)))
                {
                    score += 40;
                }
                else if (s_containerFragments.Any(f => elementRole.Contains(f, StringComparison.Ordinal)))
                {
                    score -= 40;
                }
            }

            if (string.IsNullOrEmpty(t))
            {
                score += (e.Focused ? 20 : 0) + (e.Value is not null ? 5 : 0);
            }

            if (score > bestScore)
            {
                best = e;
                bestScore = score;
            }
        }

        return best;
    }

    private static UIElement FindOrThrow(UIElement tree, string? title, string? role, string app)
        => Find(tree, title, role) ?? throw new NotFoundException(
            (title is null ? $"no element with role '{role}'" : $"no element matching title '{title}'{(role is null ? "" : $" and role '{role}'")}")
            + $" in '{app}'. Use ui get_tree to see the elements, or screenshot + mouse.");

    private static string Describe(UIElement element)
        => string.IsNullOrWhiteSpace(element.Name) ? $"{element.Role} (unnamed)" : $"{element.Role} \"{element.Name}\"";

    internal static async ValueTask<string> ClickElementAsync(PeerContext context, UIElement element, string? app, CoordinateFrame? frame, CancellationToken ct)
    {
        CapabilityManifest manifest = await context.GetManifestAsync(ct).ConfigureAwait(false);
        if (manifest.Has(Capability.UiActions))
        {
            try
            {
                await context.Computer.UI.PerformActionAsync(element, UIActions.Click, app, ct).ConfigureAwait(false);
                return "(via a11y)";
            }
            catch (OpenDeskException e) when (e is CapabilityUnsupportedException or NotFoundException or InvalidArgumentException or InternalErrorException)
            {
                if (element.Bounds is null)
                {
                    throw new NotFoundException($"cannot click {element.Role} \"{element.Name}\": the accessibility action failed ({e.Message}) and it has no bounds");
                }
            }
        }

        if (element.Bounds is not { } bounds || bounds.IsEmpty)
        {
            throw new NotFoundException($"cannot click {element.Role} \"{element.Name}\": no accessibility action and no bounds");
        }

        Point at = new(Math.Round(bounds.Center.X), Math.Round(bounds.Center.Y));
        await MouseTool.ClickAsync(context.Computer.Input, at, MouseButton.Left, 1, ct).ConfigureAwait(false);
        Point image = frame?.ToImage(at) ?? at;
        return Frames.Inv($"(via bounds-center at ({image.X:0}, {image.Y:0}) in mouse coordinates, desktop ({at.X:0}, {at.Y:0}))");
    }

    private static async ValueTask<string> FocusElementAsync(PeerContext context, UIElement element, string app, CoordinateFrame? frame, CancellationToken ct)
    {
        CapabilityManifest manifest = await context.GetManifestAsync(ct).ConfigureAwait(false);
        if (manifest.Has(Capability.UiActions))
        {
            try
            {
                await context.Computer.UI.PerformActionAsync(element, UIActions.Focus, app, ct).ConfigureAwait(false);
                return "via a11y";
            }
            catch (OpenDeskException e) when (e is CapabilityUnsupportedException or NotFoundException or InvalidArgumentException or InternalErrorException)
            {
                // fall back to a click
            }
        }

        string how = await ClickElementAsync(context, element, app, frame, ct).ConfigureAwait(false);
        return how.Trim('(', ')');
    }

    private static async ValueTask<string> ClickMenuAsync(PeerContext context, string app, string menu, string item, CoordinateFrame? frame, CancellationToken ct)
    {
        IComputer computer = context.Computer;
        await computer.Apps.FocusAsync(app, ct).ConfigureAwait(false);
        CapabilityManifest manifest = await context.GetManifestAsync(ct).ConfigureAwait(false);
        if (manifest.Has(Capability.UiActions))
        {
            var synthetic = new UIElement("menu item", item, Metadata: new Dictionary<string, object?> { ["menu_path"] = new List<object?> { menu, item } });
            try
            {
                await computer.UI.PerformActionAsync(synthetic, UIActions.Click, app, ct).ConfigureAwait(false);
                return "(via a11y menu path)";
            }
            catch (OpenDeskException e) when (e is CapabilityUnsupportedException or NotFoundException or InvalidArgumentException or InternalErrorException)
            {
                // fall back to clicking the menu, then the item
            }
        }

        UIElement tree = await GetTreeAsync(computer, app, ct).ConfigureAwait(false);
        UIElement menuElement = Find(tree, menu, "menu") ?? throw new NotFoundException($"no menu '{menu}' in '{app}'");
        string first = await ClickElementAsync(context, menuElement, app, frame, ct).ConfigureAwait(false);

        // Wait (bounded, polling the tree) for the item to appear.
        TimeProvider time = TimeProvider.System;
        long start = time.GetTimestamp();
        while (true)
        {
            tree = await GetTreeAsync(computer, app, ct).ConfigureAwait(false);
            UIElement? itemElement = Find(tree, item, "menu item");
            if (itemElement is not null
                && (string.Equals(itemElement.Name.Trim(), item.Trim(), StringComparison.OrdinalIgnoreCase) || time.GetElapsedTime(start) > TimeSpan.FromMilliseconds(500)))
            {
                string second = await ClickElementAsync(context, itemElement, app, frame, ct).ConfigureAwait(false);
                return $"(menu {first}, item {second})";
            }

            if (time.GetElapsedTime(start) > TimeSpan.FromSeconds(2))
            {
                throw new NotFoundException($"menu '{menu}' opened {first} but no item '{item}' appeared within 2 s");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), ct).ConfigureAwait(false);
        }
    }

    private static List<Modifier> ParseModifiers(IReadOnlyList<string> names)
    {
        var list = new List<Modifier>();
        foreach (string raw in names)
        {
            Modifier m = raw.Trim().ToLowerInvariant() switch
            {
                "command" or "cmd" or "meta" or "win" or "windows" or "super" => Modifier.Meta,
                "ctrl" or "control" => Modifier.Ctrl,
                "shift" => Modifier.Shift,
                "alt" or "option" or "opt" => Modifier.Alt,
                "fn" => Modifier.Fn,
                _ => throw new InvalidArgumentException($"invalid argument 'modifiers' for 'ui': unknown modifier '{raw}' (use ctrl, shift, alt, meta, fn)"),
            };
            if (!list.Contains(m))
            {
                list.Add(m);
            }
        }

        return list;
    }

    private static string RenderTree(UIElement root, CoordinateFrame? frame)
    {
        var sb = new StringBuilder();
        sb.Append("Window: ").Append(string.IsNullOrEmpty(root.Name) ? root.Role : root.Name).Append('\n');
        int lines = 1;
        int total = 0;
        bool truncated = false;
        var stack = new Stack<(UIElement Element, int Depth)>();
        for (int i = root.Children.Count - 1; i >= 0; i--)
        {
            stack.Push((root.Children[i], 0));
        }

        while (stack.Count > 0)
        {
            (UIElement e, int depth) = stack.Pop();
            total++;
            if (lines >= MaxTreeLines)
            {
                truncated = true;
                continue;
            }

            sb.Append(' ', depth * 2).Append('[').Append(e.Role).Append("] ").Append(e.Name.ReplaceLineEndings(" "));
            if (!string.IsNullOrEmpty(e.Value) && e.Value != e.Name)
            {
                string v = e.Value.ReplaceLineEndings(" ");
                sb.Append(" = \"").Append(v.Length > 80 ? v[..80] + "…" : v).Append('"');
            }

            if (e.Bounds is { IsEmpty: false } b)
            {
                Point c = frame?.ToImage(b.Center) ?? b.Center;
                sb.Append(Frames.Inv($" @ ({c.X:0}, {c.Y:0})"));
            }

            sb.Append('\n');
            lines++;
            for (int i = e.Children.Count - 1; i >= 0; i--)
            {
                stack.Push((e.Children[i], depth + 1));
            }
        }

        if (root.Children.Count == 0)
        {
            sb.Append("(empty tree: the app exposes no accessibility elements; use screenshot and mouse instead)\n");
        }

        if (truncated)
        {
            sb.Append(Frames.Inv($"… truncated at {MaxTreeLines} lines ({total} elements walked).\n"));
        }

        if (root.Metadata.TryGetValue("partial", out object? partial) && partial is true)
        {
            sb.Append("(tree walk hit its node or time budget: the tree is partial)\n");
        }

        sb.Append("@ (x, y) = element centre in mouse coordinates.");
        return sb.ToString();
    }
}
