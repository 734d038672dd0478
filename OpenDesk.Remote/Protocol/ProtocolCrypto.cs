using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using NSec.Cryptography;

namespace OpenDesk.Remote.Protocol;

/// <summary>
/// The cryptographic primitives of protocol v1 (spec §3–§6): PBKDF2 PSK, HKDF-SHA256, X25519 and
/// ChaCha20-Poly1305 with 12-byte nonces and no associated data. Synchronous and span-based.
/// Everything on the session path (random keys, SHA-256, HMAC/HKDF-SHA256, X25519, ChaCha20-Poly1305) calls libsodium
/// directly — the native library NSec ships and initialises — and never the BCL's crypto, which on Linux loads OpenSSL
/// (libssl, libcrypto and .NET's shim: about 4 MB of RSS, docs/benchmarks.md "Remote layer"). NSec's own key objects are
/// not used either: they allocate guarded secure memory (mmap/mprotect) for every key, which made a handshake 2–3×
/// slower than the Python original. Only pairing (the PBKDF2 PSK) stays on the BCL.
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

    /// <summary>PSK = PBKDF2-HMAC-SHA256(code, "opendesk-psk-v1", 200000, 32).</summary>
    internal static byte[] DerivePsk(string code)
    {
        ArgumentNullException.ThrowIfNull(code);
        return Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(code), s_pskSalt, PskIterations, HashAlgorithmName.SHA256, KeySize);
    }

    /// <summary>HKDF-SHA256 extract + expand.</summary>
    internal static byte[] Hkdf(ReadOnlySpan<byte> salt, ReadOnlySpan<byte> ikm, ReadOnlySpan<byte> info, int length = KeySize)
    {
        // RFC 5869 with HMAC-SHA256: PRK = HMAC(salt, IKM); T(i) = HMAC(PRK, T(i−1) ‖ info ‖ i); OKM = T(1) ‖ T(2) ‖ ….
        // An empty salt is HashLen zero bytes, which HMAC's zero padding of the key makes the same as an empty key.
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, 255 * KeySize);
        byte[] output = new byte[length];
        Span<byte> prk = stackalloc byte[KeySize];
        Span<byte> block = stackalloc byte[KeySize];
        Span<byte> counter = stackalloc byte[1];
        Span<ulong> state = stackalloc ulong[HmacStateWords];
        try
        {
            Sodium.HmacSha256(state, salt, ikm, prk);
            int written = 0;
            for (int i = 1; written < length; i++)
            {
                counter[0] = (byte)i;
                Sodium.HmacInit(state, prk);
                if (i > 1)
                {
                    Sodium.HmacUpdate(state, block);
                }

                Sodium.HmacUpdate(state, info);
                Sodium.HmacUpdate(state, counter);
                Sodium.HmacFinal(state, block);
                int take = Math.Min(KeySize, length - written);
                block[..take].CopyTo(output.AsSpan(written));
                written += take;
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(prk);
            CryptographicOperations.ZeroMemory(block);
            CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(state));
        }

        return output;
    }

    /// <summary>SHA-256 of the concatenation of the parts.</summary>
    internal static byte[] Sha256(params ReadOnlySpan<byte[]> parts)
    {
        byte[] digest = new byte[KeySize];
        Sodium.Sha256(Concat(parts), digest);
        return digest;
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
    internal static byte[] CreatePrivateKey() => RandomBytes(KeySize);

    /// <summary>Cryptographically secure random bytes from libsodium's <c>randombytes_buf</c> (getrandom/urandom; no OpenSSL).</summary>
    internal static byte[] RandomBytes(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        byte[] bytes = new byte[count];
        if (count > 0)
        {
            Sodium.randombytes_buf(ref bytes[0], (nuint)count);
        }

        return bytes;
    }

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

    /// <summary>Words of a <c>crypto_auth_hmacsha256_state</c> (two SHA-256 states, 8-byte aligned), checked against libsodium.</summary>
    internal const int HmacStateWords = 32;

    /// <summary>Direct libsodium calls. Spans go in as <c>ref</c> to their first byte (pinned for the call).</summary>
    internal static class Sodium
    {
        private const string Library = "libsodium";
        private static readonly byte[] s_empty = new byte[1];

        static Sodium()
        {
            // NSec's static initialisation runs sodium_init (CPU feature detection) before our direct calls.
            _ = KeyAgreementAlgorithm.X25519;
            if (crypto_auth_hmacsha256_statebytes() > HmacStateWords * sizeof(ulong))
            {
                throw new CryptographicException("libsodium's HMAC-SHA256 state is larger than expected.");
            }
        }

        internal static void Sha256(ReadOnlySpan<byte> message, Span<byte> digest)
        {
            if (digest.Length != KeySize || crypto_hash_sha256(ref MemoryMarshal.GetReference(digest), in Ref(message), (ulong)message.Length) != 0)
            {
                throw new CryptographicException("SHA-256 failed.");
            }
        }

        internal static void HmacSha256(Span<ulong> state, ReadOnlySpan<byte> key, ReadOnlySpan<byte> message, Span<byte> mac)
        {
            HmacInit(state, key);
            HmacUpdate(state, message);
            HmacFinal(state, mac);
        }

        internal static void HmacInit(Span<ulong> state, ReadOnlySpan<byte> key)
        {
            if (crypto_auth_hmacsha256_init(ref MemoryMarshal.GetReference(state), in Ref(key), (nuint)key.Length) != 0)
            {
                throw new CryptographicException("HMAC-SHA256 init failed.");
            }
        }

        internal static void HmacUpdate(Span<ulong> state, ReadOnlySpan<byte> message)
        {
            if (crypto_auth_hmacsha256_update(ref MemoryMarshal.GetReference(state), in Ref(message), (ulong)message.Length) != 0)
            {
                throw new CryptographicException("HMAC-SHA256 update failed.");
            }
        }

        internal static void HmacFinal(Span<ulong> state, Span<byte> mac)
        {
            if (mac.Length != KeySize || crypto_auth_hmacsha256_final(ref MemoryMarshal.GetReference(state), ref MemoryMarshal.GetReference(mac)) != 0)
            {
                throw new CryptographicException("HMAC-SHA256 final failed.");
            }
        }

        /// <summary>ChaCha20-Poly1305 (IETF, 12-byte nonce, no associated data): <paramref name="output"/> = ciphertext ‖ tag.</summary>
        internal static void AeadEncrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, Span<byte> output)
        {
            if (key.Length != KeySize || nonce.Length != NonceSize || output.Length != plaintext.Length + TagSize)
            {
                throw new ArgumentException("ChaCha20-Poly1305: bad key, nonce or output length.");
            }

            if (crypto_aead_chacha20poly1305_ietf_encrypt(
                ref MemoryMarshal.GetReference(output), out _, in Ref(plaintext), (ulong)plaintext.Length,
                IntPtr.Zero, 0, IntPtr.Zero, in MemoryMarshal.GetReference(nonce), in MemoryMarshal.GetReference(key)) != 0)
            {
                throw new CryptographicException("ChaCha20-Poly1305 encryption failed.");
            }
        }

        /// <summary>Opens ciphertext ‖ tag into <paramref name="plaintext"/> (length − 16); false when the tag does not verify.</summary>
        internal static bool AeadDecrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, Span<byte> plaintext)
        {
            if (key.Length != KeySize || nonce.Length != NonceSize || ciphertext.Length < TagSize || plaintext.Length != ciphertext.Length - TagSize)
            {
                throw new ArgumentException("ChaCha20-Poly1305: bad key, nonce or buffer length.");
            }

            // libsodium verifies the tag before it writes any plaintext.
            return crypto_aead_chacha20poly1305_ietf_decrypt(
                ref plaintext.IsEmpty ? ref s_empty[0] : ref MemoryMarshal.GetReference(plaintext), out _, IntPtr.Zero,
                in MemoryMarshal.GetReference(ciphertext), (ulong)ciphertext.Length, IntPtr.Zero, 0,
                in MemoryMarshal.GetReference(nonce), in MemoryMarshal.GetReference(key)) == 0;
        }

        // A valid pointer even for an empty span (libsodium is never asked to read it then).
        private static ref readonly byte Ref(ReadOnlySpan<byte> span) => ref span.IsEmpty ? ref s_empty[0] : ref MemoryMarshal.GetReference(span);

        // Same native library and search rules as NSec's own imports (it comes with NSec's libsodium dependency).
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.AssemblyDirectory | DllImportSearchPath.SafeDirectories)]
        internal static extern int crypto_scalarmult_curve25519(byte[] q, byte[] n, byte[] p);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.AssemblyDirectory | DllImportSearchPath.SafeDirectories)]
        internal static extern int crypto_scalarmult_curve25519_base(byte[] q, byte[] n);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.AssemblyDirectory | DllImportSearchPath.SafeDirectories)]
        internal static extern void randombytes_buf(ref byte buf, nuint size);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.AssemblyDirectory | DllImportSearchPath.SafeDirectories)]
        private static extern int crypto_hash_sha256(ref byte output, in byte input, ulong inputLength);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.AssemblyDirectory | DllImportSearchPath.SafeDirectories)]
        private static extern nuint crypto_auth_hmacsha256_statebytes();

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.AssemblyDirectory | DllImportSearchPath.SafeDirectories)]
        private static extern int crypto_auth_hmacsha256_init(ref ulong state, in byte key, nuint keyLength);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.AssemblyDirectory | DllImportSearchPath.SafeDirectories)]
        private static extern int crypto_auth_hmacsha256_update(ref ulong state, in byte input, ulong inputLength);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.AssemblyDirectory | DllImportSearchPath.SafeDirectories)]
        private static extern int crypto_auth_hmacsha256_final(ref ulong state, ref byte output);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.AssemblyDirectory | DllImportSearchPath.SafeDirectories)]
        private static extern int crypto_aead_chacha20poly1305_ietf_encrypt(
            ref byte ciphertext, out ulong ciphertextLength, in byte message, ulong messageLength,
            IntPtr additionalData, ulong additionalDataLength, IntPtr nsec, in byte nonce, in byte key);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.AssemblyDirectory | DllImportSearchPath.SafeDirectories)]
        private static extern int crypto_aead_chacha20poly1305_ietf_decrypt(
            ref byte message, out ulong messageLength, IntPtr nsec, in byte ciphertext, ulong ciphertextLength,
            IntPtr additionalData, ulong additionalDataLength, in byte nonce, in byte key);
    }
}

/// <summary>A ChaCha20-Poly1305 key (libsodium's IETF construction). Output layout: ciphertext ‖ tag.</summary>
internal sealed class AeadKey : IDisposable
{
    private readonly byte[] _key;

    public AeadKey(ReadOnlySpan<byte> rawKey)
    {
        if (rawKey.Length != ProtocolCrypto.KeySize)
        {
            throw new ArgumentException("A ChaCha20-Poly1305 key has 32 bytes.", nameof(rawKey));
        }

        _key = rawKey.ToArray();
    }

    /// <summary>Encrypts <paramref name="plaintext"/> into <paramref name="output"/> (length + 16).</summary>
    public void Encrypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, Span<byte> output)
        => ProtocolCrypto.Sodium.AeadEncrypt(_key, nonce, plaintext, output[..(plaintext.Length + ProtocolCrypto.TagSize)]);

    /// <summary>Decrypts ciphertext ‖ tag into <paramref name="plaintext"/> (length − 16); false when the tag does not verify.</summary>
    public bool TryDecrypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, Span<byte> plaintext)
    {
        if (ciphertext.Length < ProtocolCrypto.TagSize)
        {
            return false;
        }

        int length = ciphertext.Length - ProtocolCrypto.TagSize;
        return ProtocolCrypto.Sodium.AeadDecrypt(_key, nonce, ciphertext, plaintext[..length]);
    }

    public void Dispose() => CryptographicOperations.ZeroMemory(_key);
}
