using System.Diagnostics;
using OpenDesk.Core;
using OpenDesk.Local.Tests.Desktop;

namespace OpenDesk.Local.Tests;

public sealed class WindowsAndAppsTests(DesktopFixture desktop, ITestOutputHelper output) : DesktopTest(desktop)
{
    [Fact]
    public async Task List_HasRealIdsPidsTitlesAndBounds_AndFocusSwitches()
    {
        (Process a, Window wa) = await Apps.StartWithWindowAsync("xterm", "-T", "win-alpha", "-geometry", "40x10+100+100");
        (Process b, Window wb) = await Apps.StartWithWindowAsync("xterm", "-T", "win-beta", "-geometry", "40x10+700+100");
        IReadOnlyList<Window> list = await Computer.Windows.ListAsync(Wait.Token);
        foreach (Window w in list)
        {
            output.WriteLine(w.ToString());
        }

        Assert.Equal(list.Count, list.Select(w => w.Id).Distinct().Count());
        Window alpha = list.Single(w => w.Id == wa.Id);
        Assert.Equal(("win-alpha", "xterm", a.Id), (alpha.Title, alpha.AppName, alpha.Pid));
        Assert.Equal(b.Id, list.Single(w => w.Id == wb.Id).Pid);
        Assert.True(alpha.Bounds!.Value.Width > 100 && alpha.Bounds.Value.Height > 50);
        Assert.Equal(100, alpha.Bounds.Value.X);
        Assert.Equal(100, alpha.Bounds.Value.Y);

        await Computer.Windows.FocusAsync(wa.Id, Wait.Token);
        await Wait.UntilAsync(async () => (await Computer.Windows.GetFocusedAsync(Wait.Token))?.Id == wa.Id, "alpha focused");
        Assert.True((await Computer.Windows.ListAsync(Wait.Token)).Single(w => w.Id == wa.Id).Focused);
        await Computer.Windows.FocusAsync(wb.Id, Wait.Token);
        await Wait.UntilAsync(async () => (await Computer.Windows.GetFocusedAsync(Wait.Token))?.Id == wb.Id, "beta focused");

        await Assert.ThrowsAsync<NotFoundException>(async () => await Computer.Windows.FocusAsync("12345", Wait.Token));
        await Assert.ThrowsAsync<InvalidArgumentException>(async () => await Computer.Windows.FocusAsync("not-a-window", Wait.Token));
    }

    [Fact]
    public async Task Move_ResizesAndPlacesTheOuterFrame_AndCloseEndsTheApp()
    {
        (Process p, Window w) = await Apps.StartWithWindowAsync("xterm", "-T", "mover", "-geometry", "40x10+50+50");
        var target = new Rect(400, 300, 700, 450);
        await Computer.Windows.MoveAsync(w.Id, target, Wait.Token);
        Window moved = await Wait.ForAsync(async () =>
        {
            Window now = (await Computer.Windows.ListAsync(Wait.Token)).Single(x => x.Id == w.Id);
            Rect r = now.Bounds!.Value;

            // xterm resizes in whole character cells, so the size may be a little smaller.
            return r.X == target.X && r.Y == target.Y && Math.Abs(r.Width - target.Width) < 20 && Math.Abs(r.Height - target.Height) < 25 ? now : null;
        }, "the window at its new place and size");
        output.WriteLine($"{w.Bounds} -> {moved.Bounds}");

        await Computer.Windows.CloseAsync(w.Id, Wait.Token);
        await Wait.UntilAsync(() => p.HasExited, "xterm to exit after the WM close");
        await Wait.UntilAsync(async () => (await Computer.Windows.ListAsync(Wait.Token)).All(x => x.Id != w.Id), "the window to leave the list");
    }

    [Fact]
    public async Task Apps_OpenListFocusClose_xcalc()
    {
        Assert.DoesNotContain("xcalc", await Computer.Apps.ListAsync(Wait.Token));
        await Computer.Apps.OpenAsync("xcalc", Wait.Token);
        int pid = 0;
        try
        {
            await Wait.UntilAsync(async () => (await Computer.Apps.ListAsync(Wait.Token)).Contains("xcalc"), "xcalc in apps.list");
            Window calc = (await Computer.Windows.ListAsync(Wait.Token)).Single(w => w.AppName == "xcalc");
            // Xt apps do not set _NET_WM_PID: the PID comes from the X-Resource extension; it is our child.
            pid = calc.Pid ?? throw new InvalidOperationException("no PID for xcalc (X-Resource)");
            Assert.Equal(Environment.ProcessId, (await Computer.Processes.ListAsync(Wait.Token)).Single(p => p.Pid == pid).Ppid);

            (_, Window other) = await Apps.StartWithWindowAsync("xterm", "-T", "other");
            await Computer.Windows.FocusAsync(other.Id, Wait.Token);
            await Wait.UntilAsync(async () => (await Computer.Windows.GetFocusedAsync(Wait.Token))?.Id == other.Id, "xterm focused");
            await Computer.Apps.FocusAsync("XCalc", Wait.Token); // the WM_CLASS class name, any case
            await Wait.UntilAsync(async () => (await Computer.Windows.GetFocusedAsync(Wait.Token))?.Id == calc.Id, "xcalc focused");

            // Graceful close through the window manager (WM_DELETE_WINDOW), then SIGTERM if it were still there.
            await Computer.Apps.CloseAsync("xcalc", Wait.Token);
            await Wait.UntilAsync(() => !IsAlive(pid), "xcalc to exit");
            // The process may be gone (SIGTERM after the grace) before the window manager has dropped its window.
            await Wait.UntilAsync(async () => !(await Computer.Apps.ListAsync(Wait.Token)).Contains("xcalc"), "xcalc to leave the app list");
            await Assert.ThrowsAsync<NotFoundException>(async () => await Computer.Apps.FocusAsync("xcalc", Wait.Token));
            await Assert.ThrowsAsync<NotFoundException>(async () => await Computer.Apps.OpenAsync("no-such-app-xyz", Wait.Token));
        }
        finally
        {
            if (pid > 0 && IsAlive(pid))
            {
                System.Diagnostics.Process.GetProcessById(pid).Kill();
            }
        }
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            return !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }
}
