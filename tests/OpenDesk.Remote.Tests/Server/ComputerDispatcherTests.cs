using OpenDesk.Core;
using OpenDesk.Remote.Protocol;
using OpenDesk.Remote.Server;
using OpenDesk.Remote.Tests.Trust;
using OpenDesk.Testing;

namespace OpenDesk.Remote.Tests.Server;

public sealed class ComputerDispatcherTests
{
    private static readonly CallerContext s_caller = new("sess0001", "laptop", Enumerable.Repeat((byte)7, 32).ToArray());

    private static Dictionary<string, object?> P(params (string Key, object? Value)[] items) => items.ToDictionary(i => i.Key, i => i.Value);

    private static ComputerDispatcher Create(FakeComputer computer, ICallPolicy? policy = null, AuditLog? audit = null)
        => new(computer, policy ?? AllowAllPolicy.Instance, audit ?? AuditLog.Disabled, s_caller);

    [Fact]
    public async Task Capture_ReturnsPixmapMap_WithPngBytes()
    {
        var fake = new FakeComputer();
        object? result = await Create(fake).InvokeAsync("display.capture", P(), TestContext.Current.CancellationToken);
        var map = Assert.IsType<Dictionary<string, object?>>(result);
        Assert.Equal("png", map["format"]);
        Assert.Equal(["data", "format", "width", "height", "logical_width", "logical_height", "display_id", "captured_at"], map.Keys);
        Pixmap back = ValueCodec.ReadPixmap(map);
        Assert.Equal(0x89, back.Data[0]);
    }

    [Fact]
    public async Task Pointer_DecodesEvent_AndReachesComputer()
    {
        var fake = new FakeComputer();
        var e = P(("action", "down"), ("point", P(("x", 812L), ("y", 410.5))), ("button", "left"), ("modifiers", new List<object?> { "shift" }), ("timestamp", 1700000000.0));
        Assert.Null(await Create(fake).InvokeAsync("input.pointer", P(("event", e)), TestContext.Current.CancellationToken));
        PointerEvent sent = Assert.IsType<PointerEvent>(Assert.Single(fake.InputEvents));
        Assert.Equal(new Point(812, 410.5), sent.Point);
        Assert.Equal(MouseButton.Left, sent.Button);
        Assert.Equal([Modifier.Shift], sent.Modifiers);
    }

    [Theory]
    [InlineData("input.pointer")]
    [InlineData("input.key")]
    [InlineData("input.text")]
    [InlineData("fs.read")]
    [InlineData("windows.move")]
    [InlineData("clipboard.write")]
    public async Task MissingParams_AreInvalidArgument(string method)
    {
        await Assert.ThrowsAsync<InvalidArgumentException>(() => Create(new FakeComputer()).InvokeAsync(method, P(), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task WrongTypes_AreInvalidArgument()
    {
        ComputerDispatcher d = Create(new FakeComputer());
        CancellationToken ct = TestContext.Current.CancellationToken;
        await Assert.ThrowsAsync<InvalidArgumentException>(() => d.InvokeAsync("fs.read", P(("path", 42L)), ct));
        await Assert.ThrowsAsync<InvalidArgumentException>(() => d.InvokeAsync("fs.write", P(("path", "/a"), ("data", "not bytes")), ct));
        await Assert.ThrowsAsync<InvalidArgumentException>(() => d.InvokeAsync("input.pointer", P(("event", P(("action", "wiggle"), ("point", P(("x", 1L), ("y", 1L)))))), ct));
        await Assert.ThrowsAsync<InvalidArgumentException>(() => d.InvokeAsync("ui.tree", P(("max_depth", "deep")), ct));
    }

    [Fact]
    public async Task UnknownMethod_IsCapabilityUnsupported_NamingTheMethod()
    {
        var ex = await Assert.ThrowsAsync<CapabilityUnsupportedException>(() => Create(new FakeComputer()).InvokeAsync("display.teleport", P(), TestContext.Current.CancellationToken));
        Assert.Equal("display.teleport", ex.Details["capability"]);
        var streamEx = await Assert.ThrowsAsync<CapabilityUnsupportedException>(async () =>
        {
            await foreach (object? unused in Create(new FakeComputer()).StreamAsync("audio.subscribe", P(), TestContext.Current.CancellationToken))
            {
            }
        });
        Assert.Equal("audio.subscribe", streamEx.Details["capability"]);
    }

    [Fact]
    public async Task CapabilityMissingFromManifest_IsCapabilityUnsupported_BeforeTheComputerIsCalled()
    {
        var fake = new FakeComputer(FakeComputer.SupportedCapabilities.Where(c => c != Capability.InputText));
        var ex = await Assert.ThrowsAsync<CapabilityUnsupportedException>(() => Create(fake).InvokeAsync("input.text", P(("text_input", P(("text", "hi")))), TestContext.Current.CancellationToken));
        Assert.Equal("input.text", ex.Details["capability"]);
        Assert.DoesNotContain(fake.Calls, c => c.StartsWith("input.text", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Policy_DeniesActions_AndDenialIsAudited()
    {
        using var temp = new TempHome();
        using var audit = new AuditLog(temp.Home);
        using var policy = new ConsolePolicy(new StringReader(""), new StringWriter(), interactive: false);
        ComputerDispatcher d = Create(new FakeComputer(), policy, audit);
        await Assert.ThrowsAsync<PermissionDeniedException>(() => d.InvokeAsync("power.lock", P(), TestContext.Current.CancellationToken));
        Assert.NotNull(await d.InvokeAsync("display.displays", P(), TestContext.Current.CancellationToken));
        string[] lines = File.ReadAllLines(Directory.GetFiles(temp.Home.AuditDirectory).Single());
        Assert.Contains("\"error_code\":\"permission_denied\"", lines[0], StringComparison.Ordinal);
        Assert.Contains("\"outcome\":\"ok\"", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task DisplaySubscribe_StreamsFrames_UntilCancelled()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        int count = 0;
        try
        {
            await foreach (object? frame in Create(new FakeComputer()).StreamAsync("display.subscribe", P(("fps", 30L)), cts.Token))
            {
                Assert.IsType<Pixmap>(ValueCodec.ReadDisplayFrame(frame).Pixmap);
                if (++count == 3)
                {
                    await cts.CancelAsync();
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Either ending quietly or throwing is fine after a cancel.
        }

        Assert.Equal(3, count);
    }

    [Fact]
    public async Task AllUnaryMethods_AreDispatched()
    {
        var fake = new FakeComputer();
        ComputerDispatcher d = Create(fake);
        CancellationToken ct = TestContext.Current.CancellationToken;
        var manifest = ValueCodec.ReadCapabilityManifest(await d.InvokeAsync("system.capabilities", P(), ct));
        Assert.Equal("fake", manifest.Backend);
        Assert.Equal("linux", ValueCodec.ReadEnvironment(await d.InvokeAsync("system.environment", P(), ct)).Os);
        Assert.Single(ValueCodec.ReadItems(await d.InvokeAsync("display.displays", P(), ct), (v, p) => ValueCodec.ReadDisplay(v, p)));
        ValueCodec.ReadPoint(await d.InvokeAsync("display.cursor_position", P(), ct));
        await d.InvokeAsync("input.key", P(("event", P(("action", "down"), ("keysym", "Return")))), ct);
        await d.InvokeAsync("input.text", P(("text_input", P(("text", "hello")))), ct);
        UIElement tree = ValueCodec.ReadUIElement(await d.InvokeAsync("ui.tree", P(), ct));
        UIElement save = tree.DescendantsAndSelf().Single(e => e.Name == "Save");
        await d.InvokeAsync("ui.action", P(("element", ValueCodec.ToWire(save))), ct);
        Assert.Equal(1, fake.SaveClicks);
        await d.InvokeAsync("clipboard.write", P(("contents", ValueCodec.ToWire(ClipboardContents.FromText("clip")))), ct);
        Assert.Equal("clip", ValueCodec.ReadClipboardContents(await d.InvokeAsync("clipboard.read", P(), ct)).GetText());
        await d.InvokeAsync("fs.mkdir", P(("path", "/tmp/d")), ct);
        await d.InvokeAsync("fs.write", P(("path", "/tmp/d/a.txt"), ("data", "abc"u8.ToArray())), ct);
        Assert.Equal(3, ValueCodec.ReadFileEntry(await d.InvokeAsync("fs.stat", P(("path", "/tmp/d/a.txt")), ct)).Size);
        Assert.NotEmpty(ValueCodec.ReadItems(await d.InvokeAsync("fs.list", P(("path", "/tmp/d")), ct), (v, p) => ValueCodec.ReadFileEntry(v, p)));
        await d.InvokeAsync("fs.move", P(("src", "/tmp/d/a.txt"), ("dst", "/tmp/d/b.txt")), ct);
        var read = Assert.IsType<Dictionary<string, object?>>(await d.InvokeAsync("fs.read", P(("path", "/tmp/d/b.txt")), ct));
        Assert.Equal("abc"u8.ToArray(), read["data"]);
        await d.InvokeAsync("fs.delete", P(("path", "/tmp/d/b.txt")), ct);
        await Assert.ThrowsAsync<NotFoundException>(() => d.InvokeAsync("fs.read", P(("path", "/tmp/d/b.txt")), ct));
        ValueCodec.ReadItems(await d.InvokeAsync("windows.list", P(), ct), (v, p) => ValueCodec.ReadWindow(v, p));
        await d.InvokeAsync("windows.focused", P(), ct);
        ValueCodec.ReadItems(await d.InvokeAsync("apps.list", P(), ct), (x, _) => (string)x!);
        ValueCodec.ReadItems(await d.InvokeAsync("process.list", P(), ct), (v, p) => ValueCodec.ReadProcess(v, p));
        ValueCodec.ReadItems(await d.InvokeAsync("notifications.list", P(), ct), (v, p) => ValueCodec.ReadNotification(v, p));
        await d.InvokeAsync("power.lock", P(), ct);
        Assert.True(fake.IsLocked);
    }
}
