using OpenDesk.Core;
using OpenDesk.Remote.Protocol;
using static OpenDesk.Remote.Tests.Protocol.ProtocolTestKit;

namespace OpenDesk.Remote.Tests.Protocol;

/// <summary>The encrypted channel: tamper, replay, reorder, truncation, per-direction counters.</summary>
public sealed class SecureChannelTests
{
    private static readonly byte[] s_c2s = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
    private static readonly byte[] s_s2c = Enumerable.Range(101, 32).Select(i => (byte)i).ToArray();

    private static (SecureChannel Client, SecureChannel Server, Relay Relay) Pair(Func<int, byte[], byte[]?>? c2s = null)
    {
        var (client, server, relay) = Relay.Create(c2s);
        return (new SecureChannel(client, s_c2s, s_s2c), new SecureChannel(server, s_s2c, s_c2s), relay);
    }

    [Fact]
    public void WriteNonce_Counter_Is96BitBigEndianInLastBytes()
    {
        Span<byte> nonce = stackalloc byte[12];
        ProtocolCrypto.WriteNonce(nonce, 0x0102030405060708);
        Assert.Equal("000000000102030405060708", ToHex(nonce));
        ProtocolCrypto.WriteNonce(nonce, 1);
        Assert.Equal("000000000000000000000001", ToHex(nonce));
    }

    [Fact]
    public async Task Counters_AdvancePerDirectionIndependently_AndWireIsAeadWithCounterNonce()
    {
        var (client, server, relay) = Pair();
        await using var _ = relay;
        for (int i = 0; i < 3; i++)
        {
            await client.SendAsync(new[] { (byte)i }, Token);
        }

        await server.SendAsync("s"u8.ToArray(), Token);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(new[] { (byte)i }, await server.ReceiveAsync(Token));
        }

        Assert.Equal("s"u8.ToArray(), await client.ReceiveAsync(Token));
        Assert.Equal(3UL, client.SendCounter);
        Assert.Equal(1UL, client.ReceiveCounter);
        Assert.Equal(1UL, server.SendCounter);
        Assert.Equal(3UL, server.ReceiveCounter);

        // Cross-check with NSec (an independent ChaCha20-Poly1305): message i is AEAD(key, counter i).
        using var key = NSec.Cryptography.Key.Import(NSec.Cryptography.AeadAlgorithm.ChaCha20Poly1305, s_c2s, NSec.Cryptography.KeyBlobFormat.RawSymmetricKey);
        byte[] nonce = new byte[12];
        ProtocolCrypto.WriteNonce(nonce, 2);
        Assert.Equal(NSec.Cryptography.AeadAlgorithm.ChaCha20Poly1305.Encrypt(key, nonce, default, new byte[] { 2 }), relay.ClientToServer[2]);
        ProtocolCrypto.WriteNonce(nonce, 0);
        using var skey = NSec.Cryptography.Key.Import(NSec.Cryptography.AeadAlgorithm.ChaCha20Poly1305, s_s2c, NSec.Cryptography.KeyBlobFormat.RawSymmetricKey);
        Assert.Equal(NSec.Cryptography.AeadAlgorithm.ChaCha20Poly1305.Encrypt(skey, nonce, default, "s"u8), relay.ServerToClient[0]);
        await client.DisposeAsync();
        await server.DisposeAsync();
    }

    [Fact]
    public async Task Tamper_AnyByteOfAMessage_ClosesTheConnection()
    {
        byte[] plaintext = "a frame body"u8.ToArray();
        int length = plaintext.Length + 16;
        for (int index = 0; index < length; index++)
        {
            int target = index;
            var (client, server, relay) = Pair((_, m) =>
            {
                m[target] ^= 0x01;
                return m;
            });
            await using var _ = relay;
            await client.SendAsync(plaintext, Token);
            var error = await Assert.ThrowsAsync<ProtocolException>(async () => await server.ReceiveAsync(Token));
            Assert.Contains("integrity", error.Message, StringComparison.Ordinal);
            Assert.True(server.IsClosed);
            Assert.Null(await server.ReceiveAsync(Token));
            await client.DisposeAsync();
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task Replay_SameMessageTwice_SecondClosesTheConnection()
    {
        byte[]? first = null;
        var (client, server, relay) = Pair((i, m) =>
        {
            if (i == 0)
            {
                first = m;
                return m;
            }

            return first; // replay message 0 in place of message 1
        });
        await using var _ = relay;
        await client.SendAsync("one"u8.ToArray(), Token);
        await client.SendAsync("two"u8.ToArray(), Token);
        Assert.Equal("one"u8.ToArray(), await server.ReceiveAsync(Token));
        await Assert.ThrowsAsync<ProtocolException>(async () => await server.ReceiveAsync(Token));
        Assert.True(server.IsClosed);
        await client.DisposeAsync();
        await server.DisposeAsync();
    }

    [Fact]
    public async Task Reorder_SwappedMessages_ClosesTheConnection()
    {
        byte[]? held = null;
        var (client, server, relay) = Pair((i, m) =>
        {
            if (i == 0)
            {
                held = m;
                return null;
            }

            return i == 1 ? m : null;
        });
        await using var _ = relay;
        await client.SendAsync("one"u8.ToArray(), Token);
        await client.SendAsync("two"u8.ToArray(), Token);
        await Assert.ThrowsAsync<ProtocolException>(async () => await server.ReceiveAsync(Token));
        Assert.NotNull(held);
        await client.DisposeAsync();
        await server.DisposeAsync();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(15)]
    public async Task ShortMessage_BelowTagSize_ClosesTheConnection(int size)
    {
        var (a, b) = InMemoryTransport.CreatePair();
        var server = new SecureChannel(b, s_s2c, s_c2s);
        await a.SendAsync(new byte[size], Token);
        await Assert.ThrowsAsync<ProtocolException>(async () => await server.ReceiveAsync(Token));
        Assert.True(b.IsClosed);
        await server.DisposeAsync();
    }

    [Fact]
    public async Task WrongDirectionKey_FailsIntegrity()
    {
        var (a, b) = InMemoryTransport.CreatePair();
        var client = new SecureChannel(a, s_c2s, s_s2c);
        var confused = new SecureChannel(b, s_c2s, s_s2c); // expects s2c, gets c2s
        await client.SendAsync("x"u8.ToArray(), Token);
        await Assert.ThrowsAsync<ProtocolException>(async () => await confused.ReceiveAsync(Token));
        await client.DisposeAsync();
        await confused.DisposeAsync();
    }

    [Fact]
    public async Task Send_AfterClose_ThrowsIOException()
    {
        var (a, _) = InMemoryTransport.CreatePair();
        var client = new SecureChannel(a, s_c2s, s_s2c);
        await client.CloseAsync();
        await Assert.ThrowsAsync<IOException>(async () => await client.SendAsync("x"u8.ToArray(), Token));
        await client.DisposeAsync();
    }

    [Fact]
    public async Task ConcurrentSends_AllArriveAndDecrypt()
    {
        var (a, b) = InMemoryTransport.CreatePair();
        var client = new SecureChannel(a, s_c2s, s_s2c);
        var server = new SecureChannel(b, s_s2c, s_c2s);
        await Task.WhenAll(Enumerable.Range(0, 200).Select(i => Task.Run(async () => await client.SendAsync(BitConverter.GetBytes(i), Token))));
        var seen = new HashSet<int>();
        for (int i = 0; i < 200; i++)
        {
            seen.Add(BitConverter.ToInt32((await server.ReceiveAsync(Token))!));
        }

        Assert.Equal(200, seen.Count);
        await client.DisposeAsync();
        await server.DisposeAsync();
    }
}
