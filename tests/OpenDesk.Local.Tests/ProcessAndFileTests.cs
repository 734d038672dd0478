using System.Text;
using OpenDesk.Core;
using OpenDesk.Local.Tests.Desktop;

namespace OpenDesk.Local.Tests;

public sealed class ProcessAndFileTests(DesktopFixture desktop) : DesktopTest(desktop)
{
    [Fact]
    public async Task Shell_UsesCwdEnvAndReturnsCodeAndOutput()
    {
        CompletedCommand r = await Computer.Processes.ShellAsync(
            new ShellCommand("pwd; echo \"$OD_X\"; echo err >&2; exit 3", WorkingDirectory: TempDir, Environment: new Dictionary<string, string> { ["OD_X"] = "ünïcode" }), Wait.Token);
        Assert.Equal(3, r.ReturnCode);
        Assert.Equal($"{TempDir}\nünïcode\n", Encoding.UTF8.GetString(r.Stdout));
        Assert.Equal("err\n", Encoding.UTF8.GetString(r.Stderr));
    }

    [Fact]
    public async Task Exec_PassesStdin_AndCapsOutput()
    {
        CompletedCommand r = await Computer.Processes.ExecAsync(new ExecCommand(["cat"], Stdin: "piped ✓"u8.ToArray()), Wait.Token);
        Assert.Equal("piped ✓", Encoding.UTF8.GetString(r.Stdout));

        await using LocalComputer capped = LocalComputer.Create(new LocalComputerOptions { DisplayName = Desktop.Display.DisplayName, MaxCommandOutputBytes = 1000, EnableOcr = false, EnableAccessibility = false });
        CompletedCommand big = await capped.Processes.ExecAsync(new ExecCommand(["head", "-c", "100000", "/dev/zero"]), Wait.Token);
        Assert.Equal(0, big.ReturnCode);
        Assert.Equal(1000, big.Stdout.Length);
    }

    [Fact]
    public async Task Shell_Timeout_KillsTheTreeAndThrows()
    {
        string marker = Path.Combine(TempDir, "late");
        var sw = System.Diagnostics.Stopwatch.StartNew();
        await Assert.ThrowsAsync<OperationTimedOutException>(async () =>
            await Computer.Processes.ShellAsync(new ShellCommand($"sleep 5; touch {marker}", Timeout: TimeSpan.FromMilliseconds(300)), Wait.Token));
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(4));
        Assert.DoesNotContain((await Computer.Processes.ListAsync(Wait.Token)), p => p.Cmdline.Contains($"sleep 5; touch {marker}"));

        using var cts = new CancellationTokenSource(200);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await Computer.Processes.ExecAsync(new ExecCommand(["sleep", "5"]), cts.Token));
        await Assert.ThrowsAsync<NotFoundException>(async () => await Computer.Processes.ExecAsync(new ExecCommand(["/no/such/program"]), Wait.Token));
    }

    [Fact]
    public async Task ProcessList_ComesFromProc_WithNamesParentsAndCmdlines()
    {
        IReadOnlyList<ProcessInfo> list = await Computer.Processes.ListAsync(Wait.Token);
        ProcessInfo self = list.Single(p => p.Pid == Environment.ProcessId);
        Assert.Equal(Environment.ProcessId, self.Pid);
        Assert.NotEmpty(self.Cmdline);
        Assert.True(self.Ppid > 0);
        Assert.Contains(list, p => p.Name == "Xvfb");
    }

    [Fact]
    public async Task Files_WriteReadListStatMoveMkdirDelete()
    {
        IComputerFiles fs = Computer.Files;
        string sub = Path.Combine(TempDir, "a", "b");
        await fs.CreateDirectoryAsync(sub, parents: true, Wait.Token);
        await Assert.ThrowsAsync<NotFoundException>(async () => await fs.CreateDirectoryAsync(Path.Combine(TempDir, "x", "y"), parents: false, Wait.Token));
        string file = Path.Combine(sub, "f.txt");
        await fs.WriteAsync(file, "hello ✓"u8.ToArray(), Wait.Token);
        Assert.Equal("hello ✓", Encoding.UTF8.GetString(await fs.ReadAsync(file, Wait.Token)));
        FileEntry stat = await fs.StatAsync(file, Wait.Token);
        Assert.Equal(("f.txt", false, 9L), (stat.Name, stat.IsDir, stat.Size));
        Assert.NotNull(stat.Mode);
        Assert.Single(await fs.ListAsync(sub, Wait.Token));
        string moved = Path.Combine(TempDir, "g.txt");
        await fs.MoveAsync(file, moved, Wait.Token);
        Assert.Empty(await fs.ListAsync(sub, Wait.Token));
        Assert.True((await fs.StatAsync(Path.Combine(TempDir, "a"), Wait.Token)).IsDir);
        await fs.DeleteAsync(Path.Combine(TempDir, "a"), Wait.Token);
        await Assert.ThrowsAsync<NotFoundException>(async () => await fs.StatAsync(sub, Wait.Token));
        await Assert.ThrowsAsync<NotFoundException>(async () => await fs.ReadAsync(file, Wait.Token));
        await Assert.ThrowsAsync<InvalidArgumentException>(async () => await fs.ListAsync(moved, Wait.Token));
    }

    [Fact]
    public async Task Unadvertised_PowerAndNotifications_ThrowCapabilityUnsupported()
    {
        CapabilityManifest m = await Computer.GetCapabilitiesAsync(Wait.Token);
        Assert.False(m.Has(Capability.PowerLock));
        await Assert.ThrowsAsync<CapabilityUnsupportedException>(async () => await Computer.Power.LockAsync(Wait.Token));
        await Assert.ThrowsAsync<CapabilityUnsupportedException>(async () => await Computer.Notifications.ListAsync(Wait.Token));
        await Assert.ThrowsAsync<CapabilityUnsupportedException>(async () =>
        {
            await foreach (InputEvent _ in Computer.Input.SubscribeAsync(Wait.Token))
            {
            }
        });
        Assert.Contains("power.lock", Desktop.Computer.UnavailableReasons.Keys);
    }
}
