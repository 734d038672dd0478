using System.Diagnostics;
using System.Text;
using OpenDesk.Core;
using OpenDesk.Local.Imaging;
using OpenDesk.Local.Platforms.Linux;
using OpenDesk.Local.Tests.Desktop;

namespace OpenDesk.Local.Tests;

public sealed class InputTests(DesktopFixture desktop, ITestOutputHelper output) : DesktopTest(desktop)
{
    [Fact]
    public async Task Pointer_Move_IsSeenByAnIndependentClient()
    {
        await Computer.Input.SendPointerAsync(new PointerEvent(PointerAction.Move, new Point(812, 345)), Wait.Token);
        CompletedCommand r = await Computer.Processes.ExecAsync(new ExecCommand(["xdotool", "getmouselocation", "--shell"], Environment: DisplayEnv()), Wait.Token);
        string text = Encoding.UTF8.GetString(r.Stdout);
        Assert.Contains("X=812", text, StringComparison.Ordinal);
        Assert.Contains("Y=345", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TypeText_IntoXterm_RunsACommandThatWritesAFile()
    {
        (Process shell, Window w) = await StartShellAsync("type-term");
        string file = Path.Combine(TempDir, "typed.txt");
        await Computer.Input.TypeTextAsync(new TextInput($"echo Typed_by-XTest 123 > {file}\n", 0), Wait.Token);
        await Wait.UntilAsync(() => Alive(shell) && File.Exists(file) && File.ReadAllText(file) == "Typed_by-XTest 123\n", "the typed command to write the file");
        Assert.NotNull(w);
    }

    [Fact]
    public async Task TypeText_UnicodeNotOnTheKeymap_ArrivesIntact_AndKeymapIsRestored()
    {
        (Process shell, _) = await StartShellAsync("unicode-term");

        // An earlier test's Unicode typing (e.g. into a GTK entry) may still have temporary bindings that its idle timer has
        // not removed yet: remove them first, so "before" is the keymap without any.
        ((LinuxInput)Computer.Input).X11.RestoreKeymap();
        string before = await KeymapAsync();
        string file = Path.Combine(TempDir, "unicode.txt");
        const string text = "Grüße ✓ Ωmega €5 日本";
        await Computer.Input.TypeTextAsync(new TextInput($"printf '%s' '{text}' > {file}\n", 0), Wait.Token);
        try
        {
            await Wait.UntilAsync(() => Alive(shell) && File.Exists(file) && File.ReadAllText(file, Encoding.UTF8) == text, "the Unicode text in the file");
        }
        catch (TimeoutException)
        {
            Pixmap shot = await Computer.Display.CaptureAsync(CaptureOptions.Default, Wait.Token);
            await File.WriteAllBytesAsync("/tmp/od-unicode-fail.png", shot.Data);
            output.WriteLine(Apps.AllOutput());
            throw;
        }

        // Temporary keysym bindings are removed once typing has been idle for a moment.
        await Wait.UntilAsync(async () => await KeymapAsync() == before, "the keymap to be restored");
    }

    [Fact]
    public async Task TypeText_MoreDistinctCharactersNotOnTheKeymapThanSpareKeycodes_ArriveIntact()
    {
        // 26 distinct characters need more spare keycodes than one batch binds (16): the keycodes are rebound mid-text.
        (Process shell, _) = await StartShellAsync("many-unicode-term");
        string file = Path.Combine(TempDir, "many.txt");
        const string text = "ΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩάέ";
        var sw = Stopwatch.StartNew();
        await Computer.Input.TypeTextAsync(new TextInput($"printf '%s' '{text}' > {file}\n", 0), Wait.Token);
        output.WriteLine($"typed in {sw.ElapsedMilliseconds} ms");
        await Wait.UntilAsync(() => Alive(shell) && File.Exists(file) && File.ReadAllText(file, Encoding.UTF8) == text, "the Unicode text in the file");
    }

    [Fact]
    public async Task Keys_ChordsAndNamedKeys_AreDelivered()
    {
        (Process shell, _) = await StartShellAsync("chord-term");
        string file = Path.Combine(TempDir, "chord.txt");

        // Type the command without its first letter, jump to the line start with ctrl+a, add the letter, then press enter.
        await Computer.Input.TypeTextAsync(new TextInput($"cho chord-ok > {file}", 0), Wait.Token);
        await PressAsync("ctrl+a");
        await Computer.Input.TypeTextAsync(new TextInput("e", 0), Wait.Token);
        await PressAsync("end");
        await Computer.Input.TypeTextAsync(new TextInput("XX", 0), Wait.Token);
        await PressAsync("backspace");
        await PressAsync("BackSpace");
        await PressAsync("enter");
        try
        {
            await Wait.UntilAsync(() => Alive(shell) && File.Exists(file) && File.ReadAllText(file) == "chord-ok\n", "the chord-edited command to run");
        }
        catch (Exception e) when (e is TimeoutException or ShellEndedException)
        {
            Pixmap shot = await Computer.Display.CaptureAsync(CaptureOptions.Default, Wait.Token);
            await File.WriteAllBytesAsync("/tmp/od-chord-fail.png", shot.Data);
            output.WriteLine(Apps.AllOutput());
            output.WriteLine("pressed keycodes: " + await ShellOutAsync("python3 -c \"import ctypes;x=ctypes.cdll.LoadLibrary('libX11.so.6');x.XOpenDisplay.restype=ctypes.c_void_p;d=x.XOpenDisplay(None);b=(ctypes.c_char*32)();x.XQueryKeymap(ctypes.c_void_p(d),b);print([i*8+j for i in range(32) for j in range(8) if b.raw[i]>>j&1])\""));
            output.WriteLine("modifiers: " + await ShellOutAsync("xmodmap -pm"));
            throw;
        }

        await Assert.ThrowsAsync<InvalidArgumentException>(async () =>
            await Computer.Input.SendKeyAsync(new KeyEvent(KeyAction.Down, "no_such_key"), Wait.Token));
    }

    [Fact]
    public async Task Scroll_WheelOverXterm_ScrollsItsHistory()
    {
        (_, Window w) = await StartShellAsync("scroll-term");
        string ready = ReadyMarker("scroll-term");
        File.Delete(ready);
        await Computer.Input.TypeTextAsync(new TextInput("seq 1 300\n", 0), Wait.Token);
        await Wait.UntilAsync(() => File.Exists(ready), "seq to finish and bash to print its prompt");

        // bash prints the prompt right after the marker, and xterm draws it a moment later: the view is final once it has
        // not changed for 300 ms (a view taken before the prompt would never come back after scrolling).
        Rect b = w.Bounds!.Value;
        SettleResult bottom = await ScreenSettle.WaitAsync(
            _ => ValueTask.FromResult(Desktop.Computer.GetFingerprint(b)), null, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(100), stableSamples: 4, Wait.Token);
        Assert.True(bottom.Stable, $"the terminal kept changing for {bottom.Elapsed}");
        ScreenFingerprint before = bottom.Last;
        await Computer.Input.SendPointerAsync(new PointerEvent(PointerAction.Scroll, b.Center, Dy: -5), Wait.Token);
        await Wait.UntilAsync(() => !Desktop.Computer.GetFingerprint(b).Equals(before), "the wheel to scroll the history");
        await Computer.Input.SendPointerAsync(new PointerEvent(PointerAction.Scroll, b.Center, Dy: 5), Wait.Token);
        await Wait.UntilAsync(() => Desktop.Computer.GetFingerprint(b).Equals(before), "scrolling back to restore the view");
    }

    [Fact]
    public async Task Drag_MovesAWindowByItsTitleBar()
    {
        (_, Window w) = await Apps.StartWithWindowAsync("xterm", "-geometry", "30x5+500+500", "-T", "drag-term");
        await Computer.Windows.FocusAsync(w.Id, Wait.Token);
        w = await Wait.ForAsync(async () => await Computer.Windows.GetFocusedAsync(Wait.Token) is { } f && f.Id == w.Id ? f : null, "drag-term focus");
        await Desktop.Computer.WaitForSettleAsync(null, TimeSpan.FromSeconds(3));
        Rect b = (await Computer.Windows.ListAsync(Wait.Token)).Single(x => x.Id == w.Id).Bounds!.Value;
        output.WriteLine($"before drag: {b}");
        Window client = w;

        // Openbox draws the title bar inside the frame, above the client area: a few pixels below the frame top.
        var grab = new Point(b.X + (b.Width / 2), b.Y + 8);
        await Computer.Input.SendPointerAsync(new PointerEvent(PointerAction.Move, grab), Wait.Token);
        await Computer.Input.SendPointerAsync(new PointerEvent(PointerAction.Down, grab, MouseButton.Left), Wait.Token);

        // Paced like a hand: the window manager follows the pointer as the screen settles after each step.
        for (int i = 1; i <= 10; i++)
        {
            await Computer.Input.SendPointerAsync(new PointerEvent(PointerAction.Move, new Point(grab.X - (10 * i), grab.Y - (20 * i))), Wait.Token);
            await Desktop.Computer.WaitForSettleAsync(null, TimeSpan.FromSeconds(1));
        }

        await Computer.Input.SendPointerAsync(new PointerEvent(PointerAction.Up, new Point(grab.X - 100, grab.Y - 200), MouseButton.Left), Wait.Token);
        Window moved = await Wait.ForAsync(async () =>
        {
            Window now = (await Computer.Windows.ListAsync(Wait.Token)).Single(x => x.Id == client.Id);
            return Math.Abs(now.Bounds!.Value.X - (b.X - 100)) <= 1 && Math.Abs(now.Bounds!.Value.Y - (b.Y - 200)) <= 1 ? now : null;
        }, "the dragged window to move by (-100, -200)", TimeSpan.FromSeconds(5));
        output.WriteLine($"{b} -> {moved.Bounds}");
    }

    private async Task PressAsync(string key)
    {
        await Computer.Input.SendKeyAsync(new KeyEvent(KeyAction.Down, key), Wait.Token);
        await Computer.Input.SendKeyAsync(new KeyEvent(KeyAction.Up, key), Wait.Token);
    }

    /// <summary>
    /// True while the xterm runs; throws when it has exited, so a test fails at once with the reason rather than after
    /// a timeout. The xterm exits (code 0) only when its shell ends: a stray ctrl+d, a process outside the test killing
    /// it, or bash crashing. That last one was seen: an xterm that came up 1x1 characters because the window manager's
    /// late unmanage of a killed xterm's window (same window ID) landed on it (<see cref="TestApps"/> now waits for that),
    /// and whose bash (readline at one column) then died of SIGFPE on ctrl+a.
    /// </summary>
    private static bool Alive(Process shell)
        => !shell.HasExited ? true : throw new ShellEndedException($"The xterm exited (code {shell.ExitCode}) before the command ran: its shell ended.");

    private async Task<(Process Shell, Window Window)> StartShellAsync(string title)
    {
        // A clean bash that has printed its prompt before we type (PROMPT_COMMAND writes the marker just before readline reads).
        string ready = ReadyMarker(title);
        (Process p, Window w) = await Apps.StartWithWindowAsync("xterm", "-u8", "-geometry", "80x20+200+150", "-T", title,
            "-e", "env", "LANG=C.UTF-8", $"PROMPT_COMMAND=touch {ready}", "bash", "--norc", "--noprofile", "-i");
        await Wait.UntilAsync(() => Alive(p) && File.Exists(ready), "the shell to start");
        await Computer.Windows.FocusAsync(w.Id, Wait.Token);
        await Wait.UntilAsync(async () => Alive(p) && (await Computer.Windows.GetFocusedAsync(Wait.Token))?.Id == w.Id, $"{title} to have the focus");
        return (p, w);
    }

    /// <summary>The file the shell of <see cref="StartShellAsync"/> touches each time it is about to print its prompt.</summary>
    private string ReadyMarker(string title) => Path.Combine(TempDir, $"{title}.ready");

    private async Task<string> KeymapAsync()
    {
        CompletedCommand r = await Computer.Processes.ExecAsync(new ExecCommand(["xmodmap", "-pke"], Environment: DisplayEnv()), Wait.Token);
        Assert.Equal(0, r.ReturnCode);
        return Encoding.UTF8.GetString(r.Stdout);
    }

    private async Task<string> ShellOutAsync(string command)
    {
        CompletedCommand r = await Computer.Processes.ShellAsync(new ShellCommand(command, Environment: DisplayEnv()), Wait.Token);
        return Encoding.UTF8.GetString(r.Stdout) + Encoding.UTF8.GetString(r.Stderr);
    }
}

/// <summary>The xterm a test types into has exited.</summary>
public sealed class ShellEndedException(string message) : Exception(message);
