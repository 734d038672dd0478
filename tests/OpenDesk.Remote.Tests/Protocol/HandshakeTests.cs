using OpenDesk.Remote.Protocol;
using static OpenDesk.Remote.Tests.Protocol.ProtocolTestKit;

namespace OpenDesk.Remote.Tests.Protocol;

/// <summary>The handshake matrix: right/wrong code, untrusted key, unexpected server key, bad messages, stalls.</summary>
public sealed class HandshakeTests
{
    private static readonly HandshakeOptions s_short = WithTimeout(TimeSpan.FromMilliseconds(300));

    [Fact]
    public async Task Pair_RightCode_BothSidesLearnKeysAndChannelWorks()
    {
        var (a, b) = InMemoryTransport.CreatePair();
        using Identity server = Identity.Generate();
        using Identity client = Identity.Generate();
        var serverTask = Handshake.PairAsServerAsync(b, "424242", server, Token);
        var (clientChannel, serverKey) = await Handshake.PairAsClientAsync(a, "424242", client, Token);
        var (serverChannel, clientKey) = await serverTask;
        Assert.Equal(server.PublicKey, serverKey);
        Assert.Equal(client.PublicKey, clientKey);
        await AssertChannelsTalkAsync(clientChannel, serverChannel);
    }

    [Fact]
    public async Task Pair_ServerWithPrecomputedSecret_ServesSeveralAttempts()
    {
        PairingSecret secret = await PairingSecret.DeriveAsync("135790", Token);
        using Identity server = Identity.Generate();
        using Identity client = Identity.Generate();
        foreach (string code in new[] { "000001", "135790" })
        {
            var (a, b) = InMemoryTransport.CreatePair();
            var serverTask = Handshake.PairAsServerAsync(b, secret, server, HandshakeOptions.Default, Token);
            if (code == "135790")
            {
                var (clientChannel, serverKey) = await Handshake.PairAsClientAsync(a, code, client, Token);
                var (serverChannel, clientKey) = await serverTask;
                Assert.Equal(server.PublicKey, serverKey);
                Assert.Equal(client.PublicKey, clientKey);
                await AssertChannelsTalkAsync(clientChannel, serverChannel);
            }
            else
            {
                Assert.Equal(HandshakeFailure.WrongCode, (await Assert.ThrowsAsync<HandshakeException>(() => Handshake.PairAsClientAsync(a, code, client, Token))).Reason);
                await Assert.ThrowsAsync<HandshakeException>(() => serverTask);
            }
        }
    }

    [Fact]
    public async Task Pair_WrongCode_ClientFailsWithWrongCodeAndServerSeesNoSuccess()
    {
        var (a, b) = InMemoryTransport.CreatePair();
        using Identity server = Identity.Generate();
        using Identity client = Identity.Generate();
        var serverTask = Handshake.PairAsServerAsync(b, "111111", server, Token);
        var clientError = await Assert.ThrowsAsync<HandshakeException>(() => Handshake.PairAsClientAsync(a, "222222", client, Token));
        Assert.Equal(HandshakeFailure.WrongCode, clientError.Reason);
        Assert.Equal("wrong_code", clientError.ReasonName);
        var serverError = await Assert.ThrowsAsync<HandshakeException>(() => serverTask);
        Assert.Equal(HandshakeFailure.Protocol, serverError.Reason); // the client hung up before pair_finish
        Assert.True(a.IsClosed);
        Assert.True(b.IsClosed);
    }

    [Fact]
    public async Task PairServer_FinishThatDoesNotDecrypt_FailsWithWrongCode()
    {
        var (a, b) = InMemoryTransport.CreatePair();
        using Identity server = Identity.Generate();
        var serverTask = Handshake.PairAsServerAsync(b, "111111", server, Token);
        byte[] ec = ProtocolCrypto.CreatePrivateKey();
        await a.SendAsync(HandshakeMessages.EncodePairHello(ProtocolCrypto.PublicKeyOf(ec)), Token);
        HandshakeMessage offer = HandshakeMessages.Parse((await a.ReceiveAsync(Token))!, HandshakeMessages.PairOffer);
        Assert.Equal(48, offer.Ct!.Length);
        await a.SendAsync(HandshakeMessages.EncodePairFinish(new byte[48]), Token);
        var error = await Assert.ThrowsAsync<HandshakeException>(() => serverTask);
        Assert.Equal(HandshakeFailure.WrongCode, error.Reason);
        Assert.Null(await a.ReceiveAsync(Token)); // closed
    }

    [Fact]
    public async Task Auth_TrustedClientAndExpectedServer_Succeeds()
    {
        var (a, b) = InMemoryTransport.CreatePair();
        using Identity server = Identity.Generate();
        using Identity client = Identity.Generate();
        var serverTask = Handshake.AuthAsServerAsync(b, server, k => k.AsSpan().SequenceEqual(client.PublicKey), Token);
        SecureChannel clientChannel = await Handshake.AuthAsClientAsync(a, client, server.PublicKey, Token);
        var (serverChannel, clientKey) = await serverTask;
        Assert.Equal(client.PublicKey, clientKey);
        await AssertChannelsTalkAsync(clientChannel, serverChannel);
    }

    [Fact]
    public async Task Auth_UntrustedClient_ServerUntrustedPeerClientUnexpectedPeerWithEmptyCt()
    {
        var (client, server, relay) = Relay.Create();
        await using var _ = relay;
        using Identity serverId = Identity.Generate();
        using Identity clientId = Identity.Generate();
        byte[]? seen = null;
        var serverTask = Handshake.AuthAsServerAsync(server, serverId, k => { seen = k; return false; }, Token);
        var clientError = await Assert.ThrowsAsync<HandshakeException>(() => Handshake.AuthAsClientAsync(client, clientId, serverId.PublicKey, Token));
        var serverError = await Assert.ThrowsAsync<HandshakeException>(() => serverTask);
        Assert.Equal(HandshakeFailure.UnexpectedPeer, clientError.Reason);
        Assert.Equal(HandshakeFailure.UntrustedPeer, serverError.Reason);
        Assert.Equal(clientId.PublicKey, seen);
        HandshakeMessage offer = HandshakeMessages.Parse(relay.ServerToClient[0], HandshakeMessages.AuthOffer);
        Assert.Empty(offer.Ct!);
        Assert.Equal(32, offer.E!.Length);
    }

    [Fact]
    public async Task Auth_UnexpectedServerKey_ClientFailsWithUnexpectedPeer()
    {
        var (a, b) = InMemoryTransport.CreatePair();
        using Identity server = Identity.Generate();
        using Identity impostorExpected = Identity.Generate();
        using Identity client = Identity.Generate();
        var serverTask = Handshake.AuthAsServerAsync(b, server, _ => true, Token);
        var error = await Assert.ThrowsAsync<HandshakeException>(() => Handshake.AuthAsClientAsync(a, client, impostorExpected.PublicKey, Token));
        Assert.Equal(HandshakeFailure.UnexpectedPeer, error.Reason);
        Assert.Equal("unexpected_peer", error.ReasonName);
        // The server finished its half; its channel sees the client hang up.
        var (serverChannel, _) = await serverTask;
        Assert.Null(await serverChannel.ReceiveAsync(Token));
    }

    public static TheoryData<string, string> BadClientFirstMessages() => new()
    {
        { "empty", "" },
        { "not msgpack (truncated map)", "83a17601a46b696e64" },
        { "truncated bin", "83a17601a46b696e64aa706169725f68656c6c6fa165c420ff2e" },
        { "not a map", "93010203" },
        { "wrong version", "83a17602a46b696e64aa706169725f68656c6c6fa165c420" + "ff2ee45601ec1b67310c7790404585ae697331eee1c1f8cf2419731c1fff3e6b" },
        { "wrong kind", "83a17601a46b696e64aa617574685f68656c6c6fa165c420" + "ff2ee45601ec1b67310c7790404585ae697331eee1c1f8cf2419731c1fff3e6b" },
        { "e has 31 bytes", "83a17601a46b696e64aa706169725f68656c6c6fa165c41f" + "ff2ee45601ec1b67310c7790404585ae697331eee1c1f8cf2419731c1fff3e" },
        { "e is str", "83a17601a46b696e64aa706169725f68656c6c6fa165a3616263" },
        { "e missing", "82a17601a46b696e64aa706169725f68656c6c6f" },
        { "e is a low-order point", "83a17601a46b696e64aa706169725f68656c6c6fa165c420" + "0000000000000000000000000000000000000000000000000000000000000000" },
        { "trailing bytes", "83a17601a46b696e64aa706169725f68656c6c6fa165c420" + "ff2ee45601ec1b67310c7790404585ae697331eee1c1f8cf2419731c1fff3e6b" + "00" },
    };

    [Theory]
    [MemberData(nameof(BadClientFirstMessages))]
    public async Task PairServer_GarbledOrTruncatedHello_FailsWithProtocolAndCloses(string what, string hex)
    {
        Assert.NotNull(what);
        var (a, b) = InMemoryTransport.CreatePair();
        using Identity server = Identity.Generate();
        var serverTask = Handshake.PairAsServerAsync(b, "123456", server, Token);
        await a.SendAsync(Hex(hex), Token);
        var error = await Assert.ThrowsAsync<HandshakeException>(() => serverTask);
        Assert.Equal(HandshakeFailure.Protocol, error.Reason);
        Assert.True(b.IsClosed);
    }

    [Theory]
    [InlineData("83a17601a46b696e64aa617574685f68656c6c6fa165c420")] // auth_hello cut inside e
    [InlineData("83a17601a46b696e64aa617574685f68656c6c6fa165c4200faa684ed28867b97f4a6a2dee5df8ce974e76b7018e3f22a1c4cf2678570f20")] // s missing
    public async Task AuthServer_TruncatedHello_FailsWithProtocol(string hex)
    {
        var (a, b) = InMemoryTransport.CreatePair();
        using Identity server = Identity.Generate();
        var serverTask = Handshake.AuthAsServerAsync(b, server, _ => true, Token);
        await a.SendAsync(Hex(hex), Token);
        Assert.Equal(HandshakeFailure.Protocol, (await Assert.ThrowsAsync<HandshakeException>(() => serverTask)).Reason);
    }

    [Fact]
    public async Task PairClient_GarbledOffer_FailsWithProtocol()
    {
        var (a, b) = InMemoryTransport.CreatePair();
        using Identity client = Identity.Generate();
        var clientTask = Handshake.PairAsClientAsync(a, "123456", client, Token);
        Assert.NotNull(await b.ReceiveAsync(Token));
        await b.SendAsync(HandshakeMessages.EncodePairOffer(new byte[32].Select((_, i) => (byte)(i + 9)).ToArray(), new byte[5]), Token);
        var error = await Assert.ThrowsAsync<HandshakeException>(() => clientTask);
        Assert.True(error.Reason is HandshakeFailure.Protocol or HandshakeFailure.WrongCode);
        await Assert.ThrowsAsync<HandshakeException>(async () =>
        {
            var (c, d) = InMemoryTransport.CreatePair();
            var t = Handshake.PairAsClientAsync(c, "123456", client, Token);
            await d.ReceiveAsync(Token);
            await d.SendAsync(Hex("c1"), Token); // never-used msgpack code
            await t;
        });
    }

    [Fact]
    public async Task AuthClient_OfferWithWrongKind_FailsWithProtocol()
    {
        var (a, b) = InMemoryTransport.CreatePair();
        using Identity client = Identity.Generate();
        using Identity server = Identity.Generate();
        var clientTask = Handshake.AuthAsClientAsync(a, client, server.PublicKey, Token);
        Assert.NotNull(await b.ReceiveAsync(Token));
        await b.SendAsync(HandshakeMessages.EncodePairOffer(server.PublicKey, new byte[18]), Token);
        Assert.Equal(HandshakeFailure.Protocol, (await Assert.ThrowsAsync<HandshakeException>(() => clientTask)).Reason);
    }

    [Fact]
    public async Task Server_PeerStallsBeforeHello_TimesOut()
    {
        var (_, b) = InMemoryTransport.CreatePair();
        using Identity server = Identity.Generate();
        var error = await Assert.ThrowsAsync<HandshakeException>(() => Handshake.AuthAsServerAsync(b, server, _ => true, s_short, Token));
        Assert.Equal(HandshakeFailure.Timeout, error.Reason);
        Assert.True(b.IsClosed);
    }

    [Fact]
    public async Task PairServer_PeerStallsBeforeFinish_TimesOut()
    {
        var (a, b) = InMemoryTransport.CreatePair();
        using Identity server = Identity.Generate();
        var serverTask = Handshake.PairAsServerAsync(b, "123456", server, WithTimeout(TimeSpan.FromSeconds(2)), Token);
        byte[] ec = ProtocolCrypto.CreatePrivateKey();
        await a.SendAsync(HandshakeMessages.EncodePairHello(ProtocolCrypto.PublicKeyOf(ec)), Token);
        Assert.NotNull(await a.ReceiveAsync(Token)); // the offer; then we stall
        Assert.Equal(HandshakeFailure.Timeout, (await Assert.ThrowsAsync<HandshakeException>(() => serverTask)).Reason);
    }

    [Fact]
    public async Task Client_ServerStalls_TimesOut()
    {
        var (a, _) = InMemoryTransport.CreatePair();
        using Identity client = Identity.Generate();
        using Identity server = Identity.Generate();
        var error = await Assert.ThrowsAsync<HandshakeException>(() => Handshake.AuthAsClientAsync(a, client, server.PublicKey, s_short, Token));
        Assert.Equal(HandshakeFailure.Timeout, error.Reason);
    }

    [Fact]
    public async Task Client_CallerCancels_ThrowsOperationCanceledWithCallerToken()
    {
        var (a, _) = InMemoryTransport.CreatePair();
        using Identity client = Identity.Generate();
        using Identity server = Identity.Generate();
        using var cts = new CancellationTokenSource();
        var task = Handshake.AuthAsClientAsync(a, client, server.PublicKey, cts.Token);
        await cts.CancelAsync();
        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task);
        Assert.Equal(cts.Token, error.CancellationToken);
    }

    [Fact]
    public async Task Server_ConnectionClosedMidHandshake_FailsWithProtocol()
    {
        var (a, b) = InMemoryTransport.CreatePair();
        using Identity server = Identity.Generate();
        var serverTask = Handshake.AuthAsServerAsync(b, server, _ => true, Token);
        await a.CloseAsync(Token);
        Assert.Equal(HandshakeFailure.Protocol, (await Assert.ThrowsAsync<HandshakeException>(() => serverTask)).Reason);
    }

    [Fact]
    public async Task HandshakeParsers_UnknownExtraFields_AreIgnored()
    {
        // {v:1, kind:"pair_hello", e:<32>, x:"extra"}
        byte[] hello = Hex("84a17601a46b696e64aa706169725f68656c6c6fa165c420ff2ee45601ec1b67310c7790404585ae697331eee1c1f8cf2419731c1fff3e6ba178a56578747261");
        HandshakeMessage parsed = HandshakeMessages.Parse(hello, HandshakeMessages.PairHello);
        Assert.Equal(32, parsed.E!.Length);
        await Task.CompletedTask;
    }

    internal static async Task AssertChannelsTalkAsync(SecureChannel client, SecureChannel server)
    {
        await client.SendAsync("ping"u8.ToArray(), Token);
        Assert.Equal("ping"u8.ToArray(), await server.ReceiveAsync(Token));
        await server.SendAsync("pong"u8.ToArray(), Token);
        Assert.Equal("pong"u8.ToArray(), await client.ReceiveAsync(Token));
        await client.DisposeAsync();
        Assert.Null(await server.ReceiveAsync(Token));
        await server.DisposeAsync();
    }
}
