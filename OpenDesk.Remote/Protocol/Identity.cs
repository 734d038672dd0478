using NSec.Cryptography;
using OpenDesk.Core;

namespace OpenDesk.Remote.Protocol;

/// <summary>A machine's long-term X25519 identity (spec §3). The private key is 32 raw bytes.</summary>
internal sealed class Identity : IDisposable
{
    private readonly Key _key;
    private bool _disposed;

    private Identity(Key key)
    {
        _key = key;
        PublicKey = ProtocolCrypto.PublicKeyOf(key);
        Fingerprint = PeerFingerprint.Of(PublicKey);
    }

    /// <summary>The 32-byte raw public key (a copy is not made: do not modify).</summary>
    public byte[] PublicKey { get; }

    /// <summary>The display fingerprint, e.g. <c>7b4e:909b:be7f:fe44</c>.</summary>
    public string Fingerprint { get; }

    internal Key Key
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _key;
        }
    }

    /// <summary>A new random identity.</summary>
    public static Identity Generate() => new(ProtocolCrypto.CreateAgreementKey());

    /// <summary>Loads an identity from its 32 raw private-key bytes.</summary>
    /// <exception cref="ArgumentException">The key is not 32 bytes.</exception>
    public static Identity FromPrivateKey(ReadOnlySpan<byte> raw32) => new(ProtocolCrypto.ImportAgreementKey(raw32));

    /// <summary>The 32 raw private-key bytes (for <c>identity.key</c>).</summary>
    public byte[] ExportPrivateKey() => Key.Export(KeyBlobFormat.RawPrivateKey);

    /// <inheritdoc />
    public void Dispose()
    {
        _disposed = true;
        _key.Dispose();
    }

    /// <inheritdoc />
    public override string ToString() => $"Identity {Fingerprint}";
}
