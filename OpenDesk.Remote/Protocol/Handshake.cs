using System.Security.Cryptography;
using OpenDesk.Core;

namespace OpenDesk.Remote.Protocol;

/// <summary>Source of ephemeral X25519 keys: an internal seam so the spec §14 vectors are reproducible.</summary>
internal interface IEphemeralKeySource
{
    /// <summary>A fresh 32-byte raw private key; the handshake zeroes it after use.</summary>
    byte[] Create();
}

/// <summary>Random ephemeral keys (the default).</summary>
internal sealed class RandomEphemeralKeySource : IEphemeralKeySource
{
    public static RandomEphemeralKeySource Instance { get; } = new();

    public byte[] Create() => ProtocolCrypto.CreatePrivateKey();
}

/// <summary>Handshake settings.</summary>
internal sealed class HandshakeOptions
{
    /// <summary>The defaults: 10 s timeout, random ephemeral keys.</summary>
    public static HandshakeOptions Default { get; } = new();

    /// <summary>The whole handshake must finish within this time (default 10 s); <see cref="Timeout.InfiniteTimeSpan"/> disables it.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Where ephemeral keys come from (tests inject fixed keys).</summary>
    internal IEphemeralKeySource EphemeralKeys { get; init; } = RandomEphemeralKeySource.Instance;
}

/// <summary>
/// The pairing PSK of a code (<c>PBKDF2-HMAC-SHA256(code, "opendesk-psk-v1", 200000)</c>, ~30–120 ms). A server in
/// pairing mode derives it once and reuses it for every attempt.
/// </summary>
internal sealed class PairingSecret
{
    private PairingSecret(byte[] psk) => Psk = psk;

    internal byte[] Psk { get; }

    /// <summary>Derives the PSK of a code (CPU-bound).</summary>
    public static PairingSecret Derive(string code) => new(ProtocolCrypto.DerivePsk(code));

    /// <summary>Derives the PSK on the thread pool.</summary>
    public static Task<PairingSecret> DeriveAsync(string code, CancellationToken cancellationToken) =>
        Task.Run(() => Derive(code), cancellationToken);

    /// <inheritdoc />
    public override string ToString() => "PairingSecret";
}

/// <summary>The key-schedule formulas of spec §4–§5, shared by both sides (and checked value by value by the vectors).</summary>
internal static class HandshakeMath
{
    internal static ReadOnlySpan<byte> PairK1Info => "opendesk-pair-k1"u8;

    internal static ReadOnlySpan<byte> PairK2Info => "opendesk-pair-k2"u8;

    internal static ReadOnlySpan<byte> AuthKInfo => "opendesk-auth-k"u8;

    internal static ReadOnlySpan<byte> SessionInfo => "opendesk-session-keys"u8;

    internal static ReadOnlySpan<byte> Ok => "ok"u8;

    /// <summary><c>k1 = HKDF(PSK, DH(e_s, e_c), "opendesk-pair-k1")</c>.</summary>
    internal static byte[] PairK1(byte[] psk, byte[] dhEe) => ProtocolCrypto.Hkdf(psk, dhEe, PairK1Info);

    /// <summary><c>k2 = HKDF(PSK ‖ ct1, DH(e_s, e_c), "opendesk-pair-k2")</c>.</summary>
    internal static byte[] PairK2(byte[] psk, byte[] ct1, byte[] dhEe) => ProtocolCrypto.Hkdf(ProtocolCrypto.Concat(psk, ct1), dhEe, PairK2Info);

    /// <summary><c>SHA-256(e_s_pub ‖ e_c_pub ‖ ct1 ‖ ct2)</c>.</summary>
    internal static byte[] PairTranscript(byte[] esPub, byte[] ecPub, byte[] ct1, byte[] ct2) => ProtocolCrypto.Sha256(esPub, ecPub, ct1, ct2);

    /// <summary><c>SHA-256(e_s_pub ‖ e_c_pub ‖ s_c_pub)</c>.</summary>
    internal static byte[] AuthTranscript(byte[] esPub, byte[] ecPub, byte[] scPub) => ProtocolCrypto.Sha256(esPub, ecPub, scPub);

    /// <summary><c>k = HKDF(transcript, DH(e_s, e_c) ‖ DH(s_s, e_c), "opendesk-auth-k")</c>.</summary>
    internal static byte[] AuthK(byte[] transcript, byte[] dhEe, byte[] dhSe) => ProtocolCrypto.Hkdf(transcript, ProtocolCrypto.Concat(dhEe, dhSe), AuthKInfo);

    /// <summary><c>okm = HKDF(transcript, ikm, "opendesk-session-keys", 64)</c> split into (c2s, s2c).</summary>
    internal static (byte[] C2S, byte[] S2C) SessionKeys(byte[] transcript, byte[] ikm)
    {
        byte[] okm = ProtocolCrypto.Hkdf(transcript, ikm, SessionInfo, 64);
        return (okm[..32], okm[32..]);
    }
}

/// <summary>
/// The pairing (spec §4) and auth (spec §5) handshakes, client and server side. Each returns a
/// <see cref="SecureChannel"/> over the same transport. On failure the transport is closed and a
/// <see cref="HandshakeException"/> says why; the caller's own cancellation surfaces as
/// <see cref="OperationCanceledException"/>.
/// </summary>
internal static class Handshake
{
    /// <summary>Client side of pairing: proves knowledge of <paramref name="code"/>, learns the server's static key.</summary>
    public static Task<(SecureChannel Channel, byte[] ServerPublicKey)> PairAsClientAsync(
        IMessageTransport transport, string code, Identity identity, CancellationToken cancellationToken)
        => PairAsClientAsync(transport, code, identity, HandshakeOptions.Default, cancellationToken);

    /// <inheritdoc cref="PairAsClientAsync(IMessageTransport, string, Identity, CancellationToken)"/>
    public static Task<(SecureChannel Channel, byte[] ServerPublicKey)> PairAsClientAsync(
        IMessageTransport transport, string code, Identity identity, HandshakeOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(code);
        return PairAsClientCoreAsync(transport, ct => Task.Run(() => ProtocolCrypto.DerivePsk(code), ct), identity, options, cancellationToken);
    }

    /// <summary>Client side of pairing with a PSK derived beforehand (see <see cref="PairingSecret"/>).</summary>
    public static Task<(SecureChannel Channel, byte[] ServerPublicKey)> PairAsClientAsync(
        IMessageTransport transport, PairingSecret secret, Identity identity, HandshakeOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(secret);
        return PairAsClientCoreAsync(transport, _ => Task.FromResult(secret.Psk), identity, options, cancellationToken);
    }

    /// <summary>Server side of pairing with a PSK derived once when pairing mode starts (saves ~PBKDF2 per attempt).</summary>
    public static Task<(SecureChannel Channel, byte[] ClientPublicKey)> PairAsServerAsync(
        IMessageTransport transport, PairingSecret secret, Identity identity, HandshakeOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(secret);
        return PairAsServerCoreAsync(transport, _ => Task.FromResult(secret.Psk), identity, options, cancellationToken);
    }

    private static Task<(SecureChannel Channel, byte[] ServerPublicKey)> PairAsClientCoreAsync(
        IMessageTransport transport, Func<CancellationToken, Task<byte[]>> pskSource, Identity identity, HandshakeOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(identity);
        return RunAsync(transport, options, async (o, ct) =>
        {
            using var ec = new EphemeralKey(o.EphemeralKeys.Create());
            byte[] ecPub = ProtocolCrypto.PublicKeyOf(ec.Private);
            Task<byte[]> pskTask = pskSource(ct);
            await transport.SendAsync(HandshakeMessages.EncodePairHello(ecPub), ct).ConfigureAwait(false);

            HandshakeMessage offer = await ReceiveAsync(transport, HandshakeMessages.PairOffer, ct).ConfigureAwait(false);
            byte[] esPub = RequireKey(offer.E, "e");
            byte[] ct1 = offer.Ct ?? throw Protocol("pair_offer has no 'ct'");
            byte[] psk = await pskTask.ConfigureAwait(false);
            byte[] dhEe = Agree(ec.Private, esPub);
            byte[] ssPub = ProtocolCrypto.TryDecryptZeroNonce(HandshakeMath.PairK1(psk, dhEe), ct1)
                ?? throw new HandshakeException(HandshakeFailure.WrongCode, "pairing failed: wrong code (the server's offer did not decrypt)");
            if (ssPub.Length != ProtocolCrypto.KeySize)
            {
                throw Protocol($"the server's static key has {ssPub.Length} bytes, expected 32");
            }

            byte[] ct2 = ProtocolCrypto.EncryptZeroNonce(HandshakeMath.PairK2(psk, ct1, dhEe), identity.PublicKey);
            await transport.SendAsync(HandshakeMessages.EncodePairFinish(ct2), ct).ConfigureAwait(false);

            byte[] transcript = HandshakeMath.PairTranscript(esPub, ecPub, ct1, ct2);
            byte[] ikm = ProtocolCrypto.Concat(dhEe, Agree(ec.Private, ssPub), Agree(identity.PrivateKey, esPub), psk);
            (byte[] c2s, byte[] s2c) = HandshakeMath.SessionKeys(transcript, ikm);
            return (new SecureChannel(transport, c2s, s2c), ssPub);
        }, cancellationToken);
    }

    /// <summary>Server side of pairing: checks the client knows <paramref name="code"/>, learns the client's static key.</summary>
    public static Task<(SecureChannel Channel, byte[] ClientPublicKey)> PairAsServerAsync(
        IMessageTransport transport, string code, Identity identity, CancellationToken cancellationToken)
        => PairAsServerAsync(transport, code, identity, HandshakeOptions.Default, cancellationToken);

    /// <inheritdoc cref="PairAsServerAsync(IMessageTransport, string, Identity, CancellationToken)"/>
    public static Task<(SecureChannel Channel, byte[] ClientPublicKey)> PairAsServerAsync(
        IMessageTransport transport, string code, Identity identity, HandshakeOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(code);
        return PairAsServerCoreAsync(transport, ct => Task.Run(() => ProtocolCrypto.DerivePsk(code), ct), identity, options, cancellationToken);
    }

    private static Task<(SecureChannel Channel, byte[] ClientPublicKey)> PairAsServerCoreAsync(
        IMessageTransport transport, Func<CancellationToken, Task<byte[]>> pskSource, Identity identity, HandshakeOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(identity);
        return RunAsync(transport, options, async (o, ct) =>
        {
            Task<byte[]> pskTask = pskSource(ct);
            HandshakeMessage hello = await ReceiveAsync(transport, HandshakeMessages.PairHello, ct).ConfigureAwait(false);
            byte[] ecPub = RequireKey(hello.E, "e");

            using var es = new EphemeralKey(o.EphemeralKeys.Create());
            byte[] esPub = ProtocolCrypto.PublicKeyOf(es.Private);
            byte[] dhEe = Agree(es.Private, ecPub);
            byte[] psk = await pskTask.ConfigureAwait(false);
            byte[] ct1 = ProtocolCrypto.EncryptZeroNonce(HandshakeMath.PairK1(psk, dhEe), identity.PublicKey);
            await transport.SendAsync(HandshakeMessages.EncodePairOffer(esPub, ct1), ct).ConfigureAwait(false);

            HandshakeMessage finish = await ReceiveAsync(transport, HandshakeMessages.PairFinish, ct).ConfigureAwait(false);
            byte[] ct2 = finish.Ct ?? throw Protocol("pair_finish has no 'ct'");
            byte[] scPub = ProtocolCrypto.TryDecryptZeroNonce(HandshakeMath.PairK2(psk, ct1, dhEe), ct2)
                ?? throw new HandshakeException(HandshakeFailure.WrongCode, "pairing failed: wrong code (the client's finish did not decrypt)");
            if (scPub.Length != ProtocolCrypto.KeySize)
            {
                throw Protocol($"the client's static key has {scPub.Length} bytes, expected 32");
            }

            byte[] transcript = HandshakeMath.PairTranscript(esPub, ecPub, ct1, ct2);
            byte[] ikm = ProtocolCrypto.Concat(dhEe, Agree(identity.PrivateKey, ecPub), Agree(es.Private, scPub), psk);
            (byte[] c2s, byte[] s2c) = HandshakeMath.SessionKeys(transcript, ikm);
            return (new SecureChannel(transport, s2c, c2s), scPub);
        }, cancellationToken);
    }

    /// <summary>Client side of auth: authenticates to a server whose static key must be <paramref name="expectedServerPublicKey"/>.</summary>
    public static Task<SecureChannel> AuthAsClientAsync(
        IMessageTransport transport, Identity identity, ReadOnlyMemory<byte> expectedServerPublicKey, CancellationToken cancellationToken)
        => AuthAsClientAsync(transport, identity, expectedServerPublicKey, HandshakeOptions.Default, cancellationToken);

    /// <inheritdoc cref="AuthAsClientAsync(IMessageTransport, Identity, ReadOnlyMemory{byte}, CancellationToken)"/>
    public static Task<SecureChannel> AuthAsClientAsync(
        IMessageTransport transport, Identity identity, ReadOnlyMemory<byte> expectedServerPublicKey, HandshakeOptions options, CancellationToken cancellationToken)
    {
        if (expectedServerPublicKey.Length != ProtocolCrypto.KeySize)
        {
            throw new ArgumentException("A server public key has 32 bytes.", nameof(expectedServerPublicKey));
        }

        byte[] ssPub = expectedServerPublicKey.ToArray();
        return RunAsync(transport, options, async (o, ct) =>
        {
            using var ec = new EphemeralKey(o.EphemeralKeys.Create());
            byte[] ecPub = ProtocolCrypto.PublicKeyOf(ec.Private);
            byte[] scPub = identity.PublicKey;
            await transport.SendAsync(HandshakeMessages.EncodeAuthHello(ecPub, scPub), ct).ConfigureAwait(false);

            HandshakeMessage offer = await ReceiveAsync(transport, HandshakeMessages.AuthOffer, ct).ConfigureAwait(false);
            byte[] esPub = RequireKey(offer.E, "e");
            byte[] ctOk = offer.Ct ?? throw Protocol("auth_offer has no 'ct'");
            byte[] transcript = HandshakeMath.AuthTranscript(esPub, ecPub, scPub);
            byte[] dhEe = Agree(ec.Private, esPub);
            byte[] dhSe = Agree(ec.Private, ssPub);
            byte[]? ok = ProtocolCrypto.TryDecryptZeroNonce(HandshakeMath.AuthK(transcript, dhEe, dhSe), ctOk);
            if (ok is null || !ok.AsSpan().SequenceEqual(HandshakeMath.Ok))
            {
                throw new HandshakeException(HandshakeFailure.UnexpectedPeer,
                    "auth failed: unexpected_peer (the server is not the expected one, or it does not trust this client)");
            }

            byte[] ikm = ProtocolCrypto.Concat(dhEe, dhSe, Agree(identity.PrivateKey, esPub), Agree(identity.PrivateKey, ssPub));
            (byte[] c2s, byte[] s2c) = HandshakeMath.SessionKeys(transcript, ikm);
            return new SecureChannel(transport, c2s, s2c);
        }, cancellationToken);
    }

    /// <summary>
    /// Server side of auth. <paramref name="isTrusted"/> decides on the client's static key; an untrusted client still
    /// gets an <c>auth_offer</c> with an empty <c>ct</c> (spec §5) before this throws <see cref="HandshakeFailure.UntrustedPeer"/>.
    /// </summary>
    public static Task<(SecureChannel Channel, byte[] ClientPublicKey)> AuthAsServerAsync(
        IMessageTransport transport, Identity identity, Func<byte[], bool> isTrusted, CancellationToken cancellationToken)
        => AuthAsServerAsync(transport, identity, isTrusted, HandshakeOptions.Default, cancellationToken);

    /// <inheritdoc cref="AuthAsServerAsync(IMessageTransport, Identity, Func{byte[], bool}, CancellationToken)"/>
    public static Task<(SecureChannel Channel, byte[] ClientPublicKey)> AuthAsServerAsync(
        IMessageTransport transport, Identity identity, Func<byte[], bool> isTrusted, HandshakeOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(isTrusted);
        return RunAsync(transport, options, async (o, ct) =>
        {
            HandshakeMessage hello = await ReceiveAsync(transport, HandshakeMessages.AuthHello, ct).ConfigureAwait(false);
            byte[] ecPub = RequireKey(hello.E, "e");
            byte[] scPub = RequireKey(hello.S, "s");

            using var es = new EphemeralKey(o.EphemeralKeys.Create());
            byte[] esPub = ProtocolCrypto.PublicKeyOf(es.Private);
            if (!isTrusted(scPub))
            {
                await transport.SendAsync(HandshakeMessages.EncodeAuthOffer(esPub, []), ct).ConfigureAwait(false);
                throw new HandshakeException(HandshakeFailure.UntrustedPeer, $"auth failed: untrusted_peer {PeerFingerprint.Of(scPub)}");
            }

            byte[] transcript = HandshakeMath.AuthTranscript(esPub, ecPub, scPub);
            byte[] dhEe = Agree(es.Private, ecPub);
            byte[] dhSe = Agree(identity.PrivateKey, ecPub);
            byte[] ctOk = ProtocolCrypto.EncryptZeroNonce(HandshakeMath.AuthK(transcript, dhEe, dhSe), HandshakeMath.Ok);
            await transport.SendAsync(HandshakeMessages.EncodeAuthOffer(esPub, ctOk), ct).ConfigureAwait(false);

            byte[] ikm = ProtocolCrypto.Concat(dhEe, dhSe, Agree(es.Private, scPub), Agree(identity.PrivateKey, scPub));
            (byte[] c2s, byte[] s2c) = HandshakeMath.SessionKeys(transcript, ikm);
            return (new SecureChannel(transport, s2c, c2s), scPub);
        }, cancellationToken);
    }

    private static async Task<T> RunAsync<T>(
        IMessageTransport transport, HandshakeOptions options,
        Func<HandshakeOptions, CancellationToken, Task<T>> body, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(options);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (options.Timeout != System.Threading.Timeout.InfiniteTimeSpan)
        {
            timeout.CancelAfter(options.Timeout);
        }

        try
        {
            return await body(options, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested && timeout.IsCancellationRequested)
        {
            await CloseQuietlyAsync(transport).ConfigureAwait(false);
            throw new HandshakeException(HandshakeFailure.Timeout, $"handshake timed out after {options.Timeout.TotalSeconds:0.###} s", ex);
        }
        catch (HandshakeException)
        {
            await CloseQuietlyAsync(transport).ConfigureAwait(false);
            throw;
        }
        catch (OperationCanceledException ex)
        {
            await CloseQuietlyAsync(transport).ConfigureAwait(false);
            throw new OperationCanceledException("the handshake was cancelled", ex, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or ProtocolException)
        {
            await CloseQuietlyAsync(transport).ConfigureAwait(false);
            throw new HandshakeException(HandshakeFailure.Protocol, "handshake failed: " + ex.Message, ex);
        }
    }

    private static async Task<HandshakeMessage> ReceiveAsync(IMessageTransport transport, string kind, CancellationToken cancellationToken)
    {
        byte[] data = await transport.ReceiveAsync(cancellationToken).ConfigureAwait(false)
            ?? throw Protocol($"connection closed while waiting for '{kind}'");
        return HandshakeMessages.Parse(data, kind);
    }

    private static byte[] RequireKey(byte[]? key, string field)
    {
        if (key is null || key.Length != ProtocolCrypto.KeySize)
        {
            throw Protocol($"handshake field '{field}' must be 32 bytes, got {(key is null ? "none" : key.Length.ToString(System.Globalization.CultureInfo.InvariantCulture))}");
        }

        return key;
    }

    private static byte[] Agree(ReadOnlySpan<byte> privateKey, byte[] publicKey) =>
        ProtocolCrypto.TryAgree(privateKey, publicKey) ?? throw Protocol("invalid X25519 public key (low order)");

    private static HandshakeException Protocol(string message) => new(HandshakeFailure.Protocol, message);

    /// <summary>An ephemeral private key, zeroed on dispose.</summary>
    private readonly struct EphemeralKey(byte[] privateKey) : IDisposable
    {
        public byte[] Private { get; } = privateKey.Length == ProtocolCrypto.KeySize
            ? privateKey
            : throw new ArgumentException("An ephemeral key has 32 bytes.", nameof(privateKey));

        public void Dispose() => CryptographicOperations.ZeroMemory(Private);
    }

    private static async Task CloseQuietlyAsync(IMessageTransport transport)
    {
        try
        {
            await transport.CloseAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // Closing is best effort.
        }
    }
}
