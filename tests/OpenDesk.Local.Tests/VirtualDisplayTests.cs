using OpenDesk.Local.Platforms.Linux;
using OpenDesk.Local.Tests.Desktop;

namespace OpenDesk.Local.Tests;

public sealed class VirtualDisplayTests
{
    [Fact]
    public async Task StartAndDispose_LeavesNoProcesses()
    {
        DesktopFixture.RequireDesktop();
        var vd = VirtualDisplay.Start(new VirtualDisplayOptions { Width = 800, Height = 600 });
        List<int> pids;
        string socket;
        try
        {
            Assert.True(vd.HasWindowManager);
            Assert.True(vd.HasAccessibilityBus);
            Assert.NotNull(vd.DBusSessionAddress);
            socket = "/tmp/.X11-unix/X" + vd.DisplayName.TrimStart(':');
            Assert.True(File.Exists(socket));

            // The desktop works: a LocalComputer on it sees an 800x600 screen and openbox.
            await using (LocalComputer c = LocalComputer.Create(new LocalComputerOptions { DisplayName = vd.DisplayName, EnableOcr = false, EnableAccessibility = false }))
            {
                Assert.Equal(new Core.Rect(0, 0, 800, 600), (await c.Display.GetDisplaysAsync(Wait.Token))[0].Bounds);
                Assert.Equal("Openbox", (await c.GetCapabilitiesAsync(Wait.Token)).GetLimit(Core.Capability.WindowsList, "window_manager"));
            }

            pids = [.. vd.ProcessIds, .. ProcessTree.Descendants(vd.ProcessIds), .. ProcessTree.WithEnvironment("DBUS_SESSION_BUS_ADDRESS", vd.DBusSessionAddress!)];
            Assert.True(pids.Count >= 4, string.Join(",", pids)); // Xvfb, dbus-daemon, at-spi-bus-launcher (+ its bus), openbox
        }
        finally
        {
            vd.Dispose();
        }

        Assert.All(pids.Distinct(), pid => Assert.False(ProcessTree.IsAlive(pid), $"pid {pid} still alive"));
        Assert.False(File.Exists(socket));
    }
}
