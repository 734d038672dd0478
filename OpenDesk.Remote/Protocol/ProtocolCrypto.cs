using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using NSec.Cryptography;

namespace OpenDesk.Remote.Protocol;

/// <summary>
/// The cryptographic primitives of protocol v1 (spec §3–§6): PBKDF2 PSK, HKDF-SHA256, X25519 and
/// ChaCha20-Poly1305 with 12-byte nonces and no associated data. Synchronous and span-based.
/// X25519 calls libsodium's <c>crypto_scalarmult_curve25519</c> directly (the native library NSec ships and
/// initialises): NSec allocates guarded secure memory (mmap/mprotect) for every key and shared secret, which made a
/// handshake 2–3× slower than the Python original. ChaCha20-Poly1305 uses the BCL (OpenSSL/CNG), falling back to NSec.
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

    static ProtocolCrypto()
    {
        // NSec's static initialisation runs sodium_init (CPU feature detection) before our direct calls.
        _ = KeyAgreementAlgorithm.X25519;
    }

    /// <summary>PSK = PBKDF2-HMAC-SHA256(code, "opendesk-psk-v1", 200000, 32).</summary>
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

    /// <summary>A new random X25519 private key (32 raw bytes; X25519 clamps it when used).</summary>
    internal static byte[] CreatePrivateKey() => RandomNumberGenerator.GetBytes(KeySize);

    /// <summary>The raw 32-byte public key of a raw private key.</summary>
    internal static byte[] PublicKeyOf(ReadOnlySpan<byte> privateKey)
    {
        RequireKeySize(privateKey, nameof(privateKey));
        byte[] publicKey = new byte[KeySize];
        byte[] scalar = privateKey.ToArray();
        try
        {
            if (Sodium.crypto_scalarmult_curve25519_base(publicKey, scalar) != 0)
            {
                throw new CryptographicException("X25519 base point multiplication failed.");
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(scalar);
        }

        return publicKey;
    }

    /// <summary>X25519(<paramref name="privateKey"/>, <paramref name="peerPublicKey"/>); null for a malformed or low-order public key.</summary>
    internal static byte[]? TryAgree(ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> peerPublicKey)
    {
        RequireKeySize(privateKey, nameof(privateKey));
        if (peerPublicKey.Length != KeySize)
        {
            return null;
        }

        byte[] shared = new byte[KeySize];
        byte[] scalar = privateKey.ToArray();
        try
        {
            // libsodium returns -1 when the result is all zeros (a low-order point), as NSec's Agree returns null.
            return Sodium.crypto_scalarmult_curve25519(shared, scalar, peerPublicKey.ToArray()) == 0 ? shared : null;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(scalar);
        }
    }

    /// <summary><c>AEAD_k(Z12, plaintext)</c>: ciphertext ‖ tag.</summary>
    internal static byte[] EncryptZeroNonce(ReadOnlySpan<byte> rawKey, ReadOnlySpan<byte> plaintext)
    {
        using var key = new AeadKey(rawKey);
        byte[] output = new byte[plaintext.Length + TagSize];
        key.Encrypt(stackalloc byte[NonceSize], plaintext, output);
        return output;
    }

    /// <summary>Opens <c>AEAD_k(Z12, …)</c>; null when the tag does not verify.</summary>
    internal static byte[]? TryDecryptZeroNonce(ReadOnlySpan<byte> rawKey, ReadOnlySpan<byte> ciphertext)
    {
        if (ciphertext.Length < TagSize)
        {
            return null;
        }

        using var key = new AeadKey(rawKey);
        byte[] plaintext = new byte[ciphertext.Length - TagSize];
        return key.TryDecrypt(stackalloc byte[NonceSize], ciphertext, plaintext) ? plaintext : null;
    }

    /// <summary>Writes the 96-bit big-endian counter nonce.</summary>
    internal static void WriteNonce(Span<byte> nonce, ulong counter)
    {
        nonce[..4].Clear();
        BinaryPrimitives.WriteUInt64BigEndian(nonce[4..], counter);
    }

    private static void RequireKeySize(ReadOnlySpan<byte> key, string name)
    {
        if (key.Length != KeySize)
        {
            throw new ArgumentException($"An X25519 key has {KeySize} bytes, got {key.Length}.", name);
        }
    }

    private static class Sodium
    {
        // Same native library and search rules as NSec's own imports (it comes with NSec's libsodium dependency).
        [DllImport("libsodium", CallingConvention = CallingConvention.Cdecl)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.AssemblyDirectory | DllImportSearchPath.SafeDirectories)]
        internal static extern int crypto_scalarmult_curve25519(byte[] q, byte[] n, byte[] p);

        [DllImport("libsodium", CallingConvention = CallingConvention.Cdecl)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.AssemblyDirectory | DllImportSearchPath.SafeDirectories)]
        internal static extern int crypto_scalarmult_curve25519_base(byte[] q, byte[] n);
    }
}

/// <summary>A ChaCha20-Poly1305 key (BCL when the platform supports it, else NSec). Output layout: ciphertext ‖ tag.</summary>
internal sealed class AeadKey : IDisposable
{
    private readonly System.Security.Cryptography.ChaCha20Poly1305? _bcl;
    private readonly Key? _nsec;

    public AeadKey(ReadOnlySpan<byte> rawKey)
    {
        if (rawKey.Length != ProtocolCrypto.KeySize)
        {
            throw new ArgumentException("A ChaCha20-Poly1305 key has 32 bytes.", nameof(rawKey));
        }

        if (System.Security.Cryptography.ChaCha20Poly1305.IsSupported)
        {
            _bcl = new System.Security.Cryptography.ChaCha20Poly1305(rawKey);
        }
        else
        {
            _nsec = Key.Import(AeadAlgorithm.ChaCha20Poly1305, rawKey, KeyBlobFormat.RawSymmetricKey);
        }
    }

    /// <summary>Encrypts <paramref name="plaintext"/> into <paramref name="output"/> (length + 16).</summary>
    public void Encrypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, Span<byte> output)
    {
        if (_bcl is not null)
        {
            _bcl.Encrypt(nonce, plaintext, output[..plaintext.Length], output.Slice(plaintext.Length, ProtocolCrypto.TagSize));
        }
        else
        {
            AeadAlgorithm.ChaCha20Poly1305.Encrypt(_nsec!, nonce, default, plaintext, output);
        }
    }

    /// <summary>Decrypts ciphertext ‖ tag into <paramref name="plaintext"/> (length − 16); false when the tag does not verify.</summary>
    public bool TryDecrypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, Span<byte> plaintext)
    {
        if (ciphertext.Length < ProtocolCrypto.TagSize)
        {
            return false;
        }

        if (_bcl is null)
        {
            return AeadAlgorithm.ChaCha20Poly1305.Decrypt(_nsec!, nonce, default, ciphertext, plaintext);
        }

        int length = ciphertext.Length - ProtocolCrypto.TagSize;
        try
        {
            _bcl.Decrypt(nonce, ciphertext[..length], ciphertext[length..], plaintext[..length]);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            plaintext[..length].Clear();
            return false;
        }
    }

    public void Dispose()
    {
        _bcl?.Dispose();
        _nsec?.Dispose();
    }
}
