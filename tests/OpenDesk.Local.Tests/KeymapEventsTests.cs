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
        using var counter = new MappingNotifyCounter(Desktop.Display.DisplayName, ((LinuxInput)Computer.Input).X11);
        const string text = "αβγδεζηθικλμ"; // 12 distinct characters not on the keymap (at most 16 spare keycodes are used)
        var sw = Stopwatch.StartNew();
        await Computer.Input.TypeTextAsync(new TextInput(text, 0), Wait.Token);
        long typeMs = sw.ElapsedMilliseconds;
        int bindNotifies = counter.Take();
        counter.Input.RestoreKeymap();
        int restoreNotifies = counter.Take();
        output.WriteLine($"{text.Length} characters: typed in {typeMs} ms, {bindNotifies} MappingNotify to bind, {restoreNotifies} to restore");

        // Xlib turns each keymap change into a few MappingNotify (one per XKB map notification, 4-5 on Xvfb); binding the
        // characters one keycode at a time gave 49 and 48 here.
        Assert.InRange(bindNotifies, 1, 8);
        Assert.InRange(restoreNotifies, 1, 8);
    }

    [Fact]
    public async Task TypingMoreCharactersThanSpareKeycodes_RecyclesThemInTheChangeThatBindsTheNextOnes()
    {
        using var counter = new MappingNotifyCounter(Desktop.Display.DisplayName, ((LinuxInput)Computer.Input).X11);

        // 26 distinct characters, more than the 16 spare keycodes: bound in two changes, the second recycling the keycodes
        // of the first. A separate unbind before the second bind would make three changes.
        const string text = "абвгдеёжзийклмнопрстуфхцчш";
        await Computer.Input.TypeTextAsync(new TextInput(text, 0), Wait.Token);
        int typingNotifies = counter.Take();
        counter.Input.RestoreKeymap();
        int oneChange = counter.Take();
        output.WriteLine($"{text.Length} characters: {typingNotifies} MappingNotify while typing, {oneChange} for one change (the restore)");
        Assert.InRange(oneChange, 1, 8);
        Assert.True(typingNotifies < (oneChange * 2) + (oneChange / 2), $"{typingNotifies} MappingNotify while typing is more than two keymap changes ({oneChange} each)");
    }

    /// <summary>
    /// An independent X client counting the MappingNotify the server sends, for typing through the shared
    /// <see cref="X11Input"/>: its earlier bindings are removed first, and its idle restore is off until dispose (a test
    /// thread stalled past it would see the restore counted with the binding, or no restore left to count).
    /// </summary>
    private sealed class MappingNotifyCounter : IDisposable
    {
        private readonly X11Connection _listener;
        private readonly TimeSpan _restoreAfterIdle;

        public MappingNotifyCounter(string display, X11Input input)
        {
            _listener = X11Connection.TryOpen(display) ?? throw new InvalidOperationException("no X connection");
            lock (_listener.Gate)
            {
                _ = Interop.Xlib.XKeysymToKeycode(_listener.Handle, 'a'); // Xlib asks for keymap notifications once it has a keymap
            }

            Input = input;
            input.RestoreKeymap(); // an earlier test's bindings
            _restoreAfterIdle = input.RestoreAfterIdle;
            input.RestoreAfterIdle = Timeout.InfiniteTimeSpan;
            _ = Take();
        }

        public X11Input Input { get; }

        /// <summary>The MappingNotify events the server has sent since the last call (discarded).</summary>
        public int Take()
        {
            lock (_listener.Gate)
            {
                _ = _listener.SyncAndCheck();
                return _listener.DrainEventsCountingMappingNotify();
            }
        }

        public void Dispose()
        {
            Input.RestoreAfterIdle = _restoreAfterIdle;
            _listener.Dispose();
        }
    }
}
