using System.Diagnostics;
using OpenDesk.Core;
using OpenDesk.Local.Platforms.Linux;
using OpenDesk.Local.Tests.Desktop;

namespace OpenDesk.Local.Tests;

/// <summary>The input connection selects no events, yet every keymap change sends it some: they must not pile up.</summary>
public sealed class KeymapEventsTests(DesktopFixture desktop, ITestOutputHelper output) : DesktopTest(desktop)
{
    [Fact]
    public async Task TemporaryKeysymBindings_LeaveNoEventsQueued()
    {
        using X11Connection x = X11Connection.TryOpen(Desktop.Display.DisplayName) ?? throw new InvalidOperationException("no X connection");
        using var input = new X11Input(x) { RestoreAfterIdle = Timeout.InfiniteTimeSpan }; // only the explicit restores below

        // Nothing has the focus after the previous tests' apps are gone; the characters are not on the keymap, so each
        // is bound to a spare keycode (MappingNotify to every client, this one included) and unbound afterwards.
        for (int round = 0; round < 3; round++)
        {
            await input.TypeAsync(new TextInput("ŋжŧ", 0), Wait.Token); // characters no other test types (their bindings may linger)
            Assert.True(input.HasTemporaryBindings);
            input.RestoreKeymap();
            Assert.False(input.HasTemporaryBindings);
        }

        lock (x.Gate)
        {
            _ = x.SyncAndCheck();
            Assert.Equal(0, x.QueuedEvents);
        }
    }

    [Fact]
    public async Task TypingManyCharactersNotOnTheKeymap_ChangesTheKeymapOnceToBindAndOnceToRestore()
    {
        // Every keymap change sends every X client a MappingNotify (the window manager reloads its key bindings for each):
        // an independent client counts them for one typing call of characters that all need a temporary binding.
        using X11Connection listener = X11Connection.TryOpen(Desktop.Display.DisplayName) ?? throw new InvalidOperationException("no X connection");
        lock (listener.Gate)
        {
            _ = Interop.Xlib.XKeysymToKeycode(listener.Handle, 'a'); // Xlib asks for keymap notifications once it has a keymap
        }

        X11Input input = ((LinuxInput)Computer.Input).X11;
        input.RestoreKeymap(); // an earlier test's bindings
        using var explicitOnly = new RestoreOnlyExplicitly(input);
        _ = CountMappingNotify(listener);

        const string text = "αβγδεζηθικλμ"; // 12 distinct characters not on the keymap (at most 16 spare keycodes are used)
        var sw = Stopwatch.StartNew();
        await Computer.Input.TypeTextAsync(new TextInput(text, 0), Wait.Token);
        long typeMs = sw.ElapsedMilliseconds;
        int bindNotifies = CountMappingNotify(listener);
        input.RestoreKeymap();
        int restoreNotifies = CountMappingNotify(listener);
        output.WriteLine($"{text.Length} characters: typed in {typeMs} ms, {bindNotifies} MappingNotify to bind, {restoreNotifies} to restore");

        // Xlib turns each keymap change into a few MappingNotify (one per XKB map notification, 4-5 on Xvfb); binding the
        // characters one keycode at a time gave 49 and 48 here.
        Assert.InRange(bindNotifies, 1, 8);
        Assert.InRange(restoreNotifies, 1, 8);
    }

    [Fact]
    public async Task TypingMoreCharactersThanSpareKeycodes_RecyclesThemInTheChangeThatBindsTheNextOnes()
    {
        using X11Connection listener = X11Connection.TryOpen(Desktop.Display.DisplayName) ?? throw new InvalidOperationException("no X connection");
        lock (listener.Gate)
        {
            _ = Interop.Xlib.XKeysymToKeycode(listener.Handle, 'a');
        }

        X11Input input = ((LinuxInput)Computer.Input).X11;
        input.RestoreKeymap();
        using var explicitOnly = new RestoreOnlyExplicitly(input);
        _ = CountMappingNotify(listener);

        // 26 distinct characters, more than the 16 spare keycodes: bound in two changes, the second recycling the keycodes
        // of the first. A separate unbind before the second bind would make three changes.
        const string text = "абвгдеёжзийклмнопрстуфхцчш";
        await Computer.Input.TypeTextAsync(new TextInput(text, 0), Wait.Token);
        int typingNotifies = CountMappingNotify(listener);
        input.RestoreKeymap();
        int oneChange = CountMappingNotify(listener);
        output.WriteLine($"{text.Length} characters: {typingNotifies} MappingNotify while typing, {oneChange} for one change (the restore)");
        Assert.InRange(oneChange, 1, 8);
        Assert.True(typingNotifies < (oneChange * 2) + (oneChange / 2), $"{typingNotifies} MappingNotify while typing is more than two keymap changes ({oneChange} each)");
    }

    /// <summary>
    /// Turns the idle restore off for one test: a test thread stalled past it would see the restore counted with the
    /// binding (or no restore left to count).
    /// </summary>
    private sealed class RestoreOnlyExplicitly : IDisposable
    {
        private readonly X11Input _input;
        private readonly TimeSpan _was;

        public RestoreOnlyExplicitly(X11Input input)
        {
            _input = input;
            _was = input.RestoreAfterIdle;
            input.RestoreAfterIdle = Timeout.InfiniteTimeSpan;
        }

        public void Dispose() => _input.RestoreAfterIdle = _was;
    }

    /// <summary>The MappingNotify events the server has sent <paramref name="x"/> so far (discarded).</summary>
    private static int CountMappingNotify(X11Connection x)
    {
        lock (x.Gate)
        {
            _ = x.SyncAndCheck();
            return x.DrainEventsCountingMappingNotify();
        }
    }
}
