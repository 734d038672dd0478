using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using OpenDesk.Core;
using OpenDesk.Remote.Peering;
using OpenDesk.Remote.Protocol;
using OpenDesk.Remote.Tests.Protocol;

namespace OpenDesk.Remote.Tests.Peering;

/// <summary>A scriptable handler: method names select behaviours.</summary>
internal sealed class TestHandler : IRequestHandler
{
    public TaskCompletionSource SlowStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource SlowCancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource StreamCancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ConcurrentQueue<string> Calls { get; } = new();

    public async ValueTask<object?> HandleAsync(string method, IReadOnlyDictionary<string, object?> parameters, CancellationToken cancellationToken)
    {
        Calls.Enqueue(method);
        switch (method)
        {
            case "echo":
                return new Dictionary<string, object?>(parameters);
            case "null":
                return null;
            case "delay":
                await Task.Delay(TimeSpan.FromMilliseconds((long)parameters["ms"]!), cancellationToken);
                return new Dictionary<string, object?>(parameters);
            case "slow":
                SlowStarted.TrySetResult();
                try
                {
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    SlowCancelled.TrySetResult();
                    throw;
                }

                return null;
            case "throw.argument":
                throw new ArgumentException("bad argument x");
            case "throw.other":
                throw new InvalidOperationException("boom");
            case "throw.cancel":
                throw new OperationCanceledException();
            case "unencodable":
                return new Dictionary<string, object?> { ["x"] = new object() };
            case "big":
                return new Dictionary<string, object?> { ["data"] = new byte[(int)(long)parameters["size"]!] };
            default:
                if (method.StartsWith("fail.", StringComparison.Ordinal))
                {
                    ErrorCode code = ErrorCodes.TryParse(method["fail.".Length..], out ErrorCode parsed) ? parsed : ErrorCode.Internal;
                    throw OpenDeskException.FromCode(code, "failed with " + code, new Dictionary<string, object?> { ["capability"] = "display.capture", ["n"] = 1L });
                }

                throw new CapabilityUnsupportedException(method, "test");
        }
    }

    public async IAsyncEnumerable<object?> HandleStreamAsync(string method, IReadOnlyDictionary<string, object?> parameters, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Calls.Enqueue(method);
        switch (method)
        {
            case "count":
                long n = (long)parameters["n"]!;
                for (long i = 0; i < n; i++)
                {
                    yield return new Dictionary<string, object?> { ["i"] = i };
                }

                break;
            case "count.fail":
                yield return new Dictionary<string, object?> { ["i"] = 0L };
                yield return new Dictionary<string, object?> { ["i"] = 1L };
                throw new NotFoundException("no more");
            case "infinite":
                long k = 0;
                while (true)
                {
                    if (cancellationToken.IsCancellationRequested)
                    {
                        StreamCancelled.TrySetResult();
                        cancellationToken.ThrowIfCancellationRequested();
                    }

                    yield return new Dictionary<string, object?> { ["i"] = k++ };
                    try
                    {
                        await Task.Delay(1, cancellationToken);
                    }
                    catch (OperationCanceledException)
                    {
                        StreamCancelled.TrySetResult();
                        throw;
                    }
                }

            default:
                throw new CapabilityUnsupportedException(method, "test");
        }
    }
}

/// <summary>Two connected, started peers (client and server), over memory or real WebSockets.</summary>
internal sealed class PeerPair : IAsyncDisposable
{
    private LoopbackWebSocketServer? _server;

    public required Peer Client { get; init; }

    public required Peer Server { get; set; }

    public required TestHandler ServerHandler { get; init; }

    public required HelloFrame ServerHelloSeenByClient { get; init; }

    public static readonly IReadOnlyDictionary<string, object?> Manifest = ValueCodec.ToWire(new CapabilityManifest(
        [Capability.DisplayCapture], new Dictionary<string, IReadOnlyDictionary<string, object?>>(), Backend: "test"));

    public static async Task<PeerPair> CreateAsync(string kind, PeerOptions? clientOptions = null)
    {
        var handler = new TestHandler();
        if (kind == "memory")
        {
            var (a, b) = InMemoryTransport.CreatePair();
            byte[] c2s = new byte[32], s2c = new byte[32];
            Random.Shared.NextBytes(c2s);
            Random.Shared.NextBytes(s2c);
            var client = new Peer(new SecureChannel(a, c2s, s2c), null, clientOptions);
            var server = new Peer(new SecureChannel(b, s2c, c2s), handler);
            var serverHello = server.ExchangeHelloAsync(HelloFrame.Server(Manifest), ProtocolTestKit.Token);
            HelloFrame seen = await client.ExchangeHelloAsync(HelloFrame.Client(), ProtocolTestKit.Token);
            await serverHello;
            client.Start();
            server.Start();
            return new PeerPair { Client = client, Server = server, ServerHandler = handler, ServerHelloSeenByClient = seen };
        }

        Identity serverId = Identity.Generate();
        Identity clientId = Identity.Generate();
        var serverPeer = new TaskCompletionSource<Peer>(TaskCreationOptions.RunContinuationsAsynchronously);
        LoopbackWebSocketServer ws = await LoopbackWebSocketServer.StartAsync(async transport =>
        {
            var (channel, _) = await Handshake.AuthAsServerAsync(transport, serverId, _ => true, CancellationToken.None);
            await using var peer = new Peer(channel, handler);
            await peer.ExchangeHelloAsync(HelloFrame.Server(Manifest), CancellationToken.None);
            peer.Start();
            serverPeer.TrySetResult(peer);
            await peer.Completion;
        });
        WebSocketTransport clientTransport = await WebSocketTransport.ConnectAsync(ws.Uri, ProtocolTestKit.Token);
        SecureChannel clientChannel = await Handshake.AuthAsClientAsync(clientTransport, clientId, serverId.PublicKey, ProtocolTestKit.Token);
        var clientPeer = new Peer(clientChannel, null, clientOptions);
        HelloFrame hello = await clientPeer.ExchangeHelloAsync(HelloFrame.Client(), ProtocolTestKit.Token);
        clientPeer.Start();
        return new PeerPair
        {
            Client = clientPeer,
            Server = await serverPeer.Task.WaitAsync(ProtocolTestKit.Wait),
            ServerHandler = handler,
            ServerHelloSeenByClient = hello,
            _server = ws,
        };
    }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        await Server.DisposeAsync();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

/// <summary>A started client peer facing a raw channel, so tests can read and write frames by hand.</summary>
internal sealed class RawPeerHarness : IAsyncDisposable
{
    public required Peer Peer { get; init; }

    public required SecureChannel Raw { get; init; }

    public static async Task<RawPeerHarness> CreateAsync(IRequestHandler? handler = null, bool start = true)
    {
        var (a, b) = InMemoryTransport.CreatePair();
        byte[] k1 = new byte[32], k2 = new byte[32];
        Random.Shared.NextBytes(k1);
        Random.Shared.NextBytes(k2);
        var harness = new RawPeerHarness { Peer = new Peer(new SecureChannel(a, k1, k2), handler), Raw = new SecureChannel(b, k2, k1) };
        if (start)
        {
            harness.Peer.Start();
        }

        await Task.CompletedTask;
        return harness;
    }

    public Task SendAsync(Frame frame) => Raw.SendAsync(FrameCodec.Encode(frame), ProtocolTestKit.Token).AsTask();

    public async Task<Frame> ReceiveAsync()
    {
        byte[] data = (await Raw.ReceiveAsync(ProtocolTestKit.Token).AsTask().WaitAsync(ProtocolTestKit.Wait))!;
        return FrameCodec.Decode(data);
    }

    public async ValueTask DisposeAsync()
    {
        await Peer.DisposeAsync();
        await Raw.DisposeAsync();
    }
}
