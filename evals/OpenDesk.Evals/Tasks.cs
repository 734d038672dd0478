using OpenDesk.Serve.Demo;

namespace OpenDesk.Evals;

/// <summary>The task catalogue.</summary>
internal static class TaskCatalog
{
    /// <summary>Every task, in run order (grouped by layout).</summary>
    public static IReadOnlyList<EvalTask> All { get; } =
    [
        new XtermEchoToFile(), new XtermReadToken(), new ZenityEntry(),
        new QuestionTask("zenity-question-no", DesktopLayout.Hd, "eval-question", "Delete all files?", "No",
            "answer No to `Delete all files?` by clicking the No mark"),
        new ZenityList(), new ZenityEntryByAccessibility(), new MousepadTypeSave(), new MousepadCopy(), new XcalcMultiply(),
        new ClickWordToFocus("click-to-focus", DesktopLayout.Hd, "two terminals; click the text ALPHA (OCR) to activate the back one",
            new Terminal("eval-alpha", "ALPHA WINDOW", "50x8+40+500"), new Terminal("eval-beta", "BETA WINDOW", "50x8+900+200")),
        new AppOpen(), new AppClose(), new AppFocus(),
        new QuestionTask("qhd-question-yes", DesktopLayout.Qhd, "eval-qhd", "Proceed on the big screen?", "Yes",
            "2560x1440 desktop (image downscaled): click the Yes mark of a question"),
        new ClickWordToFocus("qhd-corner-click", DesktopLayout.Qhd, "2560x1440: click the word CORNER of a terminal at the bottom right to activate it",
            new Terminal("eval-corner", "CORNER WINDOW", "40x6-20-20"), new Terminal("eval-middle", "MIDDLE WINDOW", "60x10+900+500")),
        new QuestionTask("dual-right-display", DesktopLayout.Dual, "eval-right", "Right monitor?", "Yes",
            "two monitors: screenshot display RIGHT, click the dialog's Yes mark there")
        {
            After = QuestionTask.MoveToRightMonitorAsync, Display = "RIGHT",
        },
        new QuestionTask("dual-full-desktop", DesktopLayout.Dual, "eval-left", "Left monitor?", "No",
            "two monitors: screenshot the whole desktop, click the No mark of a dialog")
        {
            Before = c => Apps.XtermAsync(c, "eval-right-term", "right monitor terminal", "60x10+2400+100"),
        },
    ];

    /// <summary>The short subset CI runs.</summary>
    public static IReadOnlyList<string> CiSubset { get; } = ["xterm-echo-file", "zenity-entry", "mousepad-type-save"];
}

/// <summary>Shared set-up pieces.</summary>
internal static class Apps
{
    public const string Font = "DejaVu Sans Mono";

    /// <summary>An xterm with a title and a first line, running an interactive bash in the task folder.</summary>
    public static async Task<ChildProcess> XtermAsync(EvalContext c, string title, string firstLine, string geometry = "90x16+40+40")
    {
        ChildProcess p = c.StartApp("xterm", "-T", title, "-geometry", geometry, "-fa", Font, "-fs", "14",
            "-e", "sh", "-c", $"cd '{c.WorkDirectory}'; echo '{firstLine}'; export PS1='$ '; exec bash --norc --noprofile");
        _ = await c.Desktop.WaitForWindowAsync("^" + title + "$");
        return p;
    }

    /// <summary>A zenity dialog; returns its process (stdout = the answer).</summary>
    public static async Task<ChildProcess> ZenityAsync(EvalContext c, string title, params string[] args)
    {
        ChildProcess p = c.StartApp("zenity", ["--title", title, .. args]);
        _ = await c.Desktop.WaitForWindowAsync("^" + title + "$");
        return p;
    }

    /// <summary>Mousepad on a file of the task folder.</summary>
    public static async Task<string> MousepadAsync(EvalContext c, string fileName, string content)
    {
        string path = Path.Combine(c.WorkDirectory, fileName);
        await File.WriteAllTextAsync(path, content);
        _ = c.StartApp("mousepad", path);
        _ = await c.Desktop.WaitForWindowAsync(fileName);
        return path;
    }

    /// <summary>The largest text area among the marks (the editor's document).</summary>
    public static async Task<ScreenMark> TextAreaAsync(EvalContext c)
    {
        DateTime until = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        string last = "";
        do
        {
            (ToolCall call, IReadOnlyList<ScreenMark> marks) = await c.ScreenshotAsync();
            ScreenMark? area = marks.Where(m => m.Role.Contains("text", StringComparison.OrdinalIgnoreCase) || m.Role == "entry")
                .OrderByDescending(m => m.Width * m.Height).FirstOrDefault();
            if (area is not null)
            {
                return area;
            }

            last = call.Text;
        }
        while (await c.LookAgainAsync(until));
        throw new AgentGaveUpException($"no text area among the marks: {last.ReplaceLineEndings(" ")}");
    }

    /// <summary>An entry dialog asking for the words (its process in <c>State["dialog"]</c>).</summary>
    public static async Task EntryDialogAsync(EvalContext c, string title)
        => c.State["dialog"] = await ZenityAsync(c, title, "--entry", "--text", "Type the words");

    /// <summary>Null when the dialog (<c>State["dialog"]</c>) printed <paramref name="expected"/> and exited 0, else the reason (+ <paramref name="note"/>).</summary>
    public static async Task<string?> ExpectAnswerAsync(EvalContext c, string expected, string note = "")
    {
        var p = (ChildProcess)c.State["dialog"];
        int? exit = await Checks.ExitCodeAsync(p);

        // Its stdout line that is not a GTK message.
        string answer = p.Lines.LastOrDefault(l => !l.Contains("Gtk-", StringComparison.Ordinal) && !l.Contains("dbind-", StringComparison.Ordinal)
            && !l.StartsWith('(') && l.Trim().Length > 0)?.Trim() ?? "";
        return exit is null ? "the dialog is still open" + note
            : exit != 0 || answer != expected ? $"zenity printed \"{answer}\" (exit {exit}), expected \"{expected}\"{note}" : null;
    }
}

/// <summary>Focus a terminal by clicking its text, run a command that writes a file.</summary>
internal sealed class XtermEchoToFile : EvalTask
{
    public override string Name => "xterm-echo-file";

    public override string Goal => "click into the terminal (found by OCR), type `echo <words> > out.txt`, press Enter";

    public override string CheckedBy => "out.txt contents";

    public override Task SetupAsync(EvalContext c) => Apps.XtermAsync(c, "eval-term", "READY FOR INPUT");

    public override async Task ActAsync(EvalContext c)
    {
        _ = await c.ClickWordAsync("READY");
        _ = await c.TypeAsync($"echo {c.Token} > out.txt");
        _ = await c.PressAsync("enter");
    }

    public override Task<string?> CheckAsync(EvalContext c) => Checks.FileEqualsAsync(Path.Combine(c.WorkDirectory, "out.txt"), c.Token);
}

/// <summary>Read words off a terminal with OCR and put them on the clipboard.</summary>
internal sealed class XtermReadToken : EvalTask
{
    public override string Name => "xterm-read-token";

    public override string Goal => "read the two words after `secret:` in a terminal with OCR and write them to the clipboard";

    public override string CheckedBy => "xclip -o -selection clipboard";

    public override Task SetupAsync(EvalContext c) => Apps.XtermAsync(c, "eval-secret", $"The secret: {c.Token}");

    public override async Task ActAsync(EvalContext c)
    {
        OcrWord label = await c.FindWordAsync("secret:");
        IReadOnlyList<OcrWord> words = await c.OcrWordsAsync();
        string[] next = [.. words.Where(w => Math.Abs(w.Y - label.Y) <= label.Height / 2 + 2 && w.X > label.X)
            .OrderBy(w => w.X).Take(2).Select(w => w.Text)];
        if (next.Length < 2)
        {
            throw new AgentGaveUpException("OCR shows no two words after 'secret:'");
        }

        _ = await c.CallAsync("clipboard", ("action", "write"), ("text", c.Mangle(string.Join(' ', next))));
    }

    public override async Task<string?> CheckAsync(EvalContext c)
    {
        string clip = (await Checks.ClipboardAsync(c.Desktop)).Trim();
        return clip == c.Token ? null : $"clipboard holds \"{clip}\", expected \"{c.Token}\"";
    }
}

/// <summary>Fill a GTK entry dialog with the mouse and keyboard.</summary>
internal sealed class ZenityEntry : EvalTask
{
    public override string Name => "zenity-entry";

    public override string Goal => "click the entry field (Set-of-Marks), type the words, click the OK mark";

    public override string CheckedBy => "zenity's stdout and exit code";

    public override Task SetupAsync(EvalContext c) => Apps.EntryDialogAsync(c, "eval-entry");

    public override async Task ActAsync(EvalContext c)
    {
        _ = await c.ClickMarkAsync("", "text");
        _ = await c.TypeAsync(c.Token);
        _ = await c.ClickMarkAsync("OK", "button");
    }

    public override Task<string?> CheckAsync(EvalContext c) => Apps.ExpectAnswerAsync(c, c.Token);
}

/// <summary>Pick a row of a GTK list by its text.</summary>
internal sealed class ZenityList : EvalTask
{
    private static readonly string[] s_fruit = ["apple", "banana", "cherry", "damson", "elderberry"];

    public override string Name => "zenity-list";

    public override string Goal => "select the row of a given fruit (found by OCR) and click OK";

    public override string CheckedBy => "zenity's stdout";

    public override async Task SetupAsync(EvalContext c)
    {
        c.State["want"] = s_fruit[Random.Shared.Next(1, s_fruit.Length)];
        c.State["dialog"] = await Apps.ZenityAsync(c, "eval-list", ["--list", "--text", "Pick one", "--column", "Fruit", "--height", "320", .. s_fruit]);
    }

    public override async Task ActAsync(EvalContext c)
    {
        _ = await c.ClickWordAsync((string)c.State["want"]);
        _ = await c.ClickMarkAsync("OK", "button");
    }

    public override Task<string?> CheckAsync(EvalContext c) => Apps.ExpectAnswerAsync(c, (string)c.State["want"]);
}

/// <summary>Fill a GTK entry through the accessibility tree only (ui tool).</summary>
internal sealed class ZenityEntryByAccessibility : EvalTask
{
    public override string Name => "zenity-entry-a11y";

    public override string Goal => "type into the entry and press OK with the `ui` tool (AT-SPI, no coordinates)";

    public override string CheckedBy => "AT-SPI text (pyatspi) before OK, then zenity's stdout";

    public override Task SetupAsync(EvalContext c) => Apps.EntryDialogAsync(c, "eval-a11y");

    public override async Task ActAsync(EvalContext c)
    {
        _ = await c.CallAsync("ui", ("action", "type"), ("app", "zenity"), ("role", "text"), ("text", c.Mangle(c.Token)));
        c.State["atspi"] = await Checks.AtspiTextAsync(c.Desktop, "zenity") ?? "(pyatspi not installed)";
        _ = await c.CallAsync("ui", ("action", "click"), ("app", "zenity"), ("title", "OK"), ("role", "push button"));
    }

    public override Task<string?> CheckAsync(EvalContext c)
        => Apps.ExpectAnswerAsync(c, c.Token, $"; AT-SPI text was \"{(c.State.TryGetValue("atspi", out object? a) ? (string)a : "")}\"");
}

/// <summary>Type into a text editor and save.</summary>
internal sealed class MousepadTypeSave : EvalTask
{
    public override string Name => "mousepad-type-save";

    public override string Goal => "click the editor's text area (marks), type the words, save with ctrl+s";

    public override string CheckedBy => "the saved file's contents";

    public override async Task SetupAsync(EvalContext c) => c.State["file"] = await Apps.MousepadAsync(c, "note.txt", "");

    public override async Task ActAsync(EvalContext c)
    {
        ScreenMark area = await Apps.TextAreaAsync(c);
        _ = await c.ClickAsync(area.X, area.Y);
        _ = await c.TypeAsync(c.Token);
        _ = await c.HotkeyAsync("ctrl", "s");
    }

    public override Task<string?> CheckAsync(EvalContext c) => Checks.FileEqualsAsync((string)c.State["file"], c.Token);
}

/// <summary>Copy an editor's text to the clipboard with keyboard shortcuts and read it back.</summary>
internal sealed class MousepadCopy : EvalTask
{
    public override string Name => "mousepad-copy";

    public override string Goal => "click the text area, ctrl+a, ctrl+c, read the clipboard back through MCP";

    public override string CheckedBy => "xclip -o -selection clipboard";

    public override async Task SetupAsync(EvalContext c) => _ = await Apps.MousepadAsync(c, "copy.txt", $"copy {c.Token}");

    public override async Task ActAsync(EvalContext c)
    {
        ScreenMark area = await Apps.TextAreaAsync(c);
        _ = await c.ClickAsync(area.X, area.Y);
        _ = await c.HotkeyAsync("ctrl", "a");
        _ = await c.HotkeyAsync("ctrl", "c");
        ToolCall read = await c.CallAsync("clipboard", ("action", "read"));
        c.State["agent-read"] = read.Text;
    }

    public override async Task<string?> CheckAsync(EvalContext c)
    {
        string clip = (await Checks.ClipboardAsync(c.Desktop)).Trim();
        string want = $"copy {c.Token}";
        string agent = c.State.TryGetValue("agent-read", out object? a) ? ((string)a).Trim() : "";
        return clip != want ? $"clipboard holds \"{clip}\", expected \"{want}\""
            : !agent.Contains(want, StringComparison.Ordinal) ? $"xclip is right but the agent read \"{agent}\"" : null;
    }
}

/// <summary>Use a calculator through its keyboard after focusing it with a click on its display.</summary>
internal sealed class XcalcMultiply : EvalTask
{
    public override string Name => "xcalc-multiply";

    public override string Goal => "focus xcalc with the app tool (an Xt app: no accessibility, labels too small for OCR), type 12*34=";

    public override string CheckedBy => "xwd + tesseract on the xcalc window";

    public override async Task SetupAsync(EvalContext c)
    {
        _ = c.StartApp("xcalc");
        c.State["window"] = await c.Desktop.WaitForWindowAsync("^Calculator$");
    }

    public override async Task ActAsync(EvalContext c)
    {
        _ = await c.CallAsync("app", ("action", "focus"), ("name", "xcalc"));
        _ = await c.TypeAsync("12*34=");
    }

    public override async Task<string?> CheckAsync(EvalContext c)
    {
        string text = "";
        bool ok = await Desktop.Until(async () =>
        {
            text = await Checks.OcrWindowAsync(c.Desktop, (string)c.State["window"], c.WorkDirectory);
            return text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Contains("408");
        }, TimeSpan.FromSeconds(3));
        return ok ? null : $"xcalc does not show 408 (tesseract read: {text.ReplaceLineEndings(" ").Trim()})";
    }
}

/// <summary>Open an app by name.</summary>
internal sealed class AppOpen : EvalTask
{
    public override string Name => "app-open";

    public override string Goal => "open xcalc with the app tool and see its display (OCR word DEG)";

    public override string CheckedBy => "wmctrl -l lists a Calculator window";

    public override Task SetupAsync(EvalContext c) => Task.CompletedTask;

    public override async Task ActAsync(EvalContext c)
    {
        _ = await c.CallAsync("app", ("action", "open"), ("name", c.Break ? "xcalk" : "xcalc"));
        _ = await c.FindWordAsync("DEG");
    }

    public override async Task<string?> CheckAsync(EvalContext c)
    {
        IReadOnlyList<string> titles = [];
        bool ok = await Desktop.Until(async () => (titles = await Checks.WindowTitlesAsync(c.Desktop)).Contains("Calculator"), TimeSpan.FromSeconds(3));
        return ok ? null : $"no Calculator window (windows: {string.Join(", ", titles)})";
    }
}

/// <summary>Close an app by name.</summary>
internal sealed class AppClose : EvalTask
{
    public override string Name => "app-close";

    public override string Goal => "close the running xcalc with the app tool";

    public override string CheckedBy => "wmctrl -l and the xcalc process";

    public override async Task SetupAsync(EvalContext c)
    {
        c.State["xcalc"] = c.StartApp("xcalc");
        _ = await c.Desktop.WaitForWindowAsync("^Calculator$");
    }

    public override async Task ActAsync(EvalContext c)
        => _ = await c.CallAsync("app", ("action", "close"), ("name", c.Break ? "xclock" : "xcalc"));

    public override async Task<string?> CheckAsync(EvalContext c)
    {
        int? exit = await Checks.ExitCodeAsync((ChildProcess)c.State["xcalc"], TimeSpan.FromSeconds(3));
        IReadOnlyList<string> titles = await Checks.WindowTitlesAsync(c.Desktop);
        return exit is null ? "xcalc is still running" : titles.Contains("Calculator") ? "a Calculator window is still listed" : null;
    }
}

/// <summary>Focus an app by name.</summary>
internal sealed class AppFocus : EvalTask
{
    public override string Name => "app-focus";

    public override string Goal => "bring the editor (behind a terminal) to the front with the app tool";

    public override string CheckedBy => "xdotool getactivewindow getwindowname";

    public override async Task SetupAsync(EvalContext c)
    {
        _ = await Apps.MousepadAsync(c, "focus.txt", "focus me");
        _ = await Apps.XtermAsync(c, "eval-front", "I am in front", "80x20+60+60");
    }

    public override async Task ActAsync(EvalContext c)
        => _ = await c.CallAsync("app", ("action", "focus"), ("name", c.Break ? "xterm" : "mousepad"));

    public override Task<string?> CheckAsync(EvalContext c)
        => Checks.ActiveWindowAsync(c.Desktop, t => t.Contains("Mousepad", StringComparison.Ordinal), "the Mousepad window");
}

/// <summary>A terminal a task sets up: title, first line, geometry.</summary>
internal sealed record Terminal(string Title, string FirstLine, string Geometry);

/// <summary>Bring a terminal to the front by clicking the first word of its text (found by OCR).</summary>
internal sealed class ClickWordToFocus(string name, DesktopLayout layout, string goal, Terminal target, Terminal front) : EvalTask
{
    public override string Name => name;

    public override string Goal => goal;

    public override string CheckedBy => "xdotool getactivewindow getwindowname";

    public override DesktopLayout Layout => layout;

    public override async Task SetupAsync(EvalContext c)
    {
        _ = await Apps.XtermAsync(c, target.Title, target.FirstLine, target.Geometry);
        _ = await Apps.XtermAsync(c, front.Title, front.FirstLine, front.Geometry);
    }

    public override async Task ActAsync(EvalContext c) => _ = await c.ClickWordAsync(target.FirstLine.Split(' ')[0]);

    public override Task<string?> CheckAsync(EvalContext c) => Checks.ActiveWindowAsync(c.Desktop, t => t == target.Title, target.Title);
}

/// <summary>Answer a zenity question by clicking its Yes or No mark (Set-of-Marks of this run); checked by zenity's exit code.</summary>
internal sealed class QuestionTask(string name, DesktopLayout layout, string title, string text, string answer, string goal) : EvalTask
{
    private int Expected => answer == "Yes" ? 0 : 1;

    public override string Name => name;

    public override string Goal => goal;

    public override string CheckedBy => $"zenity exit code {Expected}";

    public override DesktopLayout Layout => layout;

    /// <summary>Windows set up before the dialog (the dialog ends up in front).</summary>
    public Func<EvalContext, Task>? Before { get; init; }

    /// <summary>Runs once the dialog shows (e.g. moves it to another monitor).</summary>
    public Func<EvalContext, string, Task>? After { get; init; }

    /// <summary>The display the agent takes its screenshot of (null: the whole desktop).</summary>
    public string? Display { get; init; }

    public override async Task SetupAsync(EvalContext c)
    {
        if (Before is not null)
        {
            await Before(c);
        }

        c.State["dialog"] = await Apps.ZenityAsync(c, title, "--question", "--text", text);
        if (After is not null)
        {
            await After(c, title);
        }
    }

    public override async Task ActAsync(EvalContext c) => _ = await c.ClickMarkAsync(answer, "button", Display);

    public override async Task<string?> CheckAsync(EvalContext c)
    {
        int? exit = await Checks.ExitCodeAsync((ChildProcess)c.State["dialog"]);
        return exit == Expected ? null : exit is null ? "the dialog is still open" : $"zenity exited {exit}, expected {Expected} ({answer})";
    }

    /// <summary>Moves a window onto the right monitor of the two-monitor layout and waits until the window manager did.</summary>
    public static async Task MoveToRightMonitorAsync(EvalContext c, string title)
    {
        (int code, _, string err) = await c.Desktop.RunAsync("wmctrl", ["-r", title, "-e", "0,2700,400,-1,-1"]);
        if (code != 0)
        {
            throw new InvalidOperationException("wmctrl could not move the dialog: " + err);
        }

        if (!await Desktop.Until(async () =>
        {
            (_, string geo, _) = await c.Desktop.RunAsync("sh", ["-c", $"xdotool search --name '^{title}$' getwindowgeometry"]);
            string pos = geo.Split('\n').FirstOrDefault(l => l.Contains("Position", StringComparison.Ordinal)) ?? "";
            return pos.Contains("Position: 2", StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(10)))
        {
            throw new InvalidOperationException("the dialog did not move to the right monitor");
        }
    }
}
