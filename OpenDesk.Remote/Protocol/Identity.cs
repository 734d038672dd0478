using System.Security.Cryptography;
using OpenDesk.Core;

namespace OpenDesk.Remote.Protocol;

/// <summary>A machine's long-term X25519 identity (spec §3). The private key is 32 raw bytes.</summary>
internal sealed class Identity : IDisposable
{
    private readonly byte[] _privateKey;
    private bool _disposed;

    private Identity(byte[] privateKey)
    {
        _privateKey = privateKey;
        PublicKey = ProtocolCrypto.PublicKeyOf(privateKey);
        Fingerprint = PeerFingerprint.Of(PublicKey);
    }

    /// <summary>The 32-byte raw public key (not copied: do not modify).</summary>
    public byte[] PublicKey { get; }

    /// <summary>The display fingerprint, e.g. <c>7b4e:909b:be7f:fe44</c>.</summary>
    public string Fingerprint { get; }

    internal ReadOnlySpan<byte> PrivateKey
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _privateKey;
        }
    }

    /// <summary>A new random identity.</summary>
    public static Identity Generate() => new(ProtocolCrypto.CreatePrivateKey());

    /// <summary>Loads an identity from its 32 raw private-key bytes.</summary>
    /// <exception cref="ArgumentException">The key is not 32 bytes.</exception>
    public static Identity FromPrivateKey(ReadOnlySpan<byte> raw32)
    {
        if (raw32.Length != ProtocolCrypto.KeySize)
        {
            throw new ArgumentException($"An X25519 private key has {ProtocolCrypto.KeySize} bytes, got {raw32.Length}.", nameof(raw32));
        }

        return new(raw32.ToArray());
    }

    /// <summary>The 32 raw private-key bytes (for <c>identity.key</c>); a copy.</summary>
    public byte[] ExportPrivateKey() => PrivateKey.ToArray();

    /// <summary>Zeroes the private key.</summary>
    public void Dispose()
    {
        _disposed = true;
        CryptographicOperations.ZeroMemory(_privateKey);
    }

    /// <inheritdoc />
    public override string ToString() => $"Identity {Fingerprint}";
}
