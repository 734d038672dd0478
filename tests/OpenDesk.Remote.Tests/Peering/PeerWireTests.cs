using OpenDesk.Core;
using OpenDesk.Remote.Protocol;
using static OpenDesk.Remote.Tests.Protocol.ProtocolTestKit;

namespace OpenDesk.Remote.Tests.Peering;

/// <summary>Peer behaviour checked frame by frame against a hand-driven raw channel.</summary>
public sealed class PeerWireTests
{
    [Fact]
    public async Task Invoke_Ids_StartAtOneAndIncrease()
    {
        await using var h = await RawPeerHarness.CreateAsync();
        Task<object?> first = h.Peer.InvokeAsync("a", null, Token);
        Task<object?> second = h.Peer.InvokeAsync("b", new Dictionary<string, object?> { ["k"] = 1L }, Token);
        var r1 = Assert.IsType<RequestFrame>(await h.ReceiveAsync());
        var r2 = Assert.IsType<RequestFrame>(await h.ReceiveAsync());
        Assert.Equal([1L, 2L], new[] { r1.Id, r2.Id }.Order().ToArray());
        Assert.False(r1.Stream);
        // Answer out of order; each call gets its own result.
        await h.SendAsync(new ResponseFrame(2, 0, true, new Dictionary<string, object?> { ["r"] = "two" }, null));
        await h.SendAsync(new ResponseFrame(1, 0, true, new Dictionary<string, object?> { ["r"] = "one" }, null));
        var byId = new Dictionary<long, string> { [r1.Id] = r1.Method, [r2.Id] = r2.Method };
        Assert.Equal(byId[1] == "a" ? "one" : "two", ((Dictionary<string, object?>)(await first)!)["r"]);
    }

    [Fact]
    public async Task Invoke_CallerCancels_CancelFrameOnWire_LateResponseIgnored()
    {
        await using var h = await RawPeerHarness.CreateAsync();
        using var cts = new CancellationTokenSource();
        Task<object?> call = h.Peer.InvokeAsync("slow", null, cts.Token);
        var req = Assert.IsType<RequestFrame>(await h.ReceiveAsync());
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        var cancel = Assert.IsType<CancelFrame>(await h.ReceiveAsync());
        Assert.Equal(req.Id, cancel.Id);
        // The callee's "cancelled" answer (or a late result, or an unknown id) is tolerated.
        await h.SendAsync(new ResponseFrame(req.Id, 0, true, null, new ErrorInfo("cancelled", "cancelled")));
        await h.SendAsync(new ResponseFrame(999, 0, true, null, null));
        Task<object?> next = h.Peer.InvokeAsync("echo", null, Token);
        var req2 = Assert.IsType<RequestFrame>(await h.ReceiveAsync());
        await h.SendAsync(new ResponseFrame(req2.Id, 0, true, null, null));
        Assert.Null(await next);
    }

    [Fact]
    public async Task InboundCancel_CancelsHandler_AndAnswersCancelled()
    {
        var handler = new TestHandler();
        await using var h = await RawPeerHarness.CreateAsync(handler);
        await h.SendAsync(new RequestFrame(5, "slow", false, Frame.EmptyMap));
        await handler.SlowStarted.Task.WaitAsync(Wait);
        await h.SendAsync(new CancelFrame(5, "timeout"));
        var res = Assert.IsType<ResponseFrame>(await h.ReceiveAsync());
        Assert.Equal(5, res.Id);
        Assert.True(res.End);
        Assert.Equal("cancelled", res.Error!.Code);
        await handler.SlowCancelled.Task.WaitAsync(Wait);
    }

    [Fact]
    public async Task InboundStream_SendsSeqItemsThenEndWithSeqN()
    {
        await using var h = await RawPeerHarness.CreateAsync(new TestHandler());
        await h.SendAsync(new RequestFrame(3, "count", true, new Dictionary<string, object?> { ["n"] = 3L }));
        for (long i = 0; i < 3; i++)
        {
            var item = Assert.IsType<ResponseFrame>(await h.ReceiveAsync());
            Assert.Equal((3L, i, false), (item.Id, item.Seq, item.End));
            Assert.Equal(i, ((Dictionary<string, object?>)item.Result!)["i"]);
            Assert.Null(item.Error);
        }

        var end = Assert.IsType<ResponseFrame>(await h.ReceiveAsync());
        Assert.Equal((3L, 3L, true), (end.Id, end.Seq, end.End));
        Assert.Null(end.Result);
        Assert.Null(end.Error);
    }

    [Fact]
    public async Task HandlerResultWithoutMsgpackForm_AnswersInternal()
    {
        await using var h = await RawPeerHarness.CreateAsync(new TestHandler());
        await h.SendAsync(new RequestFrame(1, "unencodable", false, Frame.EmptyMap));
        var res = Assert.IsType<ResponseFrame>(await h.ReceiveAsync());
        Assert.Equal("internal", res.Error!.Code);
        Assert.Contains("could not be encoded", res.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoHandler_AnswersCapabilityUnsupported()
    {
        await using var h = await RawPeerHarness.CreateAsync();
        await h.SendAsync(new RequestFrame(1, "display.capture", false, Frame.EmptyMap));
        var res = Assert.IsType<ResponseFrame>(await h.ReceiveAsync());
        Assert.Equal("capability_unsupported", res.Error!.Code);
    }

    [Fact]
    public async Task GarbageFrame_ClosesConnection_AndFailsInFlightCalls()
    {
        await using var h = await RawPeerHarness.CreateAsync();
        Task<object?> call = h.Peer.InvokeAsync("x", null, Token);
        await h.ReceiveAsync();
        await h.Raw.SendAsync(new byte[] { 0x93, 1, 2, 3 }, Token); // an array, not a frame map
        var error = await Assert.ThrowsAsync<PeerDisconnectedException>(() => call).WaitAsync(Wait);
        Assert.Contains("protocol violation", error.Message, StringComparison.Ordinal);
        await h.Peer.Completion.WaitAsync(Wait);
        Assert.IsType<ProtocolException>(h.Peer.CloseReason);
    }

    [Fact]
    public async Task ExchangeHello_WithError_ThrowsMatchingOpenDeskException()
    {
        await using var h = await RawPeerHarness.CreateAsync(start: false);
        Task<HelloFrame> hello = h.Peer.ExchangeHelloAsync(HelloFrame.Client(), Token);
        Assert.IsType<HelloFrame>(await h.ReceiveAsync());
        await h.SendAsync(HelloFrame.Rejection(new ErrorInfo("busy", "server is busy: desk is the active controller.")));
        var busy = await Assert.ThrowsAsync<BusyException>(() => hello);
        Assert.Equal("server is busy: desk is the active controller.", busy.Message);
    }

    [Fact]
    public async Task ExchangeHello_FirstFrameNotHello_ThrowsProtocol()
    {
        await using var h = await RawPeerHarness.CreateAsync(start: false);
        Task<HelloFrame> hello = h.Peer.ExchangeHelloAsync(HelloFrame.Client(), Token);
        await h.ReceiveAsync();
        await h.SendAsync(new PushFrame("x", Frame.EmptyMap));
        await Assert.ThrowsAsync<ProtocolException>(() => hello);
    }

    [Fact]
    public async Task ExchangeHello_ConnectionClosed_ThrowsPeerDisconnected()
    {
        await using var h = await RawPeerHarness.CreateAsync(start: false);
        Task<HelloFrame> hello = h.Peer.ExchangeHelloAsync(HelloFrame.Client(), Token);
        await h.ReceiveAsync();
        await h.Raw.CloseAsync();
        await Assert.ThrowsAsync<PeerDisconnectedException>(() => hello);
    }

    [Fact]
    public async Task Push_UnknownTopicAndThrowingCallback_DoNotBreakTheConnection()
    {
        await using var h = await RawPeerHarness.CreateAsync(start: false);
        int seen = 0;
        h.Peer.PushReceived = _ =>
        {
            seen++;
            throw new InvalidOperationException("callback bug");
        };
        h.Peer.Start();
        await h.SendAsync(new PushFrame("some.future.topic", Frame.EmptyMap));
        Task<object?> call = h.Peer.InvokeAsync("echo", null, Token);
        var req = Assert.IsType<RequestFrame>(await h.ReceiveAsync());
        await h.SendAsync(new ResponseFrame(req.Id, 0, true, null, null));
        Assert.Null(await call);
        Assert.Equal(1, seen);
    }
}
