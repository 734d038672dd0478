using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
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
    public async Task XvfbDesktop_IsReadyWhenStarted_FollowsTitleChanges_AndTimesOutClearly()
    {
        DesktopFixture.RequireDesktop();
        var desktop = new XvfbDesktop { Width = 640, Height = 480 };
        try
        {
            await desktop.InitializeAsync();

            // Started means: the a11y bus address is on the root window (where libatspi reads it) and the launcher
            // already answers for it on the session bus; the window manager names itself.
            string property = await desktop.RunAsync("xprop", "-root", "AT_SPI_BUS");
            string reply = await desktop.RunAsync("dbus-send", "--session", "--print-reply", "--dest=org.a11y.Bus", "/org/a11y/bus", "org.a11y.Bus.GetAddress");
            string address = Assert.Single(Regex.Matches(reply, "\"(unix:[^\"]+)\"").Select(m => m.Groups[1].Value));
            Assert.Contains("\"" + address + "\"", property, StringComparison.Ordinal);
            Assert.Contains("Openbox", await desktop.RunAsync("wmctrl", "-m"), StringComparison.Ordinal);

            // A window found by a title it gets only after it is listed (a PropertyNotify on the window, not on the root).
            _ = desktop.StartApp("xterm", "-T", "first-title");
            string id = await desktop.WaitForWindowAsync("first-title");
            Task<string> renamed = desktop.WaitForWindowAsync("second-title");
            _ = await desktop.RunAsync("xdotool", "set_window", "--name", "second-title", Convert.ToUInt64(id, 16).ToString(CultureInfo.InvariantCulture));
            Assert.Equal(id, await renamed);

            // A window that never comes: a TimeoutException that names the title and the windows there were.
            TimeoutException e = await Assert.ThrowsAsync<TimeoutException>(() => desktop.WaitForWindowAsync("no-such-window", TimeSpan.FromMilliseconds(200)));
            Assert.Contains("'no-such-window'", e.Message, StringComparison.Ordinal);
            Assert.Contains("'second-title'", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            await desktop.DisposeAsync();
        }
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
