using OpenDesk.Core;
using OpenDesk.Local.Platforms.Linux;
using OpenDesk.Local.Tests.Desktop;

namespace OpenDesk.Local.Tests;

/// <summary>The input connection selects no events, yet every keymap change sends it some: they must not pile up.</summary>
public sealed class KeymapEventsTests(DesktopFixture desktop) : DesktopTest(desktop)
{
    [Fact]
    public async Task TemporaryKeysymBindings_LeaveNoEventsQueued()
    {
        using X11Connection x = X11Connection.TryOpen(Desktop.Display.DisplayName) ?? throw new InvalidOperationException("no X connection");
        using var input = new X11Input(x);

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
}
