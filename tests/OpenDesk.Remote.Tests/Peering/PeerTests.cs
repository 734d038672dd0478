using OpenDesk.Core;
using OpenDesk.Remote.Peering;
using OpenDesk.Remote.Protocol;
using static OpenDesk.Remote.Tests.Protocol.ProtocolTestKit;

namespace OpenDesk.Remote.Tests.Peering;

/// <summary>Peer behaviour; each test runs over the in-memory pair and over real WebSockets (Kestrel, 127.0.0.1).</summary>
public sealed class PeerTests
{
    public static TheoryData<string> Kinds() => new() { "memory", "websocket" };

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task ExchangeHello_ServerManifest_ReachesClient(string kind)
    {
        await using PeerPair pair = await PeerPair.CreateAsync(kind);
        Assert.Equal("server", pair.ServerHelloSeenByClient.Role);
        CapabilityManifest manifest = ValueCodec.ReadCapabilityManifest(pair.ServerHelloSeenByClient.Capabilities);
        Assert.Equal("test", manifest.Backend);
        Assert.True(manifest.Has(Capability.DisplayCapture));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Invoke_Echo_ReturnsParamsAndNullResult(string kind)
    {
        await using PeerPair pair = await PeerPair.CreateAsync(kind);
        var result = Assert.IsType<Dictionary<string, object?>>(await pair.Client.InvokeAsync("echo", new Dictionary<string, object?> { ["a"] = "b", ["bin"] = new byte[] { 1 } }, Token));
        Assert.Equal("b", result["a"]);
        Assert.Equal(new byte[] { 1 }, result["bin"]);
        Assert.Null(await pair.Client.InvokeAsync("null", null, Token));
        Assert.Equal(2, pair.Client.LastRequestId);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Invoke_CalleeErrors_MapToEveryErrorCode(string kind)
    {
        await using PeerPair pair = await PeerPair.CreateAsync(kind);
        foreach (ErrorCode code in Enum.GetValues<ErrorCode>())
        {
            var error = await Assert.ThrowsAnyAsync<OpenDeskException>(() => pair.Client.InvokeAsync("fail." + code.ToWireName(), null, Token));
            Assert.Equal(code, error.Code);
            Assert.Equal(OpenDeskException.FromCode(code, "x").GetType(), error.GetType());
            Assert.Equal("failed with " + code, error.Message);
            Assert.Equal("display.capture", error.Details["capability"]);
            Assert.Equal(1L, error.Details["n"]);
        }

        Assert.IsType<InvalidArgumentException>(await Assert.ThrowsAnyAsync<OpenDeskException>(() => pair.Client.InvokeAsync("throw.argument", null, Token)));
        var other = await Assert.ThrowsAsync<InternalErrorException>(() => pair.Client.InvokeAsync("throw.other", null, Token));
        Assert.Equal("boom", other.Message);
        await Assert.ThrowsAsync<CallCancelledException>(() => pair.Client.InvokeAsync("throw.cancel", null, Token));
        var unknown = await Assert.ThrowsAsync<CapabilityUnsupportedException>(() => pair.Client.InvokeAsync("no.such.method", null, Token));
        Assert.Equal("no.such.method", unknown.Details["capability"]);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Invoke_CallerCancels_SendsCancelAndThrowsWithCallerToken(string kind)
    {
        await using PeerPair pair = await PeerPair.CreateAsync(kind);
        using var cts = new CancellationTokenSource();
        Task<object?> call = pair.Client.InvokeAsync("slow", null, cts.Token);
        await pair.ServerHandler.SlowStarted.Task.WaitAsync(Wait);
        await cts.CancelAsync();
        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        Assert.Equal(cts.Token, error.CancellationToken);
        await pair.ServerHandler.SlowCancelled.Task.WaitAsync(Wait); // the callee's handler was cancelled
        Assert.NotNull(await pair.Client.InvokeAsync("echo", null, Token)); // the connection is still fine
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Stream_MoreItemsThanBuffer_AllArriveInOrderWithBackpressure(string kind)
    {
        await using PeerPair pair = await PeerPair.CreateAsync(kind, new PeerOptions { StreamBufferSize = 4 });
        long expected = 0;
        await foreach (object? item in pair.Client.StreamAsync("count", new Dictionary<string, object?> { ["n"] = 300L }, Token))
        {
            Assert.Equal(expected++, ((Dictionary<string, object?>)item!)["i"]);
            if (expected % 50 == 0)
            {
                await Task.Yield(); // a slow consumer
            }
        }

        Assert.Equal(300, expected);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Stream_EndsWithError_ThrowsAfterItems(string kind)
    {
        await using PeerPair pair = await PeerPair.CreateAsync(kind);
        var items = new List<object?>();
        var error = await Assert.ThrowsAsync<NotFoundException>(async () =>
        {
            await foreach (object? item in pair.Client.StreamAsync("count.fail", null, Token))
            {
                items.Add(item);
            }
        });
        Assert.Equal(2, items.Count);
        Assert.Equal("no more", error.Message);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Stream_ConsumerStopsEarly_CancelsTheCallee(string kind)
    {
        await using PeerPair pair = await PeerPair.CreateAsync(kind);
        int count = 0;
        await foreach (object? _ in pair.Client.StreamAsync("infinite", null, Token))
        {
            if (++count == 5)
            {
                break;
            }
        }

        await pair.ServerHandler.StreamCancelled.Task.WaitAsync(Wait);
        Assert.NotNull(await pair.Client.InvokeAsync("echo", null, Token));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Stream_CallerTokenCancelled_ThrowsWithCallerToken(string kind)
    {
        await using PeerPair pair = await PeerPair.CreateAsync(kind);
        using var cts = new CancellationTokenSource();
        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (object? _ in pair.Client.StreamAsync("infinite", null, cts.Token))
            {
                await cts.CancelAsync();
            }
        });
        Assert.Equal(cts.Token, error.CancellationToken);
        await pair.ServerHandler.StreamCancelled.Task.WaitAsync(Wait);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Push_FromServer_ReachesClientCallback(string kind)
    {
        var received = new TaskCompletionSource<PushFrame>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using PeerPair pair = await PeerPair.CreateAsync(kind);
        pair.Client.PushReceived = p => received.TrySetResult(p);
        await pair.Server.SendPushAsync(PushFrame.SessionEvicted, new Dictionary<string, object?> { ["reason"] = "admin_disconnect" }, Token);
        PushFrame push = await received.Task.WaitAsync(Wait);
        Assert.Equal("session.evicted", push.Topic);
        Assert.Equal("admin_disconnect", push.Payload["reason"]);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Invoke_HundredConcurrentCalls_AllGetTheirOwnResults(string kind)
    {
        await using PeerPair pair = await PeerPair.CreateAsync(kind);
        var random = new Random(7);
        var calls = Enumerable.Range(0, 100).Select(i => pair.Client.InvokeAsync("delay", new Dictionary<string, object?> { ["ms"] = (long)random.Next(0, 20), ["i"] = (long)i }, Token)).ToArray();
        object?[] results = await Task.WhenAll(calls).WaitAsync(Wait);
        for (int i = 0; i < results.Length; i++)
        {
            Assert.Equal((long)i, ((Dictionary<string, object?>)results[i]!)["i"]);
        }

        Assert.Equal(100, pair.Client.LastRequestId);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Disconnect_MidCall_FailsInFlightCallsWithPeerDisconnected(string kind)
    {
        await using PeerPair pair = await PeerPair.CreateAsync(kind);
        Task<object?> unary = pair.Client.InvokeAsync("slow", null, Token);
        await pair.ServerHandler.SlowStarted.Task.WaitAsync(Wait);
        var stream = pair.Client.StreamAsync("infinite", null, Token).GetAsyncEnumerator(Token);
        Assert.True(await stream.MoveNextAsync());

        await pair.Server.DisposeAsync(); // the transport drops
        await Assert.ThrowsAsync<PeerDisconnectedException>(() => unary).WaitAsync(Wait);
        await Assert.ThrowsAsync<PeerDisconnectedException>(async () =>
        {
            while (await stream.MoveNextAsync())
            {
            }
        }).WaitAsync(Wait);
        await stream.DisposeAsync();
        await pair.Client.Completion.WaitAsync(Wait);
        Assert.True(pair.Client.IsClosed);
        await Assert.ThrowsAsync<PeerDisconnectedException>(() => pair.Client.InvokeAsync("echo", null, Token));
        await pair.ServerHandler.SlowCancelled.Task.WaitAsync(Wait); // inbound handlers are cancelled too
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Invoke_LargeResult_RoundTrips(string kind)
    {
        await using PeerPair pair = await PeerPair.CreateAsync(kind);
        var result = (Dictionary<string, object?>)(await pair.Client.InvokeAsync("big", new Dictionary<string, object?> { ["size"] = 1920L * 1080 * 3 }, Token))!;
        Assert.Equal(1920 * 1080 * 3, ((byte[])result["data"]!).Length);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Invoke_ManyCallersCancellingAtOnce_NeverBreakTheConnection(string kind)
    {
        await using PeerPair pair = await PeerPair.CreateAsync(kind);
        var big = new Dictionary<string, object?> { ["blob"] = new byte[256 * 1024], ["ms"] = 0L };
        var calls = new List<Task>();
        var sources = new List<CancellationTokenSource>();
        for (int i = 0; i < 40; i++)
        {
            var cts = new CancellationTokenSource();
            sources.Add(cts);
            calls.Add(pair.Client.InvokeAsync("delay", big, cts.Token));
            await cts.CancelAsync(); // cancelled while queued for the send lock, mid-send or waiting for the answer
        }

        foreach (Task call in calls)
        {
            try
            {
                await call.WaitAsync(Wait);
            }
            catch (OperationCanceledException)
            {
            }
        }

        sources.ForEach(s => s.Dispose());
        Assert.False(pair.Client.IsClosed);
        Assert.NotNull(await pair.Client.InvokeAsync("echo", null, Token));
    }

    [Fact]
    public async Task DisposeClient_WithCallInFlight_FailsTheCall()
    {
        await using PeerPair pair = await PeerPair.CreateAsync("memory");
        Task<object?> call = pair.Client.InvokeAsync("slow", null, Token);
        await pair.ServerHandler.SlowStarted.Task.WaitAsync(Wait);
        await pair.Client.DisposeAsync();
        await Assert.ThrowsAsync<PeerDisconnectedException>(() => call).WaitAsync(Wait);
    }
}
