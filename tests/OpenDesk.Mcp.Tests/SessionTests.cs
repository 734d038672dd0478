using OpenDesk.Core;
using OpenDesk.Testing;

namespace OpenDesk.Mcp.Tests;

public sealed class SessionTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task No_directory_means_local()
    {
        await using var session = Tools.Session();
        Assert.Equal(new EffectivePeer("local", PeerSource.Local, []), await session.GetEffectivePeerAsync(Ct));
        Assert.Equal("local", await session.ResolveAsync(null, Ct));
    }

    [Fact]
    public async Task No_trusted_peers_means_local()
    {
        await using var session = Tools.Session(peers: new FakePeerDirectory());
        Assert.Equal("local", await session.ResolveAsync(null, Ct));
    }

    [Fact]
    public async Task Lone_trusted_peer_is_the_implicit_default()
    {
        await using var session = Tools.Session(peers: new FakePeerDirectory().Add("desk2"));
        EffectivePeer e = await session.GetEffectivePeerAsync(Ct);
        Assert.Equal(("desk2", PeerSource.Implicit), (e.Name, e.Source));
    }

    [Fact]
    public async Task Controllers_are_not_targets()
    {
        await using var session = Tools.Session(peers: new FakePeerDirectory().Add("laptop", role: "controller"));
        Assert.Equal("local", await session.ResolveAsync(null, Ct));
    }

    [Fact]
    public async Task Several_peers_without_default_is_an_error_listing_them()
    {
        await using var session = Tools.Session(peers: new FakePeerDirectory().Add("desk2").Add("desk3"));
        var e = await Assert.ThrowsAsync<InvalidArgumentException>(() => session.ResolveAsync(null, Ct).AsTask());
        Assert.Contains("desk2, desk3", e.Message);
        Assert.Contains("opendesk_use", e.Message);
        Assert.Equal(PeerSource.Ambiguous, (await session.GetEffectivePeerAsync(Ct)).Source);
    }

    [Fact]
    public async Task Persistent_default_beats_the_lone_and_ambiguous_rules()
    {
        var peers = new FakePeerDirectory().Add("desk2").Add("desk3");
        await peers.SetDefaultPeerAsync("desk3", Ct);
        await using var session = Tools.Session(peers: peers);
        EffectivePeer e = await session.GetEffectivePeerAsync(Ct);
        Assert.Equal(("desk3", PeerSource.Persistent), (e.Name, e.Source));
    }

    [Fact]
    public async Task Explicit_default_beats_persistent_and_local_reverts()
    {
        var peers = new FakePeerDirectory().Add("desk2").Add("desk3");
        await peers.SetDefaultPeerAsync("desk3", Ct);
        await using var session = Tools.Session(peers: peers);
        await session.UseAsync("desk2", Ct);
        Assert.Equal(("desk2", PeerSource.Explicit), ((await session.GetEffectivePeerAsync(Ct)).Name, (await session.GetEffectivePeerAsync(Ct)).Source));
        await session.UseAsync("local", Ct);
        Assert.Equal("local", await session.ResolveAsync(null, Ct));
    }

    [Fact]
    public async Task Per_call_peer_beats_everything()
    {
        var peers = new FakePeerDirectory().Add("desk2").Add("desk3");
        await using var session = Tools.Session(peers: peers);
        await session.UseAsync("desk2", Ct);
        Assert.Equal("desk3", await session.ResolveAsync("desk3", Ct));
        Assert.Equal("local", await session.ResolveAsync("local", Ct));
    }

    [Fact]
    public async Task Use_rejects_unknown_peers()
    {
        await using var session = Tools.Session(peers: new FakePeerDirectory().Add("desk2"));
        var e = await Assert.ThrowsAsync<NotFoundException>(() => session.UseAsync("nope", Ct).AsTask());
        Assert.Contains("Known: local, desk2", e.Message);
    }

    [Fact]
    public async Task Disconnect_clears_the_explicit_default_that_pointed_there()
    {
        var peers = new FakePeerDirectory().Add("desk2").Add("desk3");
        await using var session = Tools.Session(peers: peers);
        await session.UseAsync("desk2", Ct);
        _ = await session.GetContextAsync("desk2", Ct);
        Assert.Equal(["desk2"], await session.DisconnectAsync("desk2"));
        Assert.Null(session.ExplicitDefault);
        Assert.Empty(session.OpenConnections);
    }

    [Fact]
    public async Task Connections_are_lazy_and_cached()
    {
        var peers = new FakePeerDirectory().Add("desk2");
        await using var session = Tools.Session(peers: peers);
        var catalog = OpenDeskTools.Create(session);
        Assert.Empty(peers.Connects);
        await Tools.CallAsync(catalog, "clipboard", new { action = "write", text = "hi" });
        await Tools.CallAsync(catalog, "clipboard", new { action = "read" });
        Assert.Equal(1, peers.Connects["desk2"]);
        Assert.Equal(["desk2"], session.OpenConnections);
    }

    [Fact]
    public async Task Dead_connection_is_dropped_with_a_clear_message_and_reopened_next_call()
    {
        var peers = new FakePeerDirectory().Add("desk2");
        var dying = new List<DyingComputer>();
        peers.Factory = _ =>
        {
            var d = new DyingComputer(new FakeComputer());
            dying.Add(d);
            return d;
        };
        await using var session = Tools.Session(peers: peers);
        var catalog = OpenDeskTools.Create(session);
        Assert.StartsWith("[on desk2] ", Tools.Text(await Tools.CallAsync(catalog, "screenshot")));
        dying[0].Die();
        var e = await Assert.ThrowsAsync<ProtocolException>(() => Tools.CallAsync(catalog, "screenshot"));
        Assert.StartsWith("[on desk2] the connection to peer 'desk2' was lost (session evicted by the server)", e.Message);
        Assert.Contains("next call reconnects", e.Message);
        Assert.True(dying[0].Disposed);
        Assert.Empty(session.OpenConnections);
        Assert.StartsWith("[on desk2] Screenshot", Tools.Text(await Tools.CallAsync(catalog, "screenshot")));
        Assert.Equal(2, peers.Connects["desk2"]);
    }

    [Fact]
    public async Task Busy_peer_gives_an_actionable_message()
    {
        var peers = new FakePeerDirectory().Add("desk2");
        peers.ConnectError = new BusyException("server is busy: peer-aa11bb is the active controller. Disconnect them to take over.");
        await using var session = Tools.Session(peers: peers);
        var catalog = OpenDeskTools.Create(session);
        var e = await Assert.ThrowsAsync<BusyException>(() => Tools.CallAsync(catalog, "screenshot"));
        Assert.Contains("peer 'desk2' is busy", e.Message);
        Assert.Contains("Ask the active controller to disconnect", e.Message);
        Assert.Contains("peer-aa11bb is the active controller.", e.Message);
        Assert.DoesNotContain("take over", e.Message); // the server operator's hint is not repeated to the model
    }

    [Fact]
    public async Task Unknown_per_call_peer_lists_the_known_ones()
    {
        await using var session = Tools.Session(peers: new FakePeerDirectory().Add("desk2"));
        var e = await Assert.ThrowsAsync<NotFoundException>(() => Tools.CallAsync(OpenDeskTools.Create(session), "screenshot", new { peer = "desk7" }));
        Assert.Contains("unknown peer 'desk7'", e.Message);
        Assert.Contains("local, desk2", e.Message);
    }

    [Fact]
    public async Task Remote_results_are_prefixed_and_local_are_not()
    {
        var peers = new FakePeerDirectory().Add("desk2");
        var local = new FakeComputer();
        await using var session = Tools.Session(local, peers);
        var catalog = OpenDeskTools.Create(session);
        Assert.StartsWith("[on desk2] Running applications", Tools.Text(await Tools.CallAsync(catalog, "app", new { action = "list" })));
        Assert.StartsWith("Running applications", Tools.Text(await Tools.CallAsync(catalog, "app", new { action = "list", peer = "local" })));
        Assert.Contains("apps.list", local.Calls);
    }

    [Fact]
    public async Task Remote_errors_are_prefixed()
    {
        var peers = new FakePeerDirectory().Add("desk2");
        await using var session = Tools.Session(peers: peers);
        var e = await Assert.ThrowsAsync<NotFoundException>(() => Tools.CallAsync(OpenDeskTools.Create(session), "ui", new { action = "get_tree", app = "calc" }));
        Assert.StartsWith("[on desk2] ", e.Message);
    }

    [Fact]
    public async Task Frames_are_kept_per_peer_across_reconnects()
    {
        var peers = new FakePeerDirectory().Add("desk2");
        await using var session = Tools.Session(peers: peers, options: new OpenDeskToolOptions { MaxImageLongEdge = 640, ProbeWidth = 160 });
        var catalog = OpenDeskTools.Create(session);
        await Tools.CallAsync(catalog, "screenshot", new { peer = "desk2" });
        Assert.Null(session.GetFrame("local"));
        Assert.Equal(640, session.GetFrame("desk2")!.ImageWidth);
        await session.DisconnectAsync("desk2");
        Assert.Equal(640, session.GetFrame("desk2")!.ImageWidth);
    }

    [Fact]
    public async Task Lazy_local_is_created_on_first_local_use_only_and_retried_after_a_failure()
    {
        var peers = new FakePeerDirectory().Add("desk2");
        int created = 0;
        bool fail = true;
        await using var session = new McpSession(
            _ =>
            {
                created++;
                return fail ? throw new CapabilityUnsupportedException("no desktop here", (IReadOnlyDictionary<string, object?>?)null) : ValueTask.FromResult<IComputer>(new FakeComputer());
            },
            peers,
            new OpenDeskToolOptions { ProbeWidth = 160 });
        var catalog = OpenDeskTools.Create(session);

        // Admin tools and calls routed to the peer never create this machine's computer.
        Assert.Contains("desk2", Tools.Text(await Tools.CallAsync(catalog, "opendesk_peers")));
        Assert.Contains("Default peer: desk2 (implicit)", Tools.Text(await Tools.CallAsync(catalog, "opendesk_status")));
        Assert.StartsWith("[on desk2] Screenshot", Tools.Text(await Tools.CallAsync(catalog, "screenshot")));
        Assert.Equal(0, created);
        Assert.False(session.IsLocalCreated);

        // The first local call creates it; a failure is reported and the next local call tries again.
        var e = await Assert.ThrowsAsync<CapabilityUnsupportedException>(() => Tools.CallAsync(catalog, "screenshot", new { peer = "local" }));
        Assert.Contains("no desktop here", e.Message);
        fail = false;
        Assert.StartsWith("Screenshot", Tools.Text(await Tools.CallAsync(catalog, "screenshot", new { peer = "local" })));
        Assert.Contains("Backend: fake", Tools.Text(await Tools.CallAsync(catalog, "opendesk_capabilities", new { peer = "local" })));
        Assert.Equal(2, created);
        Assert.True(session.IsLocalCreated);
    }
}
