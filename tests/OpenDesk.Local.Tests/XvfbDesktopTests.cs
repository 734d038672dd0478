using System.Diagnostics;
using OpenDesk.Local.Platforms.Linux;
using OpenDesk.Local.Tests.Desktop;
using OpenDesk.Testing.Desktop;

namespace OpenDesk.Local.Tests;

/// <summary>The OpenDesk.Testing desktop fixture (for tests that cannot reference OpenDesk.Local) works and cleans up.</summary>
public sealed class XvfbDesktopTests
{
    [Fact]
    public async Task XvfbDesktop_StartsAppsAndWindows_AndLeavesNoProcesses()
    {
        DesktopFixture.RequireDesktop();
        Assert.Null(XvfbDesktop.SkipReason);
        var desktop = new XvfbDesktop { Width = 1024, Height = 768 };
        List<int> pids;
        try
        {
            await desktop.InitializeAsync();
            Process xterm = desktop.StartApp("xterm", "-T", "fixture-term");
            string id = await desktop.WaitForWindowAsync("fixture-term");
            Assert.StartsWith("0x", id, StringComparison.Ordinal);

            await using LocalComputer c = LocalComputer.Create(new LocalComputerOptions { DisplayName = desktop.DisplayName, EnableOcr = false, EnableAccessibility = false });
            Core.Window w = (await c.Windows.ListAsync(Wait.Token)).Single(x => x.Title == "fixture-term");
            Assert.Equal(xterm.Id, w.Pid);
            Assert.Equal(Convert.ToUInt64(id, 16).ToString(System.Globalization.CultureInfo.InvariantCulture), w.Id);
            pids = [xterm.Id, .. ProcessTree.WithEnvironment("DISPLAY", desktop.DisplayName)];
        }
        finally
        {
            await desktop.DisposeAsync();
        }

        Assert.All(pids, pid => Assert.False(ProcessTree.IsAlive(pid), $"pid {pid} still alive"));
    }

    [Fact]
    public async Task XvfbDesktops_StartedTogether_GetTheirOwnDisplays()
    {
        DesktopFixture.RequireDesktop();
        XvfbDesktop[] desktops = [.. Enumerable.Range(0, 4).Select(_ => new XvfbDesktop { Width = 640, Height = 480 })];
        try
        {
            await Task.WhenAll(desktops.Select(d => d.InitializeAsync().AsTask()));
            Assert.Equal(desktops.Length, desktops.Select(d => d.DisplayName).Distinct().Count());
            Assert.All(desktops, d => Assert.StartsWith(":", d.DisplayName, StringComparison.Ordinal));
        }
        finally
        {
            foreach (XvfbDesktop d in desktops)
            {
                await d.DisposeAsync();
            }
        }
    }
}
