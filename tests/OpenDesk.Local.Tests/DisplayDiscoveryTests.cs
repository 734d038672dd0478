using OpenDesk.Core;
using OpenDesk.Local.Platforms.Linux;
using OpenDesk.Local.Tests.Desktop;

namespace OpenDesk.Local.Tests;

/// <summary>How Create finds a display. Each test restores the process environment of the shared desktop afterwards.</summary>
public sealed class DisplayDiscoveryTests(DesktopFixture desktop)
{
    [Fact]
    public async Task Find_WithoutDisplayVariable_ScansTheXServerSockets()
    {
        DesktopFixture.RequireDesktop();
        try
        {
            Environment.SetEnvironmentVariable("DISPLAY", null);

            // Only the finder: it opens and closes a connection (the first socket that accepts may be another desktop on this machine).
            (X11Connection? x, string source) = DisplayFinder.Find(new LocalComputerOptions());
            using (x)
            {
                Assert.NotNull(x);
                Assert.Equal("socket-scan", source);
                Assert.True(File.Exists("/tmp/.X11-unix/X" + x!.Name.TrimStart(':')));
                Assert.Equal(x.Name, Environment.GetEnvironmentVariable("DISPLAY"));
            }

            await Task.CompletedTask;
        }
        finally
        {
            desktop.Display.ApplyToCurrentProcess();
        }
    }

    [Fact]
    public async Task Create_WithVirtualDisplay_OwnsAndStopsIt()
    {
        DesktopFixture.RequireDesktop();
        List<int> pids;
        try
        {
            LocalComputer c = LocalComputer.Create(new LocalComputerOptions
            {
                UseVirtualDisplay = true,
                VirtualDisplay = new VirtualDisplayOptions { Width = 1024, Height = 768, Accessibility = false },
                EnableOcr = false,
                EnableAccessibility = false,
            });
            await using (c)
            {
                Assert.Equal("virtual", c.DisplaySource);
                Assert.NotNull(c.OwnedVirtualDisplay);
                Assert.Equal(c.OwnedVirtualDisplay!.DisplayName, c.DisplayName);
                Pixmap shot = await c.Display.CaptureAsync(CaptureOptions.Default, Wait.Token);
                Assert.Equal((1024, 768), (shot.Width, shot.Height));
                pids = [.. c.OwnedVirtualDisplay.ProcessIds, .. ProcessTree.Descendants(c.OwnedVirtualDisplay.ProcessIds)];
                Assert.NotEmpty(pids);
            }
        }
        finally
        {
            desktop.Display.ApplyToCurrentProcess();
        }

        Assert.All(pids, pid => Assert.False(ProcessTree.IsAlive(pid), $"pid {pid} still alive"));
    }

    [Fact]
    public async Task Create_WithNoDisplayAtAll_AdvertisesOnlyFilesAndProcesses()
    {
        DesktopFixture.RequireDesktop();
        await using LocalComputer c = LocalComputer.Create(new LocalComputerOptions
        {
            DisplayName = ":9999",
            UseVirtualDisplay = false,
            EnableOcr = false,
        });
        CapabilityManifest m = await c.GetCapabilitiesAsync(Wait.Token);
        Assert.Equal("none", c.DisplaySource);
        Assert.False(m.Has(Capability.DisplayCapture));
        Assert.True(m.Has(Capability.FsRead) && m.Has(Capability.ProcessShell));
        Assert.Contains("xvfb", c.UnavailableReasons["display.capture"], StringComparison.OrdinalIgnoreCase);
        await Assert.ThrowsAsync<CapabilityUnsupportedException>(async () => await c.Display.CaptureAsync(CaptureOptions.Default, Wait.Token));
        await Assert.ThrowsAsync<CapabilityUnsupportedException>(async () => await c.Input.TypeTextAsync(new TextInput("x"), Wait.Token));
        await Assert.ThrowsAsync<CapabilityUnsupportedException>(async () => await c.Clipboard.ReadAsync(Wait.Token));
        Assert.Equal("linux", (await c.GetEnvironmentAsync(Wait.Token)).Os);
    }
}
