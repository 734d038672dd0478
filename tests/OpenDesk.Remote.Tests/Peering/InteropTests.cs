using System.Runtime.CompilerServices;
using System.Text.Json;
using OpenDesk.Core;
using OpenDesk.Remote.Peering;
using OpenDesk.Remote.Protocol;
using OpenDesk.Remote.Tests.Protocol;
using static OpenDesk.Remote.Tests.Protocol.ProtocolTestKit;

namespace OpenDesk.Remote.Tests.Peering;

/// <summary>Interop with the independent Python implementation (../shared/interop/refpeer) over loopback, both ways.</summary>
public sealed class InteropTests
{
    private static readonly TimeSpan s_processTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task OurClient_PairsThenAuthsAndCallsRefpeerServer()
    {
        RefPeer.SkipIfUnavailable();
        using var home = new TempHome();
        await using RefPeer server = RefPeer.Start("serve", "--port", "0", "--host", "127.0.0.1", "--home", home.Path,
            "--pair-code", "123456", "--no-admin", "--ws-ping-interval", "0.2", "--ws-fragment", "700", "--deny", "fs.stat", "--description", "ref desk");
        string ready = await server.WaitForLineAsync(l => l.StartsWith("listening on ", StringComparison.Ordinal), s_processTimeout);
        // listening on 127.0.0.1:PORT fp=XXXX:XXXX:XXXX:XXXX
        string[] parts = ready.Split(' ');
        int port = int.Parse(parts[2].Split(':')[1], System.Globalization.CultureInfo.InvariantCulture);
        string fp = parts[3]["fp=".Length..];
        var uri = new Uri($"ws://127.0.0.1:{port}");
        using Identity me = Identity.Generate();

        // 1. Pairing (the paired connection stays usable).
        byte[] serverKey;
        {
            WebSocketTransport transport = await WebSocketTransport.ConnectAsync(uri, Token);
            (SecureChannel channel, serverKey) = await Handshake.PairAsClientAsync(transport, "123456", me, Token);
            Assert.Equal(fp, PeerFingerprint.Of(serverKey));
            await using var peer = new Peer(channel);
            HelloFrame hello = await peer.ExchangeHelloAsync(HelloFrame.Client(), Token);
            Assert.Equal("server", hello.Role);
            Assert.Equal("ref desk", ValueCodec.ReadCapabilityManifest(hello.Capabilities, "hello.capabilities").Description);
            peer.Start();
            CapabilityManifest manifest = ValueCodec.ReadCapabilityManifest(await peer.InvokeAsync("system.capabilities", null, Token), "result");
            Assert.True(manifest.Has(Capability.DisplayCapture));
            Assert.Equal("", manifest.Description); // the bare manifest, as §16 says
        }

        await server.WaitForLineAsync(l => l.StartsWith("session ", StringComparison.Ordinal) && l.Contains("\"closed\"", StringComparison.Ordinal), s_processTimeout);

        // 2. Auth with the learnt key, then real calls.
        {
            WebSocketTransport transport = await WebSocketTransport.ConnectAsync(uri, Token);
            SecureChannel channel = await Handshake.AuthAsClientAsync(transport, me, serverKey, Token);
            await using var peer = new Peer(channel);
            await peer.ExchangeHelloAsync(HelloFrame.Client(), Token);
            peer.Start();

            Pixmap pixmap = ValueCodec.ReadPixmap(await peer.InvokeAsync("display.capture", ValueCodec.CaptureParams(CaptureOptions.Default, includeExtensions: false), Token), "result");
            Assert.Equal((64, 40, PixmapFormat.Png), (pixmap.Width, pixmap.Height, pixmap.Format));
            Assert.Equal(new byte[] { 0x89, 0x50, 0x4e, 0x47 }, pixmap.Data[..4]);

            await peer.InvokeAsync("input.pointer", new Dictionary<string, object?> { ["event"] = ValueCodec.ToWire(new PointerEvent(PointerAction.Move, new Point(100, 200))) }, Token);
            Assert.Equal(new Point(100, 200), ValueCodec.ReadPoint(await peer.InvokeAsync("display.cursor_position", null, Token), "result"));

            await peer.InvokeAsync("clipboard.write", new Dictionary<string, object?> { ["contents"] = ValueCodec.ToWire(ClipboardContents.FromText("héllo")) }, Token);
            Assert.Equal("héllo", ValueCodec.ReadClipboardContents(await peer.InvokeAsync("clipboard.read", null, Token), "result").GetText());

            IReadOnlyList<Window> windows = ValueCodec.ReadItems(await peer.InvokeAsync("windows.list", null, Token), (v, p) => ValueCodec.ReadWindow(v, p));
            Assert.NotEmpty(windows);
            ValueCodec.ReadEnvironment(await peer.InvokeAsync("system.environment", null, Token), "result");

            int frames = 0;
            await foreach (object? item in peer.StreamAsync("display.subscribe", ValueCodec.SubscribeParams(new DisplayStreamOptions(null, 20, null)), Token))
            {
                DisplayFrame frame = ValueCodec.ReadDisplayFrame(item, "item");
                Assert.Equal(64, frame.Pixmap.Width);
                if (++frames == 3)
                {
                    break; // sends cancel
                }
            }

            await Assert.ThrowsAsync<PermissionDeniedException>(() => peer.InvokeAsync("fs.stat", new Dictionary<string, object?> { ["path"] = "/" }, Token));
            await Assert.ThrowsAsync<CapabilityUnsupportedException>(() => peer.InvokeAsync("no.such.method", null, Token));
            var many = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => peer.InvokeAsync("system.capabilities", null, Token)));
            Assert.All(many, m => Assert.IsType<Dictionary<string, object?>>(m));

            // Keep-alive: the server pings every 0.2 s; the framework answers and the session stays up.
            await Task.Delay(TimeSpan.FromMilliseconds(800), Token);
            Assert.NotNull(await peer.InvokeAsync("system.capabilities", null, Token));
        }

        // The reference server saw no protocol violations in either session.
        await server.WaitForLineAsync(l => l.StartsWith("session ", StringComparison.Ordinal) && l.Contains("\"closed\"", StringComparison.Ordinal), s_processTimeout);
        foreach (string line in server.Output.Split('\n').Where(l => l.StartsWith("session ", StringComparison.Ordinal) && l.Contains("\"closed\"", StringComparison.Ordinal)))
        {
            using JsonDocument json = JsonDocument.Parse(line["session ".Length..]);
            Assert.Equal(0, json.RootElement.GetProperty("violations").GetArrayLength());
        }
    }

    [Fact]
    public async Task OurClient_WrongCodeThenUnexpectedKey_AgainstRefpeerServer()
    {
        RefPeer.SkipIfUnavailable();
        using var home = new TempHome();
        await using RefPeer server = RefPeer.Start("serve", "--port", "0", "--host", "127.0.0.1", "--home", home.Path, "--pair-code", "123456", "--no-admin");
        string ready = await server.WaitForLineAsync(l => l.StartsWith("listening on ", StringComparison.Ordinal), s_processTimeout);
        var uri = new Uri($"ws://127.0.0.1:{ready.Split(' ')[2].Split(':')[1]}");
        using Identity me = Identity.Generate();
        var wrong = await Assert.ThrowsAsync<HandshakeException>(async () =>
            await Handshake.PairAsClientAsync(await WebSocketTransport.ConnectAsync(uri, Token), "654321", me, Token));
        Assert.Equal(HandshakeFailure.WrongCode, wrong.Reason);
        // Pairing mode survives a wrong code.
        var (channel, serverKey) = await Handshake.PairAsClientAsync(await WebSocketTransport.ConnectAsync(uri, Token), "123456", me, Token);
        await channel.DisposeAsync();
        await server.WaitForLineAsync(l => l.StartsWith("paired", StringComparison.Ordinal), s_processTimeout);

        using Identity stranger = Identity.Generate();
        var untrusted = await Assert.ThrowsAsync<HandshakeException>(async () =>
            await Handshake.AuthAsClientAsync(await WebSocketTransport.ConnectAsync(uri, Token), stranger, serverKey, Token));
        Assert.Equal(HandshakeFailure.UnexpectedPeer, untrusted.Reason);
    }

    [Fact]
    public async Task RefpeerClient_PairsWithAndCallsOurServer_AndProbesPass()
    {
        RefPeer.SkipIfUnavailable();
        using var home = new TempHome();
        using Identity serverId = Identity.Generate();
        PairingSecret secret = await PairingSecret.DeriveAsync("246810", Token);
        var trusted = new System.Collections.Concurrent.ConcurrentDictionary<string, bool>();
        var handler = new MiniComputer();
        await using LoopbackWebSocketServer server = await LoopbackWebSocketServer.StartAsync(async transport =>
        {
            SecureChannel channel;
            try
            {
                if (trusted.IsEmpty)
                {
                    (channel, byte[] clientKey) = await Handshake.PairAsServerAsync(transport, secret, serverId, HandshakeOptions.Default, CancellationToken.None);
                    trusted[Convert.ToHexStringLower(clientKey)] = true;
                }
                else
                {
                    (channel, _) = await Handshake.AuthAsServerAsync(transport, serverId, k => trusted.ContainsKey(Convert.ToHexStringLower(k)), CancellationToken.None);
                }
            }
            catch (HandshakeException)
            {
                return;
            }

            await using var peer = new Peer(channel, handler);
            try
            {
                await peer.ExchangeHelloAsync(HelloFrame.Server(ValueCodec.ToWire(MiniComputer.Manifest with { Description = "our desk" })), CancellationToken.None);
            }
            catch (OpenDeskException)
            {
                return;
            }

            peer.Start();
            await peer.Completion;
        });
        string host = "127.0.0.1", port = server.Uri.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

        var pair = await RefPeer.RunAsync(["pair-client", host, port, "246810", "--home", home.Path, "--check"], s_processTimeout);
        Assert.True(pair.ExitCode == 0, pair.Stdout + pair.Stderr);
        Assert.Contains($"fp={serverId.Fingerprint}", pair.Stdout, StringComparison.Ordinal);
        Assert.Single(trusted);

        foreach (string[] call in new[]
        {
            new[] { "system.capabilities" },
            ["display.capture"],
            ["display.capture", "{\"display_id\": null, \"region\": {\"x\": 0, \"y\": 0, \"width\": 10, \"height\": 10}, \"downscale\": false}"],
            ["display.subscribe", "--items", "2"],
            ["clipboard.read"],
        })
        {
            var result = await RefPeer.RunAsync(["call", host, port, "--home", home.Path, .. call, "--check"], s_processTimeout);
            Assert.True(result.ExitCode == 0, string.Join(' ', call) + ": " + result.Stdout + result.Stderr);
        }

        var capture = await RefPeer.RunAsync(["call", host, port, "--home", home.Path, "display.capture", "--check"], s_processTimeout);
        Assert.Contains("\"width\": 2", capture.Stdout, StringComparison.Ordinal);

        var denied = await RefPeer.RunAsync(["call", host, port, "--home", home.Path, "fs.read", "{\"path\": \"/etc/shadow\"}"], s_processTimeout);
        Assert.Equal(1, denied.ExitCode);
        Assert.Contains("capability_unsupported", denied.Stdout, StringComparison.Ordinal);

        var probes = await RefPeer.RunAsync(["probe", host, port, "--home", home.Path, "--timeout", "5",
            "--only", "hello", "--only", "unknown-method", "--only", "concurrent", "--only", "stream-cancel", "--only", "ping",
            "--only", "fragmented", "--only", "tamper", "--only", "text-frame", "--only", "untrusted"], s_processTimeout);
        Assert.True(probes.ExitCode == 0, probes.Stdout + probes.Stderr);
        Assert.EndsWith("9 passed, 0 failed", probes.Stdout.TrimEnd(), StringComparison.Ordinal);
    }

    /// <summary>A tiny fake computer served by our Peer for the reference client.</summary>
    private sealed class MiniComputer : IRequestHandler
    {
        // A valid 2x2 RGB PNG.
        private static readonly byte[] s_png = Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==");

        public static CapabilityManifest Manifest { get; } = new(
            [Capability.DisplayCapture, Capability.DisplayStream, Capability.ClipboardRead],
            new Dictionary<string, IReadOnlyDictionary<string, object?>> { ["display.stream"] = new Dictionary<string, object?> { ["max_fps"] = 30L } },
            "0.1", "test/mini");

        private static Pixmap Capture() => new(s_png, PixmapFormat.Png, 2, 2, 2, 2, null, DateTimeOffset.UtcNow);

        public ValueTask<object?> HandleAsync(string method, IReadOnlyDictionary<string, object?> parameters, CancellationToken cancellationToken)
        {
            switch (method)
            {
                case "system.capabilities":
                    return new(ValueCodec.ToWire(Manifest));
                case "display.capture":
                    ValueCodec.ReadCaptureOptions(parameters);
                    return new(ValueCodec.ToWire(Capture()));
                case "clipboard.read":
                    return new(ValueCodec.ToWire(ClipboardContents.FromText("from C#")));
                default:
                    throw new CapabilityUnsupportedException(method, "test/mini");
            }
        }

        public async IAsyncEnumerable<object?> HandleStreamAsync(string method, IReadOnlyDictionary<string, object?> parameters, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            if (method != "display.subscribe")
            {
                throw new CapabilityUnsupportedException(method, "test/mini");
            }

            DisplayStreamOptions options = ValueCodec.ReadDisplayStreamOptions(parameters);
            for (long n = 0; ; n++)
            {
                yield return ValueCodec.ToWire(new DisplayFrame(Capture(), n, n == 0));
                await Task.Delay(TimeSpan.FromSeconds(1.0 / Math.Clamp(options.Fps, 1, 30)), cancellationToken);
            }
        }
    }
}
