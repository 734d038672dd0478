using System.Net.WebSockets;
using OpenDesk.Core;
using OpenDesk.Remote.Client;
using OpenDesk.Remote.Peering;
using OpenDesk.Remote.Protocol;
using OpenDesk.Remote.Server;
using OpenDesk.Remote.Trust;

namespace OpenDesk.Remote.Tests.Server;

public sealed class OpenDeskServerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Pair_ThenThePairedSessionIsUsable_AndBothSidesTrustEachOther()
    {
        await using ServerHarness h = await ServerHarness.StartAsync();
        OpenDeskClientOptions client = h.NewController();
        Task<PairingResult> pairing = h.Server.PairAsync("123456", TimeSpan.FromSeconds(60), Ct);

        await using RemoteComputer remote = await OpenDeskClient.PairWithAsync("127.0.0.1", "123456", h.Server.Port, "desk", client, Ct);
        PairingResult result = await pairing;

        Assert.True(result.Paired, result.Message);
        Assert.StartsWith("peer-", result.PeerName, StringComparison.Ordinal);
        Assert.Equal("desk", remote.PeerName);
        Assert.Equal(h.Server.Fingerprint, remote.Fingerprint);
        Assert.Equal("fake", remote.Manifest.Backend);
        Assert.Single(await remote.Display.GetDisplaysAsync(Ct));
        TrustedPeer stored = Assert.Single(new TrustStore(client.Home!).GetAll());
        Assert.Equal((TrustStore.RemoteRole, "127.0.0.1", h.Server.Port), (stored.Role, stored.LastHost, stored.LastPort));
        Assert.Equal(TrustStore.ControllerRole, Assert.Single(new TrustStore(h.Home).GetAll()).Role);
        Assert.Contains(h.AuditLines(), l => l.Contains("\"mode\":\"pair\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Pair_ThreeWrongCodes_ClosesPairing_AndEachIsAudited()
    {
        await using ServerHarness h = await ServerHarness.StartAsync();
        Task<PairingResult> pairing = h.Server.PairAsync("123456", TimeSpan.FromSeconds(60), Ct);
        for (int i = 0; i < 3; i++)
        {
            await Assert.ThrowsAsync<PermissionDeniedException>(() => OpenDeskClient.PairWithAsync("127.0.0.1", "654321", h.Server.Port, null, h.NewController(), Ct));
        }

        PairingResult result = await pairing.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.False(result.Paired);
        Assert.Contains("3 wrong codes", result.Message, StringComparison.Ordinal);
        // The client finds the wrong code first and hangs up, so the server records wrong_code or protocol.
        Assert.Equal(3, h.AuditLines().Count(l => l.Contains("\"reason\":\"auth_failed: ", StringComparison.Ordinal)));
        Assert.Empty(new TrustStore(h.Home).GetAll());

        // Pairing is over: the right code now runs into the auth handshake and fails.
        await Assert.ThrowsAnyAsync<OpenDeskException>(() => OpenDeskClient.PairWithAsync("127.0.0.1", "123456", h.Server.Port, null, h.NewController(), Ct));
    }

    [Fact]
    public async Task Pair_AnAlreadyPairedControllerConnecting_DoesNotUseUpTheWrongCodeAttempts()
    {
        await using ServerHarness h = await ServerHarness.StartAsync();
        OpenDeskClientOptions paired = h.NewTrustedController();
        Task<PairingResult> pairing = h.Server.PairAsync("123456", TimeSpan.FromSeconds(60), Ct);
        for (int i = 0; i < 3; i++)
        {
            await Assert.ThrowsAnyAsync<OpenDeskException>(() => OpenDeskClient.ConnectAsync("desk", paired, Ct));
        }

        Assert.False(pairing.IsCompleted, "pairing is still open");
        await using RemoteComputer fresh = await OpenDeskClient.PairWithAsync("127.0.0.1", "123456", h.Server.Port, null, h.NewController(), Ct);
        Assert.True((await pairing).Paired);
    }

    [Fact]
    public async Task Pair_Expires()
    {
        await using ServerHarness h = await ServerHarness.StartAsync();
        PairingResult result = await h.Server.PairAsync("123456", TimeSpan.FromMilliseconds(200), Ct);
        Assert.False(result.Paired);
        Assert.Contains("expired", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connect_ByName_Calls_AndDescriptionIsCached()
    {
        await using ServerHarness h = await ServerHarness.StartAsync();
        h.Home.WriteDescription("Build box in the lab");
        OpenDeskClientOptions client = h.NewTrustedController();

        await using RemoteComputer remote = await OpenDeskClient.ConnectAsync("desk", client, Ct);
        Assert.Equal("Build box in the lab", remote.Manifest.Description);
        Assert.Equal("Build box in the lab", new TrustStore(client.Home!).Find("desk")!.Description);
        await remote.Input.TypeTextAsync(new TextInput("hello"), Ct);
        Assert.Equal(PixmapFormat.Png, (await remote.Display.CaptureAsync(CaptureOptions.Default, Ct)).Format);
        Assert.Equal(1, h.Server.SessionCount);
        Assert.Contains(h.AuditLines(), l => l.Contains("\"summary\":\"type 5 chars\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Connect_ExplicitUrl_AndDefaultPeer()
    {
        await using ServerHarness h = await ServerHarness.StartAsync();
        OpenDeskClientOptions client = h.NewTrustedController();
        await using (RemoteComputer byUrl = await OpenDeskClient.ConnectAsync(h.Url, client, Ct))
        {
            Assert.Equal("desk", byUrl.PeerName);
        }

        await Assert.ThrowsAsync<NotFoundException>(() => OpenDeskClient.ConnectAsync(null, client, Ct));
        await new PeerDirectory(client.Home!).SetDefaultPeerAsync("desk", Ct);
        await using RemoteComputer byDefault = await OpenDeskClient.ConnectAsync(null, client, Ct);
        Assert.Equal("desk", byDefault.PeerName);
        await Assert.ThrowsAsync<InvalidArgumentException>(() => OpenDeskClient.ConnectAsync($"ws://127.0.0.1:{h.Server.Port}", client, Ct));
        await Assert.ThrowsAsync<NotFoundException>(() => OpenDeskClient.ConnectAsync("nobody", client, Ct));
    }

    [Fact]
    public async Task UntrustedController_IsRejected_AndAudited()
    {
        await using ServerHarness h = await ServerHarness.StartAsync();
        OpenDeskClientOptions stranger = h.NewController();
        var ex = await Assert.ThrowsAsync<PermissionDeniedException>(() => OpenDeskClient.ConnectAsync(h.Url, stranger, Ct));
        Assert.Contains("unexpected_peer", ex.Message, StringComparison.Ordinal);
        await ServerHarness.WaitUntilAsync(() => h.AuditLines().Any(l => l.Contains("auth_failed: untrusted_peer", StringComparison.Ordinal)), "the rejection in the audit log");
    }

    [Fact]
    public async Task SecondController_GetsBusy_FirstKeepsWorking()
    {
        await using ServerHarness h = await ServerHarness.StartAsync();
        OpenDeskClientOptions first = h.NewTrustedController();
        OpenDeskClientOptions second = h.NewTrustedController();
        await using RemoteComputer active = await OpenDeskClient.ConnectAsync("desk", first, Ct);

        var busy = await Assert.ThrowsAsync<BusyException>(() => OpenDeskClient.ConnectAsync("desk", second, Ct));
        Assert.StartsWith("server is busy: peer-", busy.Message, StringComparison.Ordinal);
        Assert.EndsWith("is the active controller. Disconnect them to take over.", busy.Message, StringComparison.Ordinal);
        Assert.Single(await active.Display.GetDisplaysAsync(Ct));
        Assert.Contains(h.AuditLines(), l => l.Contains("\"reason\":\"busy: server is busy", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SameController_Twice_BumpsTheOldSession_WhichIsEvictedAndDoesNotReconnect()
    {
        await using ServerHarness h = await ServerHarness.StartAsync();
        OpenDeskClientOptions client = h.NewTrustedController();
        await using RemoteComputer old = await OpenDeskClient.ConnectAsync("desk", client, Ct);
        await using RemoteComputer fresh = await OpenDeskClient.ConnectAsync("desk", client, Ct);

        await ServerHarness.WaitUntilAsync(() => old.IsEvicted, "the eviction push");
        var ex = await Assert.ThrowsAsync<SessionEvictedException>(() => old.Display.GetDisplaysAsync(Ct).AsTask());
        Assert.Equal("admin_disconnect", ex.Reason);
        Assert.Equal(0, old.ReconnectCount);
        Assert.Single(await fresh.Display.GetDisplaysAsync(Ct));
        Assert.Equal(1, h.Server.SessionCount);
    }

    [Fact]
    public async Task AdminIpc_ListsAndDisconnects_Cooperatively()
    {
        await using ServerHarness h = await ServerHarness.StartAsync();
        await using RemoteComputer remote = await OpenDeskClient.ConnectAsync("desk", h.NewTrustedController(), Ct);

        Dictionary<string, object?> list = await AdminIpc.RequestAsync(h.Home.AdminSocketPath, new() { ["op"] = "list" }, Ct);
        var session = Assert.IsType<Dictionary<string, object?>>(Assert.Single(Assert.IsType<List<object?>>(list["sessions"])));
        Assert.Equal(Convert.ToHexStringLower(new TrustStore(h.Home).GetAll()[0].PublicKey), session["peer_pubkey_hex"]);
        Assert.Equal("serve", session["mode"]);

        Dictionary<string, object?> killed = await AdminIpc.RequestAsync(h.Home.AdminSocketPath, new() { ["op"] = "kill", ["id"] = session["id"] }, Ct);
        Assert.Equal(true, killed["ok"]);
        await ServerHarness.WaitUntilAsync(() => remote.IsEvicted, "the eviction push");
        await Assert.ThrowsAsync<SessionEvictedException>(() => remote.Windows.ListAsync(Ct).AsTask());
        await ServerHarness.WaitUntilAsync(() => h.Server.SessionCount == 0, "the session to end");
        try
        {
            await ServerHarness.WaitUntilAsync(() => h.AuditLines().Any(l => l.Contains("evicted: admin_disconnect", StringComparison.Ordinal)), "session.closed");
        }
        catch (TimeoutException e)
        {
            // This wait used to time out in loaded parallel runs: the kill landed inside the server's HELLO exchange
            // (see AdminKill_DuringTheHelloExchange_WaitsForIt_ThenEvicts_AndAuditsTheClose). Show the log if it recurs.
            throw new TimeoutException(e.Message + "; audit log:\n" + string.Join('\n', h.AuditLines()), e);
        }
    }

    [Fact]
    public async Task AdminKill_DuringTheHelloExchange_WaitsForIt_ThenEvicts_AndAuditsTheClose()
    {
        // The race behind AdminIpc_ListsAndDisconnects_Cooperatively's rare failure: the controller's ConnectAsync
        // returns once it has the server's HELLO, while the server may still wait for the controller's. A session is
        // listed from the moment it holds the controller slot, so an admin kill could close it under the exchange.
        await using ServerHarness h = await ServerHarness.StartAsync();
        OpenDeskClientOptions client = h.NewTrustedController();
        byte[] raw = client.Home!.LoadOrCreateIdentityKey();
        using var identity = Identity.FromPrivateKey(raw);
        IMessageTransport transport = await WebSocketTransport.ConnectAsync(new Uri($"ws://127.0.0.1:{h.Server.Port}"), Ct);
        SecureChannel channel = await Handshake.AuthAsClientAsync(transport, identity, h.Server.PublicKey, Ct);
        await using var peer = new Peer(channel);
        var evicted = new TaskCompletionSource<PushFrame>(TaskCreationOptions.RunContinuationsAsynchronously);
        peer.PushReceived = push => evicted.TrySetResult(push);

        // The server holds the session but has not had the controller's HELLO yet: kill it there.
        await ServerHarness.WaitUntilAsync(() => h.Server.SessionCount == 1, "the session to take the controller slot");
        Task<Dictionary<string, object?>> kill = AdminIpc.RequestAsync(h.Home.AdminSocketPath, new() { ["op"] = "kill_all" }, Ct);
        await h.Server.SessionsForTest()[0].KillRequested.WaitAsync(TimeSpan.FromSeconds(10), Ct);

        HelloFrame hello = await peer.ExchangeHelloAsync(HelloFrame.Client(), Ct);
        peer.Start();

        Assert.Null(hello.Error);
        PushFrame push = await evicted.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.Equal(PushFrame.SessionEvicted, push.Topic);
        Assert.Equal(1L, (await kill.WaitAsync(TimeSpan.FromSeconds(10), Ct))["killed"]);
        await ServerHarness.WaitUntilAsync(() => h.Server.SessionCount == 0, "the session to end");
        string[] audit = h.AuditLines();
        Assert.Single(audit, l => l.Contains("\"type\":\"session.opened\"", StringComparison.Ordinal));
        Assert.Single(audit, l => l.Contains("\"type\":\"session.closed\"", StringComparison.Ordinal) && l.Contains("evicted: admin_disconnect", StringComparison.Ordinal));
        Assert.DoesNotContain(audit, l => l.Contains("session.rejected", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Unpair_RemovesTrust_KicksTheSession_AndTheNextAuthFails()
    {
        await using ServerHarness h = await ServerHarness.StartAsync();
        OpenDeskClientOptions client = h.NewTrustedController();
        await using RemoteComputer remote = await OpenDeskClient.ConnectAsync("desk", client, Ct);
        string controllerName = new TrustStore(h.Home).GetAll()[0].Name;

        Assert.NotNull(new TrustStore(h.Home).Remove(controllerName));
        await AdminIpc.RequestAsync(h.Home.AdminSocketPath, new() { ["op"] = "kill_all" }, Ct);
        await ServerHarness.WaitUntilAsync(() => remote.IsEvicted, "the eviction push");

        await Assert.ThrowsAsync<PermissionDeniedException>(() => OpenDeskClient.ConnectAsync("desk", client, Ct));
    }

    [Fact]
    public async Task UnknownMethod_AndInvalidParams_OverTheWire()
    {
        await using ServerHarness h = await ServerHarness.StartAsync();
        await using RemoteComputer remote = await OpenDeskClient.ConnectAsync("desk", h.NewTrustedController(), Ct);

        var unknown = await Assert.ThrowsAsync<CapabilityUnsupportedException>(() => remote.CallAsync("display.teleport", null, Ct));
        Assert.Equal("display.teleport", unknown.Details["capability"]);
        await Assert.ThrowsAsync<InvalidArgumentException>(() => remote.CallAsync("input.pointer", new() { ["event"] = "click" }, Ct));
        await Assert.ThrowsAsync<InvalidArgumentException>(() => remote.CallAsync("fs.read", new() { ["path"] = 3L }, Ct));
        Assert.Single(await remote.Display.GetDisplaysAsync(Ct));
    }

    [Fact]
    public async Task CapabilityPreCheck_FailsLocally_FromTheHelloManifest()
    {
        var fake = new OpenDesk.Testing.FakeComputer(OpenDesk.Testing.FakeComputer.SupportedCapabilities.Where(c => c != Capability.PowerLock));
        await using ServerHarness h = await ServerHarness.StartAsync(computer: fake);
        await using RemoteComputer remote = await OpenDeskClient.ConnectAsync("desk", h.NewTrustedController(), Ct);
        long before = remote.ReconnectCount;
        await Assert.ThrowsAsync<CapabilityUnsupportedException>(() => remote.Power.LockAsync(Ct).AsTask());
        Assert.DoesNotContain(h.AuditLines(), l => l.Contains("power.lock", StringComparison.Ordinal));
        Assert.Equal(before, remote.ReconnectCount);
    }

    [Fact]
    public async Task ConnectionDrop_ReconnectsOnce_ReplaysIdempotent_NotActions()
    {
        await using ServerHarness h = await ServerHarness.StartAsync();
        await using RemoteComputer remote = await OpenDeskClient.ConnectAsync("desk", h.NewTrustedController(), Ct);

        await h.Server.DropConnectionsForTestAsync();
        await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => remote.Display.GetDisplaysAsync(Ct).AsTask()));
        Assert.Equal(1, remote.ReconnectCount);

        await h.Server.DropConnectionsForTestAsync();
        await Assert.ThrowsAsync<PeerDisconnectedException>(() => remote.Input.TypeTextAsync(new TextInput("x"), Ct).AsTask());
        Assert.Equal(2, remote.ReconnectCount);
        await remote.Input.TypeTextAsync(new TextInput("y"), Ct);
        Assert.Contains("input.text", string.Join(",", h.Computer.Calls), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stream_DisplaySubscribe_OverTheWire_CancelEndsIt()
    {
        await using ServerHarness h = await ServerHarness.StartAsync();
        await using RemoteComputer remote = await OpenDeskClient.ConnectAsync("desk", h.NewTrustedController(), Ct);
        int frames = 0;
        await foreach (DisplayFrame frame in remote.Display.SubscribeAsync(new DisplayStreamOptions(Fps: 30), Ct))
        {
            Assert.NotEmpty(frame.Pixmap.Data);
            if (++frames == 3)
            {
                break;
            }
        }

        Assert.Single(await remote.Display.GetDisplaysAsync(Ct));
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("text")]
    [InlineData("oversize")]
    [InlineData("stalled")]
    public async Task BadInputBeforeHandshake_ClosesThatConnection_OthersKeepWorking(string kind)
    {
        await using ServerHarness h = await ServerHarness.StartAsync(o => new OpenDeskServerOptions
        {
            Home = o.Home, Host = o.Host, Port = o.Port, AdvertiseMdns = false,
            HandshakeTimeout = TimeSpan.FromSeconds(3), MaxMessageSize = 4096,
        });
        await using RemoteComputer active = await OpenDeskClient.ConnectAsync("desk", h.NewTrustedController(), Ct);

        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{h.Server.Port}"), Ct);
        switch (kind)
        {
            case "garbage":
                await socket.SendAsync(new byte[] { 0xde, 0xad, 0xbe, 0xef, 0xc1 }, WebSocketMessageType.Binary, true, Ct);
                break;
            case "text":
                await socket.SendAsync("{\"hello\":1}"u8.ToArray(), WebSocketMessageType.Text, true, Ct);
                break;
            case "oversize":
                await socket.SendAsync(new byte[10_000], WebSocketMessageType.Binary, true, Ct);
                break;
        }

        byte[] buffer = new byte[1024];
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        WebSocketReceiveResult? received = null;
        try
        {
            received = await socket.ReceiveAsync(buffer, timeout.Token);
        }
        catch (WebSocketException)
        {
            // Closed without a close handshake: also a close.
        }

        Assert.True(received is null || received.MessageType == WebSocketMessageType.Close, $"the server closed the connection ({kind})");
        Assert.Single(await active.Display.GetDisplaysAsync(Ct));
        await ServerHarness.WaitUntilAsync(() => h.AuditLines().Any(l => l.Contains("session.rejected", StringComparison.Ordinal)), "the rejection in the audit log");
    }

    [Fact]
    public async Task PlainHttp_Gets426_AndTheServerKeepsServing()
    {
        await using ServerHarness h = await ServerHarness.StartAsync();
        using var http = new HttpClient();

        using HttpResponseMessage response = await http.GetAsync(new Uri($"http://127.0.0.1:{h.Server.Port}/"), Ct);

        Assert.Equal(System.Net.HttpStatusCode.UpgradeRequired, response.StatusCode);
        Assert.Equal("OpenDesk protocol v1: connect with a WebSocket client.\n", await response.Content.ReadAsStringAsync(Ct));
        Assert.False(response.Headers.Contains("Server"));
        await using RemoteComputer remote = await OpenDeskClient.ConnectAsync("desk", h.NewTrustedController(), Ct);
        Assert.Single(await remote.Display.GetDisplaysAsync(Ct));
    }

    [Fact]
    public async Task TamperedFrame_ClosesThatSession_ServerKeepsServing()
    {
        await using ServerHarness h = await ServerHarness.StartAsync();
        OpenDeskClientOptions client = h.NewTrustedController();
        byte[] raw = client.Home!.LoadOrCreateIdentityKey();
        using var identity = Identity.FromPrivateKey(raw);
        IMessageTransport transport = await WebSocketTransport.ConnectAsync(new Uri($"ws://127.0.0.1:{h.Server.Port}"), Ct);
        SecureChannel channel = await Handshake.AuthAsClientAsync(transport, identity, h.Server.PublicKey, Ct);
        await transport.SendAsync(new byte[64], Ct);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        // The server's HELLO may arrive first; then the connection must close.
        while (await transport.ReceiveAsync(timeout.Token) is not null)
        {
        }

        await channel.DisposeAsync();

        await ServerHarness.WaitUntilAsync(() => h.Server.SessionCount == 0, "the tampered session to end");
        await using RemoteComputer next = await OpenDeskClient.ConnectAsync("desk", client, Ct);
        Assert.Single(await next.Display.GetDisplaysAsync(Ct));
    }
}
