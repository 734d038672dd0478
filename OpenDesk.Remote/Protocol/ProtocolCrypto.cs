using System.Security.Cryptography;
using System.Text;
using NSec.Cryptography;

namespace OpenDesk.Remote.Protocol;

/// <summary>
/// The cryptographic primitives of protocol v1 (spec §3–§6): PBKDF2 PSK, HKDF-SHA256, X25519 and
/// ChaCha20-Poly1305 with 12-byte nonces and no associated data. Synchronous and span-based.
/// </summary>
internal static class ProtocolCrypto
{
    /// <summary>Size of keys, public keys and DH outputs.</summary>
    internal const int KeySize = 32;

    /// <summary>Size of the Poly1305 tag.</summary>
    internal const int TagSize = 16;

    /// <summary>Size of a nonce.</summary>
    internal const int NonceSize = 12;

    /// <summary>PBKDF2 iterations of the pairing PSK.</summary>
    internal const int PskIterations = 200_000;

    private static readonly byte[] s_pskSalt = "opendesk-psk-v1"u8.ToArray();

    internal static KeyAgreementAlgorithm X25519 => KeyAgreementAlgorithm.X25519;

    internal static AeadAlgorithm Aead => AeadAlgorithm.ChaCha20Poly1305;

    /// <summary><c>PSK = PBKDF2-HMAC-SHA256(code, "opendesk-psk-v1", 200000, 32)</c>.</summary>
    internal static byte[] DerivePsk(string code)
    {
        ArgumentNullException.ThrowIfNull(code);
        return Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(code), s_pskSalt, PskIterations, HashAlgorithmName.SHA256, KeySize);
    }

    /// <summary>HKDF-SHA256 extract + expand.</summary>
    internal static byte[] Hkdf(ReadOnlySpan<byte> salt, ReadOnlySpan<byte> ikm, ReadOnlySpan<byte> info, int length = KeySize)
    {
        byte[] output = new byte[length];
        HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, output, salt, info);
        return output;
    }

    /// <summary>SHA-256 of the concatenation of the parts.</summary>
    internal static byte[] Sha256(params ReadOnlySpan<byte[]> parts)
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (byte[] part in parts)
        {
            hash.AppendData(part);
        }

        return hash.GetHashAndReset();
    }

    /// <summary>Concatenates byte arrays.</summary>
    internal static byte[] Concat(params ReadOnlySpan<byte[]> parts)
    {
        int length = 0;
        foreach (byte[] part in parts)
        {
            length += part.Length;
        }

        byte[] result = new byte[length];
        int offset = 0;
        foreach (byte[] part in parts)
        {
            part.CopyTo(result, offset);
            offset += part.Length;
        }

        return result;
    }

    /// <summary>Creates an X25519 key whose private part can be exported.</summary>
    internal static Key CreateAgreementKey() =>
        Key.Create(X25519, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport });

    /// <summary>Imports a raw 32-byte X25519 private key (clamped as usual by X25519).</summary>
    internal static Key ImportAgreementKey(ReadOnlySpan<byte> rawPrivateKey)
    {
        if (rawPrivateKey.Length != KeySize)
        {
            throw new ArgumentException($"An X25519 private key has {KeySize} bytes, got {rawPrivateKey.Length}.", nameof(rawPrivateKey));
        }

        return Key.Import(X25519, rawPrivateKey, KeyBlobFormat.RawPrivateKey,
            new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport });
    }

    /// <summary>The raw 32-byte public key of <paramref name="key"/>.</summary>
    internal static byte[] PublicKeyOf(Key key) => key.PublicKey.Export(KeyBlobFormat.RawPublicKey);

    /// <summary>X25519(<paramref name="privateKey"/>, <paramref name="peerPublicKey"/>); null for a malformed or low-order public key.</summary>
    internal static byte[]? TryAgree(Key privateKey, ReadOnlySpan<byte> peerPublicKey)
    {
        if (peerPublicKey.Length != KeySize
            || !PublicKey.TryImport(X25519, peerPublicKey, KeyBlobFormat.RawPublicKey, out PublicKey? publicKey)
            || publicKey is null)
        {
            return null;
        }

        using SharedSecret? secret = X25519.Agree(privateKey, publicKey,
            new SharedSecretCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport });
        return secret?.Export(SharedSecretBlobFormat.RawSharedSecret);
    }

    /// <summary>Imports a raw 32-byte ChaCha20-Poly1305 key.</summary>
    internal static Key ImportAeadKey(ReadOnlySpan<byte> rawKey) =>
        Key.Import(Aead, rawKey, KeyBlobFormat.RawSymmetricKey);

    /// <summary><c>AEAD_k(Z12, plaintext)</c>: ciphertext ‖ tag.</summary>
    internal static byte[] EncryptZeroNonce(ReadOnlySpan<byte> rawKey, ReadOnlySpan<byte> plaintext)
    {
        using Key key = ImportAeadKey(rawKey);
        Span<byte> nonce = stackalloc byte[NonceSize];
        nonce.Clear();
        return Aead.Encrypt(key, nonce, default, plaintext);
    }

    /// <summary>Opens <c>AEAD_k(Z12, …)</c>; null when the tag does not verify.</summary>
    internal static byte[]? TryDecryptZeroNonce(ReadOnlySpan<byte> rawKey, ReadOnlySpan<byte> ciphertext)
    {
        if (ciphertext.Length < TagSize)
        {
            return null;
        }

        using Key key = ImportAeadKey(rawKey);
        Span<byte> nonce = stackalloc byte[NonceSize];
        nonce.Clear();
        return Aead.Decrypt(key, nonce, default, ciphertext);
    }

    /// <summary>Writes the 96-bit big-endian counter nonce.</summary>
    internal static void WriteNonce(Span<byte> nonce, ulong counter)
    {
        nonce[..4].Clear();
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(nonce[4..], counter);
    }
}
