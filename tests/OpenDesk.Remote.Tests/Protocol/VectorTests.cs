using System.Text;
using OpenDesk.Remote.Protocol;
using static OpenDesk.Remote.Tests.Protocol.ProtocolTestKit;

namespace OpenDesk.Remote.Tests.Protocol;

/// <summary>protocol-v1.md §14, value by value, plus the same values out of the real handshake code.</summary>
public sealed class VectorTests
{
    private const string SsPub = "7b4e909bbe7ffe44c465a220037d608ee35897d31ef972f07f74892cb0f73f13";
    private const string ScPub = "0faa684ed28867b97f4a6a2dee5df8ce974e76b7018e3f22a1c4cf2678570f20";
    private const string EsPub = "7b0d47d93427f8311160781c7c733fd89f88970aef490d8aa0ee19a4cb8a1b14";
    private const string EcPub = "ff2ee45601ec1b67310c7790404585ae697331eee1c1f8cf2419731c1fff3e6b";
    private const string Psk123456 = "64d23c61b4bef1240679ac4360d85f4996c3226aa79c3240f6318dfc90ceb55b";
    private const string K1 = "237d6c1e0b84ce14ceeaa0a957c1f2ebe57c46eb473464dfa04bda06e4d9ecbc";
    private const string Ct1 = "aafa8f5d1ce4a28cad6e1b243690afc91ca5e8edc98080322d66ab693744cf77314300d4b1e788b2f62fb495fb96da38";
    private const string K2 = "557d5a4a11ac8a98ca44c54113467ef9dbcb9855c4332289f5434c6411c5b321";
    private const string Ct2 = "be13a63f41f15a90a087375edb06a373f8c44a324888c12c2cff3afcdf927f83b68e2115da190f184751ddee630a0549";
    private const string PairTranscript = "2f7f981d4435d6f189d3f4aeeac48d378dee783a4418ab12575b7e9bd8734355";
    private const string PairC2S = "8cbff0f02cc24fb771603af3162e73f2dce86265a7d0c6e7eed54b586c5a9b28";
    private const string PairS2C = "5ea1d95e0d3497c92d78bc26a6f5a7859a42a17a4a3ea898b2608bd0d52a495d";
    private const string FirstC2SHello = "1fc32bdfce9d208895fe0a470095868c30b436db9b";
    private const string AuthTranscript = "8c578691afe496e8f220b916c47d3ac6536497afb0da78ea9be40e09a6f2ac40";
    private const string AuthK = "e6573343eef326751b1c0a50e0be5b0a3055c893fbceafb8bc4b66360e9b1eb4";
    private const string AuthCtOk = "74e6431ba10b88865484ca3b9c6f6ff0a143";
    private const string AuthC2S = "56732f80dda7e376f0182bf540feb2c5cf35b7cef31fa2a9c6665269ded70b5d";
    private const string AuthS2C = "b4dc88be992d233c776e4bb22d13d44559c42e0d390e22b79abe8accab0fbe32";

    [Theory]
    [InlineData("123456", Psk123456)]
    [InlineData("000000", "728e3842d0274cd02f41c7d304d78bc7e4d5d12a0d9a5afaba8f41e95bf668c7")]
    public void DerivePsk_SpecCodes_MatchVectors(string code, string expected) =>
        Assert.Equal(expected, ToHex(ProtocolCrypto.DerivePsk(code)));

    [Theory]
    [InlineData(0x11, SsPub, "7b4e:909b:be7f:fe44")]
    [InlineData(0x22, ScPub, "0faa:684e:d288:67b9")]
    [InlineData(0x33, EsPub, "7b0d:47d9:3427:f831")]
    [InlineData(0x44, EcPub, "ff2e:e456:01ec:1b67")]
    public void Identity_FixedPrivateKeys_GiveVectorPublicKeysAndFingerprints(byte fill, string publicKey, string fingerprint)
    {
        using Identity identity = Identity.FromPrivateKey(Repeat(fill));
        Assert.Equal(publicKey, ToHex(identity.PublicKey));
        Assert.Equal(fingerprint, identity.Fingerprint);
        Assert.Equal(Repeat(fill), identity.ExportPrivateKey());
    }

    [Fact]
    public void TryAgree_RandomKeys_MatchesNSecAndRejectsLowOrderPoints()
    {
        var x = NSec.Cryptography.KeyAgreementAlgorithm.X25519;
        var exportable = new NSec.Cryptography.KeyCreationParameters { ExportPolicy = NSec.Cryptography.KeyExportPolicies.AllowPlaintextExport };
        for (int i = 0; i < 20; i++)
        {
            byte[] a = ProtocolCrypto.CreatePrivateKey();
            byte[] b = ProtocolCrypto.CreatePrivateKey();
            using var na = NSec.Cryptography.Key.Import(x, a, NSec.Cryptography.KeyBlobFormat.RawPrivateKey, exportable);
            Assert.Equal(na.PublicKey.Export(NSec.Cryptography.KeyBlobFormat.RawPublicKey), ProtocolCrypto.PublicKeyOf(a));
            var nb = NSec.Cryptography.PublicKey.Import(x, ProtocolCrypto.PublicKeyOf(b), NSec.Cryptography.KeyBlobFormat.RawPublicKey);
            using var shared = x.Agree(na, nb, new NSec.Cryptography.SharedSecretCreationParameters { ExportPolicy = NSec.Cryptography.KeyExportPolicies.AllowPlaintextExport })!;
            Assert.Equal(shared.Export(NSec.Cryptography.SharedSecretBlobFormat.RawSharedSecret), ProtocolCrypto.TryAgree(a, ProtocolCrypto.PublicKeyOf(b)));
        }

        byte[] key = ProtocolCrypto.CreatePrivateKey();
        Assert.Null(ProtocolCrypto.TryAgree(key, new byte[32])); // the zero point
        Assert.Null(ProtocolCrypto.TryAgree(key, Hex("0100000000000000000000000000000000000000000000000000000000000000"))); // order 1... low order
        Assert.Null(ProtocolCrypto.TryAgree(key, new byte[31]));
    }

    [Fact]
    public void PairingKeySchedule_ValueByValue_MatchesVectors()
    {
        byte[] es = Repeat(0x33);
        byte[] ec = Repeat(0x44);
        byte[] ss = Repeat(0x11);
        byte[] sc = Repeat(0x22);
        byte[] psk = Hex(Psk123456);
        byte[] dhEe = ProtocolCrypto.TryAgree(es, Hex(EcPub))!;
        Assert.Equal(dhEe, ProtocolCrypto.TryAgree(ec, Hex(EsPub)));

        byte[] k1 = HandshakeMath.PairK1(psk, dhEe);
        Assert.Equal(K1, ToHex(k1));
        byte[] ct1 = ProtocolCrypto.EncryptZeroNonce(k1, Hex(SsPub));
        Assert.Equal(Ct1, ToHex(ct1));
        byte[] k2 = HandshakeMath.PairK2(psk, ct1, dhEe);
        Assert.Equal(K2, ToHex(k2));
        byte[] ct2 = ProtocolCrypto.EncryptZeroNonce(k2, Hex(ScPub));
        Assert.Equal(Ct2, ToHex(ct2));
        byte[] transcript = HandshakeMath.PairTranscript(Hex(EsPub), Hex(EcPub), ct1, ct2);
        Assert.Equal(PairTranscript, ToHex(transcript));

        // Server view: DH(s_s, e_c), DH(e_s, s_c); client view must agree.
        byte[] dhSe = ProtocolCrypto.TryAgree(ss, Hex(EcPub))!;
        byte[] dhEs = ProtocolCrypto.TryAgree(es, Hex(ScPub))!;
        Assert.Equal(dhSe, ProtocolCrypto.TryAgree(ec, Hex(SsPub)));
        Assert.Equal(dhEs, ProtocolCrypto.TryAgree(sc, Hex(EsPub)));
        (byte[] c2s, byte[] s2c) = HandshakeMath.SessionKeys(transcript, ProtocolCrypto.Concat(dhEe, dhSe, dhEs, psk));
        Assert.Equal(PairC2S, ToHex(c2s));
        Assert.Equal(PairS2C, ToHex(s2c));

        Assert.Equal(FirstC2SHello, ToHex(ProtocolCrypto.EncryptZeroNonce(c2s, "hello"u8)));
    }

    [Fact]
    public void AuthKeySchedule_ValueByValue_MatchesVectors()
    {
        byte[] es = Repeat(0x33);
        byte[] ss = Repeat(0x11);
        byte[] transcript = HandshakeMath.AuthTranscript(Hex(EsPub), Hex(EcPub), Hex(ScPub));
        Assert.Equal(AuthTranscript, ToHex(transcript));
        byte[] dhEe = ProtocolCrypto.TryAgree(es, Hex(EcPub))!;
        byte[] dhSe = ProtocolCrypto.TryAgree(ss, Hex(EcPub))!;
        byte[] k = HandshakeMath.AuthK(transcript, dhEe, dhSe);
        Assert.Equal(AuthK, ToHex(k));
        Assert.Equal(AuthCtOk, ToHex(ProtocolCrypto.EncryptZeroNonce(k, "ok"u8)));
        byte[] ikm = ProtocolCrypto.Concat(dhEe, dhSe, ProtocolCrypto.TryAgree(es, Hex(ScPub))!, ProtocolCrypto.TryAgree(ss, Hex(ScPub))!);
        (byte[] c2s, byte[] s2c) = HandshakeMath.SessionKeys(transcript, ikm);
        Assert.Equal(AuthC2S, ToHex(c2s));
        Assert.Equal(AuthS2C, ToHex(s2c));
    }

    [Fact]
    public async Task PairingHandshake_FixedKeys_ProducesVectorMessagesAndSessionKeys()
    {
        var (client, server, relay) = Relay.Create();
        await using var _ = relay;
        using Identity ss = ServerStatic();
        using Identity sc = ClientStatic();
        var serverTask = Handshake.PairAsServerAsync(server, "123456", ss, ServerEphemeral(), Token);
        var (clientChannel, serverKey) = await Handshake.PairAsClientAsync(client, "123456", sc, ClientEphemeral(), Token);
        var (serverChannel, clientKey) = await serverTask;

        Assert.Equal(SsPub, ToHex(serverKey));
        Assert.Equal(ScPub, ToHex(clientKey));
        Assert.Equal(HandshakeMessages.EncodePairHello(Hex(EcPub)), relay.ClientToServer[0]);
        Assert.Equal(HandshakeMessages.EncodePairOffer(Hex(EsPub), Hex(Ct1)), relay.ServerToClient[0]);
        Assert.Equal(HandshakeMessages.EncodePairFinish(Hex(Ct2)), relay.ClientToServer[1]);

        await clientChannel.SendAsync("hello"u8.ToArray(), Token);
        Assert.Equal("hello", Encoding.ASCII.GetString((await serverChannel.ReceiveAsync(Token))!));
        Assert.Equal(FirstC2SHello, ToHex(relay.ClientToServer[2]));

        await serverChannel.SendAsync("hello"u8.ToArray(), Token);
        Assert.Equal("hello", Encoding.ASCII.GetString((await clientChannel.ReceiveAsync(Token))!));
        Assert.Equal(ToHex(ProtocolCrypto.EncryptZeroNonce(Hex(PairS2C), "hello"u8)), ToHex(relay.ServerToClient[1]));
        await clientChannel.DisposeAsync();
        await serverChannel.DisposeAsync();
    }

    [Fact]
    public async Task AuthHandshake_FixedKeys_ProducesVectorMessagesAndSessionKeys()
    {
        var (client, server, relay) = Relay.Create();
        await using var _ = relay;
        using Identity ss = ServerStatic();
        using Identity sc = ClientStatic();
        var serverTask = Handshake.AuthAsServerAsync(server, ss, k => ToHex(k) == ScPub, ServerEphemeral(), Token);
        SecureChannel clientChannel = await Handshake.AuthAsClientAsync(client, sc, Hex(SsPub), ClientEphemeral(), Token);
        var (serverChannel, clientKey) = await serverTask;

        Assert.Equal(ScPub, ToHex(clientKey));
        Assert.Equal(HandshakeMessages.EncodeAuthHello(Hex(EcPub), Hex(ScPub)), relay.ClientToServer[0]);
        Assert.Equal(HandshakeMessages.EncodeAuthOffer(Hex(EsPub), Hex(AuthCtOk)), relay.ServerToClient[0]);

        await clientChannel.SendAsync("hello"u8.ToArray(), Token);
        await serverChannel.SendAsync("hello"u8.ToArray(), Token);
        Assert.NotNull(await serverChannel.ReceiveAsync(Token));
        Assert.NotNull(await clientChannel.ReceiveAsync(Token));
        Assert.Equal(ToHex(ProtocolCrypto.EncryptZeroNonce(Hex(AuthC2S), "hello"u8)), ToHex(relay.ClientToServer[1]));
        Assert.Equal(ToHex(ProtocolCrypto.EncryptZeroNonce(Hex(AuthS2C), "hello"u8)), ToHex(relay.ServerToClient[1]));
        await clientChannel.DisposeAsync();
        await serverChannel.DisposeAsync();
    }
}
