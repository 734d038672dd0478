using System.Globalization;
using OpenDesk.Core;
using OpenDesk.Local.Platforms.Linux;
using OpenDesk.Local.Tests.Desktop;

namespace OpenDesk.Local.Tests;

/// <summary>The test fixture's app cleanup, which the other desktop tests rely on.</summary>
public sealed class TestAppsTests(DesktopFixture desktop) : DesktopTest(desktop)
{
    [Fact]
    public async Task Dispose_ReturnsOnlyOnceTheWindowManagerHasLetGoOfTheWindows_EvenWhenItIsBusy()
    {
        var apps = new TestApps(Desktop);
        (_, Window w) = await apps.StartWithWindowAsync("xterm", "-geometry", "20x4+60+60", "-T", "unmanage-term", "-e", "sleep", "600");
        nuint id = nuint.Parse(w.Id, CultureInfo.InvariantCulture);
        Assert.Contains(id, await apps.ClientListAsync());

        // Keep openbox busy: it re-grabs its key bindings on every keymap change, and typing characters that are not on the
        // keymap binds each to a spare keycode, then restoring unbinds them (the xterm's sleep reads nothing of it).
        await Computer.Input.TypeTextAsync(new TextInput("✓Ω€日本ßü→★", 0), Wait.Token);
        ((LinuxInput)Computer.Input).X11.RestoreKeymap();
        await apps.DisposeAsync();

        // A new client may get the same window ID at once: openbox must be done with the old window by now.
        Assert.DoesNotContain(id, await Apps.ClientListAsync());
    }
}
