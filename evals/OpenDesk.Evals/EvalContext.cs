using OpenDesk.Serve.Demo;

namespace OpenDesk.Evals;

/// <summary>The scripted agent could not go on (it did not see what it needed); the task fails without a claim.</summary>
internal sealed class AgentGaveUpException(string message) : Exception(message);

/// <summary>
/// What one task run sees: the desktop (for set-up and independent checks), the MCP session (for the agent), the
/// target (<c>local</c> or the peer's name) and a scratch folder. The agent helpers only use MCP results.
/// </summary>
internal sealed class EvalContext
{
    private static readonly TimeSpan s_lookAgainPause = TimeSpan.FromMilliseconds(250);
    private readonly List<ChildProcess> _apps = [];

    /// <summary>The desktop the target computer shows.</summary>
    public required Desktop Desktop { get; init; }

    /// <summary>The scripted agent's MCP session.</summary>
    internal required McpDriver Mcp { get; init; }

    /// <summary><c>local</c> or the peer's name; passed as <c>peer</c> on every computer tool call.</summary>
    public required string Target { get; init; }

    /// <summary>Scratch folder of this task run.</summary>
    public required string WorkDirectory { get; init; }

    /// <summary>The deliberately broken agent: clicks land off target and typed text has a typo.</summary>
    public bool Break { get; init; }

    /// <summary>Cancels the run.</summary>
    public CancellationToken CancellationToken { get; init; }

    /// <summary>The agent's tool calls in this task.</summary>
    internal List<ToolCall> Calls { get; } = [];

    /// <summary>Values set-up hands to the check.</summary>
    public Dictionary<string, object> State { get; } = new(StringComparer.Ordinal);

    /// <summary>A random word pair for this run, so no check can pass on a stale screen or file.</summary>
    public string Token { get; } = MakeToken();

    /// <summary>Processes set-up started (stopped after the task).</summary>
    internal IReadOnlyList<ChildProcess> Apps => _apps;

    /// <summary>Starts an app on the desktop for the task (stopped by PID afterwards).</summary>
    internal ChildProcess StartApp(string file, params string[] args)
    {
        ChildProcess p = Desktop.StartApp(file, file, args);
        _apps.Add(p);
        return p;
    }

    /// <summary>Calls a tool on the target.</summary>
    internal async Task<ToolCall> CallAsync(string tool, params (string Key, object? Value)[] args)
    {
        var d = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (tool is not "opendesk_status" and not "opendesk_peers")
        {
            d["peer"] = Target;
        }

        foreach ((string k, object? v) in args)
        {
            d[k] = v;
        }

        ToolCall call = await Mcp.CallAsync(tool, d, CancellationToken);
        Calls.Add(call);
        return call;
    }

    /// <summary>A screenshot with Set-of-Marks; returns the call and its marks.</summary>
    internal async Task<(ToolCall Call, IReadOnlyList<ScreenMark> Marks)> ScreenshotAsync(bool marks = true, string? display = null)
    {
        var args = new List<(string, object?)> { ("marks", marks) };
        if (display is not null)
        {
            args.Add(("display", display));
        }

        ToolCall call = await CallAsync("screenshot", [.. args]);
        return (call, ScreenReading.Marks(call.Text));
    }

    /// <summary>Looks (screenshot with marks, again while it is not there) until a mark matches.</summary>
    internal async Task<ScreenMark> FindMarkAsync(string label, string? role = null, string? display = null, TimeSpan? timeout = null)
    {
        DateTime until = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        string last = "";
        do
        {
            (ToolCall call, IReadOnlyList<ScreenMark> marks) = await ScreenshotAsync(true, display);
            if (ScreenReading.FindMark(marks, label, role) is { } m)
            {
                return m;
            }

            last = call.Text;
        }
        while (await LookAgainAsync(until));
        throw new AgentGaveUpException($"no mark '{label}'{(role is null ? "" : $" ({role})")} on the screen: {Head(last)}");
    }

    /// <summary>Reads the screen with OCR (again while it is not there) until a word matches.</summary>
    internal async Task<OcrWord> FindWordAsync(string text, Func<OcrWord, bool>? where = null, TimeSpan? timeout = null)
    {
        DateTime until = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        string last = "";
        do
        {
            ToolCall ocr = await CallAsync("ocr");
            if (!ocr.IsError && ScreenReading.FindWord(ScreenReading.Words(ocr.Text), text, where) is { } w)
            {
                return w;
            }

            last = ocr.Text;
        }
        while (await LookAgainAsync(until));
        throw new AgentGaveUpException($"OCR does not see '{text}': {Head(ScreenReading.OcrText(last))}");
    }

    /// <summary>Finds a mark (<see cref="FindMarkAsync"/>) and clicks its centre.</summary>
    internal async Task<ScreenMark> ClickMarkAsync(string label, string? role = null, string? display = null)
    {
        ScreenMark mark = await FindMarkAsync(label, role, display);
        _ = await ClickAsync(mark.X, mark.Y);
        return mark;
    }

    /// <summary>Finds a word with OCR (<see cref="FindWordAsync"/>) and clicks its centre.</summary>
    internal async Task<OcrWord> ClickWordAsync(string text)
    {
        OcrWord word = await FindWordAsync(text);
        _ = await ClickAsync(word.X, word.Y);
        return word;
    }

    /// <summary>
    /// Before the agent looks again for something it did not see: false past <paramref name="until"/>, else true after a
    /// pause (a model takes a moment between looks; without it a script polls dozens of screenshots a second and the
    /// step counts say nothing).
    /// </summary>
    internal async Task<bool> LookAgainAsync(DateTime until)
    {
        if (DateTime.UtcNow >= until)
        {
            return false;
        }

        await Task.Delay(s_lookAgainPause, CancellationToken);
        return true;
    }

    /// <summary>All OCR words now.</summary>
    internal async Task<IReadOnlyList<OcrWord>> OcrWordsAsync()
    {
        ToolCall ocr = await CallAsync("ocr");
        return ScreenReading.Words(ocr.Text);
    }

    /// <summary>Clicks at a point of the last screenshot (the broken agent misses by a quarter of the screen).</summary>
    internal Task<ToolCall> ClickAsync(int x, int y, string action = "click")
        => Break ? CallAsync("mouse", ("action", action), ("x", x + 300), ("y", y + 200)) : CallAsync("mouse", ("action", action), ("x", x), ("y", y));

    /// <summary>Types text (the broken agent drops the second-to-last character).</summary>
    internal Task<ToolCall> TypeAsync(string text) => CallAsync("keyboard", ("action", "type"), ("text", Mangle(text)));

    /// <summary>Text as the agent writes it: the broken agent drops the second-to-last character.</summary>
    internal string Mangle(string text) => Break && text.Length > 2 ? text[..^2] + text[^1] : text;

    /// <summary>Presses one key.</summary>
    internal Task<ToolCall> PressAsync(string key) => CallAsync("keyboard", ("action", "press"), ("key", key));

    /// <summary>Presses a chord.</summary>
    internal Task<ToolCall> HotkeyAsync(params string[] keys) => CallAsync("keyboard", ("action", "hotkey"), ("keys", keys));

    private static string Head(string s)
    {
        string one = s.ReplaceLineEndings(" ");
        return one.Length <= 300 ? one : one[..300] + "…";
    }

    private static readonly string[] s_words =
    [
        "amber", "falcon", "harbor", "violet", "copper", "meadow", "lantern", "orchid", "granite", "willow",
        "cobalt", "summit", "thistle", "saffron", "juniper", "marble", "beacon", "walnut", "tundra", "canyon",
    ];

    private static string MakeToken()
    {
        int a = Random.Shared.Next(s_words.Length);
        int b = (a + 1 + Random.Shared.Next(s_words.Length - 1)) % s_words.Length;
        return s_words[a] + " " + s_words[b];
    }
}

/// <summary>One scripted task: set-up, a fixed action script against what the model sees, an independent check.</summary>
internal abstract class EvalTask
{
    /// <summary>Short id.</summary>
    public abstract string Name { get; }

    /// <summary>One line: what the agent must achieve.</summary>
    public abstract string Goal { get; }

    /// <summary>How the check is done (independently of OpenDesk).</summary>
    public abstract string CheckedBy { get; }

    /// <summary>The desktop layout it runs on.</summary>
    public virtual DesktopLayout Layout => DesktopLayout.Hd;

    /// <summary>Starts the apps and waits until they show (with desktop tools, not OpenDesk).</summary>
    public abstract Task SetupAsync(EvalContext c);

    /// <summary>The agent's fixed script: MCP calls only, coordinates from this run's screenshots, marks and OCR.</summary>
    public abstract Task ActAsync(EvalContext c);

    /// <summary>Checks the final state independently; null when it holds, else the reason.</summary>
    public abstract Task<string?> CheckAsync(EvalContext c);
}
