using System.Net.WebSockets;
using OpenDesk.Core;
using OpenDesk.Remote.Protocol;
using static OpenDesk.Remote.Tests.Protocol.ProtocolTestKit;

namespace OpenDesk.Remote.Tests.Protocol;

/// <summary>The WebSocket transport over a real Kestrel server on 127.0.0.1:0.</summary>
public sealed class WebSocketTransportTests
{
    /// <summary>Runs <paramref name="serverSide"/> on the accepted transport and reports its outcome.</summary>
    private static async Task<(LoopbackWebSocketServer Server, Task<T> Outcome)> ServeAsync<T>(Func<WebSocketTransport, Task<T>> serverSide, int maxMessageSize = TransportDefaults.MaxMessageSize)
    {
        var outcome = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        LoopbackWebSocketServer server = await LoopbackWebSocketServer.StartAsync(async transport =>
        {
            try
            {
                outcome.TrySetResult(await serverSide(transport));
            }
            catch (Exception ex)
            {
                outcome.TrySetException(ex);
            }
        }, maxMessageSize);
        return (server, outcome.Task);
    }

    [Fact]
    public async Task BinaryMessages_RoundTrip_IncludingEmptyAndLarge()
    {
        var (server, outcome) = await ServeAsync(async t =>
        {
            int count = 0;
            while (await t.ReceiveAsync(Token) is { } message)
            {
                await t.SendAsync(message, Token);
                count++;
            }

            return count;
        });
        await using var _ = server;
        await using WebSocketTransport client = await WebSocketTransport.ConnectAsync(new Uri(server.Uri + "#" + new string('a', 64)), Token);
        byte[] large = new byte[3 * 1024 * 1024 + 7];
        Random.Shared.NextBytes(large);
        foreach (byte[] message in new[] { "hi"u8.ToArray(), [], large })
        {
            await client.SendAsync(message, Token);
            Assert.Equal(message, await client.ReceiveAsync(Token));
        }

        await client.CloseAsync(Token);
        Assert.Equal(3, await outcome.WaitAsync(Wait));
    }

    [Fact]
    public async Task TextMessage_ClosesTheConnection()
    {
        var (server, outcome) = await ServeAsync(async t =>
        {
            try
            {
                await t.ReceiveAsync(Token);
                return "no error";
            }
            catch (ProtocolException ex)
            {
                return ex.Message + (await t.ReceiveAsync(Token) is null ? " then null" : " then data");
            }
        });
        await using var _ = server;
        using var raw = new ClientWebSocket();
        await raw.ConnectAsync(server.Uri, Token);
        await raw.SendAsync("{\"json\":1}"u8.ToArray(), WebSocketMessageType.Text, true, Token);
        var result = await raw.ReceiveAsync(new byte[16], Token);
        Assert.Equal(WebSocketMessageType.Close, result.MessageType);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, result.CloseStatus);
        Assert.Contains("text", await outcome.WaitAsync(Wait), StringComparison.Ordinal);
        Assert.EndsWith("then null", await outcome, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OversizeMessage_RejectedBeforeDecode_WithMessageTooBig()
    {
        var (server, outcome) = await ServeAsync(async t =>
        {
            byte[]? ok = await t.ReceiveAsync(Token);
            try
            {
                await t.ReceiveAsync(Token);
                return "accepted";
            }
            catch (ProtocolException ex)
            {
                return $"{ok?.Length}:{ex.Message}";
            }
        }, maxMessageSize: 64 * 1024);
        await using var _ = server;
        using var raw = new ClientWebSocket();
        await raw.ConnectAsync(server.Uri, Token);
        await raw.SendAsync(new byte[64 * 1024], WebSocketMessageType.Binary, true, Token); // exactly the cap: fine
        // Over the cap, sent in fragments: rejected as soon as the total passes the cap.
        for (int i = 0; i < 4; i++)
        {
            await raw.SendAsync(new byte[20 * 1024], WebSocketMessageType.Binary, false, Token);
        }

        string text = await outcome.WaitAsync(Wait);
        Assert.StartsWith("65536:", text, StringComparison.Ordinal);
        Assert.Contains("cap", text, StringComparison.Ordinal);
        var result = await raw.ReceiveAsync(new byte[16], Token);
        Assert.Equal(WebSocketMessageType.Close, result.MessageType);
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, result.CloseStatus);
    }

    [Fact]
    public async Task FragmentedBinaryMessage_IsReassembled()
    {
        var (server, outcome) = await ServeAsync(async t => await t.ReceiveAsync(Token));
        await using var _ = server;
        using var raw = new ClientWebSocket();
        await raw.ConnectAsync(server.Uri, Token);
        await raw.SendAsync("ab"u8.ToArray(), WebSocketMessageType.Binary, false, Token);
        await raw.SendAsync("cd"u8.ToArray(), WebSocketMessageType.Binary, false, Token);
        await raw.SendAsync("e"u8.ToArray(), WebSocketMessageType.Binary, true, Token);
        Assert.Equal("abcde"u8.ToArray(), await outcome.WaitAsync(Wait));
    }

    [Fact]
    public async Task RemoteClose_ReceiveReturnsNull_AndSendThrowsIOException()
    {
        var (server, outcome) = await ServeAsync(async t =>
        {
            byte[]? first = await t.ReceiveAsync(Token);
            await t.CloseAsync(Token);
            return first;
        });
        await using var _ = server;
        await using WebSocketTransport client = await WebSocketTransport.ConnectAsync(server.Uri, Token);
        await client.SendAsync("x"u8.ToArray(), Token);
        Assert.Equal("x"u8.ToArray(), await outcome.WaitAsync(Wait));
        Assert.Null(await client.ReceiveAsync(Token));
        await Assert.ThrowsAsync<IOException>(async () => await client.SendAsync("y"u8.ToArray(), Token));
    }

    [Fact]
    public async Task ConcurrentSends_AreSerialised()
    {
        var (server, outcome) = await ServeAsync(async t =>
        {
            var seen = new HashSet<int>();
            for (int i = 0; i < 200; i++)
            {
                seen.Add(BitConverter.ToInt32((await t.ReceiveAsync(Token))!));
            }

            return seen.Count;
        });
        await using var _ = server;
        await using WebSocketTransport client = await WebSocketTransport.ConnectAsync(server.Uri, Token);
        await Task.WhenAll(Enumerable.Range(0, 200).Select(i => Task.Run(async () => await client.SendAsync(BitConverter.GetBytes(i), Token))));
        Assert.Equal(200, await outcome.WaitAsync(Wait));
    }
}
