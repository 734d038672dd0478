using System.Text;
using OpenDesk.Core;

namespace OpenDesk.Testing.Contract;

/// <summary>
/// The <see cref="IComputer"/> contract. Every implementation (FakeComputer, RemoteComputer over in-memory and WebSocket
/// transports, LocalComputer under Xvfb) runs it by subclassing and implementing <see cref="CreateComputerAsync"/>.
/// Tests of a capability the manifest does not advertise check that the call fails with
/// <see cref="CapabilityUnsupportedException"/> instead.
/// </summary>
public abstract class ComputerContractTests : IAsyncLifetime
{
    private IComputer? _computer;
    private CapabilityManifest? _manifest;

    /// <summary>The computer under test (created once per test).</summary>
    protected IComputer Computer => _computer ?? throw new InvalidOperationException("not initialised");

    /// <summary>Its manifest.</summary>
    protected CapabilityManifest Manifest => _manifest ?? throw new InvalidOperationException("not initialised");

    /// <summary>A token that ends a hung test.</summary>
    protected static CancellationToken Timeout => new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token;

    /// <summary>A writable absolute directory on the computer under test for file tests, created by the test.</summary>
    protected virtual string ScratchDirectory { get; } = "/tmp/opendesk-contract-" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>Creates the computer under test.</summary>
    protected abstract ValueTask<IComputer> CreateComputerAsync();

    /// <inheritdoc />
    public async ValueTask InitializeAsync()
    {
        _computer = await CreateComputerAsync();
        _manifest = await _computer.GetCapabilitiesAsync(Timeout);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_computer is not null)
        {
            await _computer.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }

    [Fact]
    public void Manifest_NamesBackendAndKnownCapabilities()
    {
        Assert.False(string.IsNullOrWhiteSpace(Manifest.Backend));
        Assert.All(Manifest.Capabilities, c => Assert.True(c.IsKnown, $"unknown capability {c}"));
        Assert.Equal(Manifest.Capabilities.Count, Manifest.Capabilities.Distinct().Count());
    }

    [Fact]
    public async Task Environment_ReportsOsAndDisplays()
    {
        EnvironmentInfo env = await Computer.GetEnvironmentAsync(Timeout);
        Assert.False(string.IsNullOrWhiteSpace(env.Os));
        if (Manifest.Has(Capability.DisplayCapture))
        {
            Assert.NotEmpty(env.Displays);
        }
    }

    [Fact]
    public async Task Displays_PrimaryFirst_WithPositiveBounds()
    {
        if (!await RequireAsync(Capability.DisplayCapture, () => Computer.Display.GetDisplaysAsync(Timeout).AsTask()))
        {
            return;
        }

        IReadOnlyList<Display> displays = await Computer.Display.GetDisplaysAsync(Timeout);
        Assert.NotEmpty(displays);
        Assert.True(displays[0].Primary, "the primary display comes first");
        Assert.Single(displays, d => d.Primary);
        Assert.All(displays, d => Assert.False(d.Bounds.IsEmpty));
        Assert.Equal(displays.Count, displays.Select(d => d.Id).Distinct().Count());
    }

    [Fact]
    public async Task Capture_Default_ReturnsPngOfTheDesktopSize()
    {
        if (!await RequireAsync(Capability.DisplayCapture, () => Computer.Display.CaptureAsync(CaptureOptions.Default, Timeout).AsTask()))
        {
            return;
        }

        Pixmap pixmap = await Computer.Display.CaptureAsync(CaptureOptions.Default, Timeout);
        Assert.Equal(PixmapFormat.Png, pixmap.Format);
        Assert.True(TestPng.TryReadSize(pixmap.Data, out int w, out int h), "data is a PNG");
        Assert.Equal((pixmap.Width, pixmap.Height), (w, h));
        Assert.True(pixmap.LogicalWidth > 0 && pixmap.LogicalHeight > 0);
        Assert.True(DateTimeOffset.UtcNow - pixmap.CapturedAt < TimeSpan.FromMinutes(1));
    }

    [Fact]
    public async Task Capture_Region_HasTheRegionsLogicalSize()
    {
        var region = new Rect(10, 20, 64, 48);
        if (!await RequireAsync(Capability.DisplayCapture, () => Computer.Display.CaptureAsync(new CaptureOptions(Region: region), Timeout).AsTask()))
        {
            return;
        }

        Pixmap pixmap = await Computer.Display.CaptureAsync(new CaptureOptions(Region: region), Timeout);
        Assert.Equal((64, 48), (pixmap.LogicalWidth, pixmap.LogicalHeight));
        Assert.True(TestPng.TryReadSize(pixmap.Data, out int w, out int h));
        Assert.Equal((pixmap.Width, pixmap.Height), (w, h));
    }

    [Fact]
    public async Task Pointer_Move_UpdatesCursorPosition()
    {
        var target = new Point(123, 77);
        if (!await RequireAsync(Capability.InputPointer, () => Computer.Input.SendPointerAsync(new PointerEvent(PointerAction.Move, target), Timeout).AsTask()))
        {
            return;
        }

        await Computer.Input.SendPointerAsync(new PointerEvent(PointerAction.Move, target), Timeout);
        Point position = await Computer.Display.GetCursorPositionAsync(Timeout);
        Assert.Equal(target, position);
    }

    [Fact]
    public async Task Clipboard_WriteThenRead_RoundTripsUnicodeText()
    {
        const string text = "OpenDesk ✓ — Grüße 你好";
        if (!await RequireAsync(Capability.ClipboardWrite, () => Computer.Clipboard.WriteAsync(ClipboardContents.FromText(text), Timeout).AsTask()))
        {
            return;
        }

        await Computer.Clipboard.WriteAsync(ClipboardContents.FromText(text), Timeout);
        if (!await RequireAsync(Capability.ClipboardRead, () => Computer.Clipboard.ReadAsync(Timeout).AsTask()))
        {
            return;
        }

        ClipboardContents read = await Computer.Clipboard.ReadAsync(Timeout);
        Assert.Equal(text, read.GetText());
    }

    [Fact]
    public async Task Files_WriteReadStatListMoveDelete_InScratchDirectory()
    {
        string dir = ScratchDirectory;
        if (!await RequireAsync(Capability.FsWrite, () => Computer.Files.CreateDirectoryAsync(dir, true, Timeout).AsTask()))
        {
            return;
        }

        try
        {
            await Computer.Files.CreateDirectoryAsync(dir, true, Timeout);
            byte[] data = Encoding.UTF8.GetBytes("hello from the contract suite\n");
            string a = dir + "/a.txt", b = dir + "/b.txt";
            await Computer.Files.WriteAsync(a, data, Timeout);
            Assert.Equal(data, await Computer.Files.ReadAsync(a, Timeout));

            FileEntry stat = await Computer.Files.StatAsync(a, Timeout);
            Assert.Equal(("a.txt", false, (long)data.Length), (stat.Name, stat.IsDir, stat.Size));

            await Computer.Files.MoveAsync(a, b, Timeout);
            IReadOnlyList<FileEntry> list = await Computer.Files.ListAsync(dir, Timeout);
            Assert.Equal(["b.txt"], list.Select(e => e.Name));

            await Computer.Files.DeleteAsync(b, Timeout);
            await Assert.ThrowsAsync<NotFoundException>(() => Computer.Files.ReadAsync(b, Timeout).AsTask());
        }
        finally
        {
            await Computer.Files.DeleteAsync(dir, Timeout);
        }
    }

    [Fact]
    public async Task Files_ReadMissing_ThrowsNotFound()
    {
        string missing = ScratchDirectory + "/missing.bin";
        if (!await RequireAsync(Capability.FsRead, () => Computer.Files.ReadAsync(missing, Timeout).AsTask()))
        {
            return;
        }

        await Assert.ThrowsAsync<NotFoundException>(() => Computer.Files.ReadAsync(missing, Timeout).AsTask());
    }

    [Fact]
    public async Task Windows_List_HasUniqueIds_AndFocusedIsListed()
    {
        if (!await RequireAsync(Capability.WindowsList, () => Computer.Windows.ListAsync(Timeout).AsTask()))
        {
            return;
        }

        IReadOnlyList<Window> windows = await Computer.Windows.ListAsync(Timeout);
        Assert.Equal(windows.Count, windows.Select(w => w.Id).Distinct().Count());
        Window? focused = await Computer.Windows.GetFocusedAsync(Timeout);
        if (focused is not null)
        {
            Assert.Contains(windows, w => w.Id == focused.Id);
        }
    }

    [Fact]
    public async Task Processes_List_IsNotEmpty()
    {
        if (!await RequireAsync(Capability.ProcessList, () => Computer.Processes.ListAsync(Timeout).AsTask()))
        {
            return;
        }

        IReadOnlyList<ProcessInfo> processes = await Computer.Processes.ListAsync(Timeout);
        Assert.NotEmpty(processes);
        Assert.All(processes, p => Assert.True(p.Pid >= 0));
    }

    [Fact]
    public async Task DisplayStream_DeliversFrames_AndEndsOnCancel()
    {
        if (!await RequireAsync(Capability.DisplayStream, async () =>
        {
            await foreach (DisplayFrame frame in Computer.Display.SubscribeAsync(new DisplayStreamOptions(), Timeout))
            {
                break;
            }
        }))
        {
            return;
        }

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Timeout);
        var frames = new List<DisplayFrame>();
        await foreach (DisplayFrame frame in Computer.Display.SubscribeAsync(new DisplayStreamOptions(Fps: 10), cts.Token).WithCancellation(cts.Token))
        {
            frames.Add(frame);
            if (frames.Count == 2)
            {
                await cts.CancelAsync();
                break;
            }
        }

        Assert.Equal(2, frames.Count);
        Assert.True(frames[1].FrameNumber > frames[0].FrameNumber);
        Assert.All(frames, f => Assert.True(f.Pixmap.Width > 0 && f.Pixmap.Data.Length > 0));
    }

    [Fact]
    public async Task UnadvertisedCapability_ThrowsCapabilityUnsupported()
    {
        (Capability Capability, Func<Task> Call)[] probes =
        [
            (Capability.PowerLock, () => Computer.Power.LockAsync(Timeout).AsTask()),
            (Capability.NotificationsList, () => Computer.Notifications.ListAsync(Timeout).AsTask()),
            (Capability.ProcessShell, () => Computer.Processes.ShellAsync(new ShellCommand("true"), Timeout).AsTask()),
            (Capability.ProcessSpawn, () => Computer.Processes.ExecAsync(new ExecCommand(["true"]), Timeout).AsTask()),
            (Capability.UiTree, () => Computer.UI.GetTreeAsync(new UITreeQuery(), Timeout).AsTask()),
            (Capability.ClipboardRead, () => Computer.Clipboard.ReadAsync(Timeout).AsTask()),
            (Capability.DisplayCapture, () => Computer.Display.CaptureAsync(CaptureOptions.Default, Timeout).AsTask()),
        ];
        var missing = probes.Where(p => !Manifest.Has(p.Capability)).ToList();
        if (missing.Count == 0)
        {
            Assert.Skip("every probed capability is advertised");
        }

        foreach (var (capability, call) in missing)
        {
            var ex = await Assert.ThrowsAsync<CapabilityUnsupportedException>(call);
            Assert.Equal(ErrorCode.CapabilityUnsupported, ex.Code);
        }
    }

    /// <summary>
    /// Returns true when <paramref name="capability"/> is advertised. Otherwise asserts that <paramref name="call"/> fails with
    /// <see cref="CapabilityUnsupportedException"/> and returns false.
    /// </summary>
    protected async Task<bool> RequireAsync(Capability capability, Func<Task> call)
    {
        if (Manifest.Has(capability))
        {
            return true;
        }

        await Assert.ThrowsAsync<CapabilityUnsupportedException>(call);
        return false;
    }
}
