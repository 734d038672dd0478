using System.Security.Cryptography;
using OpenDesk.Remote.Protocol;

namespace OpenDesk.Remote.Tests.Protocol;

/// <summary>
/// The libsodium-backed primitives of <see cref="ProtocolCrypto"/> checked against independent implementations: the BCL
/// (OpenSSL here) for SHA-256, HKDF-SHA256 and ChaCha20-Poly1305. The spec vectors are in <see cref="VectorTests"/>.
/// </summary>
public sealed class ProtocolCryptoTests
{
    [Fact]
    public void Sha256_RandomInputsOfManyLengths_MatchesBcl()
    {
        var random = new Random(20261123);
        for (int length = 0; length <= 300; length++)
        {
            byte[] a = new byte[length / 2];
            byte[] b = new byte[length - a.Length];
            random.NextBytes(a);
            random.NextBytes(b);
            Assert.Equal(SHA256.HashData(ProtocolCrypto.Concat(a, b)), ProtocolCrypto.Sha256(a, b));
        }
    }

    [Theory]
    [InlineData(0, 32, 0, 32)] // empty salt: HashLen zeros
    [InlineData(32, 32, 11, 32)]
    [InlineData(32, 128, 20, 64)]
    [InlineData(64, 32, 0, 64)] // a salt as long as the HMAC block
    [InlineData(80, 96, 37, 64)] // a salt longer than the block (PSK ‖ ct1)
    [InlineData(32, 32, 5, 1)]
    [InlineData(16, 40, 9, 100)]
    [InlineData(32, 32, 3, 255 * 32)]
    public void Hkdf_MatchesBclHkdf(int saltLength, int ikmLength, int infoLength, int outputLength)
    {
        var random = new Random(saltLength * 1000 + outputLength);
        for (int round = 0; round < 20; round++)
        {
            byte[] salt = new byte[saltLength];
            byte[] ikm = new byte[ikmLength];
            byte[] info = new byte[infoLength];
            random.NextBytes(salt);
            random.NextBytes(ikm);
            random.NextBytes(info);
            byte[] expected = new byte[outputLength];
            HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, expected, salt, info);
            Assert.Equal(expected, ProtocolCrypto.Hkdf(salt, ikm, info, outputLength));
        }
    }

    [Fact]
    public void Hkdf_Rfc5869TestCase1()
    {
        byte[] okm = ProtocolCrypto.Hkdf(
            Convert.FromHexString("000102030405060708090a0b0c"),
            Convert.FromHexString("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"),
            Convert.FromHexString("f0f1f2f3f4f5f6f7f8f9"),
            42);
        Assert.Equal("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865", Convert.ToHexString(okm).ToLowerInvariant());
    }

    [Fact]
    public void Hkdf_BadLength_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ProtocolCrypto.Hkdf([], [1], [], 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => ProtocolCrypto.Hkdf([], [1], [], (255 * 32) + 1));
    }

    [Fact]
    public void Aead_RandomMessages_MatchBclBothWays_AndRejectTampering()
    {
        Assert.SkipUnless(ChaCha20Poly1305.IsSupported, "the BCL has no ChaCha20-Poly1305 here");
        var random = new Random(6455);
        int[] lengths = [0, 1, 15, 16, 17, 63, 64, 65, 255, 256, 1000, 4096, 65_537];
        foreach (int length in lengths)
        {
            byte[] key = new byte[32];
            byte[] nonce = new byte[12];
            byte[] plaintext = new byte[length];
            random.NextBytes(key);
            random.NextBytes(nonce);
            random.NextBytes(plaintext);

            using var bcl = new ChaCha20Poly1305(key);
            byte[] expected = new byte[length + 16];
            bcl.Encrypt(nonce, plaintext, expected.AsSpan(0, length), expected.AsSpan(length, 16));

            using var ours = new AeadKey(key);
            byte[] actual = new byte[length + 16];
            ours.Encrypt(nonce, plaintext, actual);
            Assert.Equal(expected, actual);

            byte[] opened = new byte[length];
            Assert.True(ours.TryDecrypt(nonce, expected, opened));
            Assert.Equal(plaintext, opened);

            byte[] tampered = (byte[])expected.Clone();
            tampered[random.Next(tampered.Length)] ^= (byte)(1 << random.Next(8));
            Assert.False(ours.TryDecrypt(nonce, tampered, new byte[length]));
            byte[] otherNonce = (byte[])nonce.Clone();
            otherNonce[11] ^= 1;
            Assert.False(ours.TryDecrypt(otherNonce, expected, new byte[length]));
        }

        Assert.False(new AeadKey(new byte[32]).TryDecrypt(new byte[12], new byte[15], new byte[1]));
    }

    [Fact]
    public void RandomBytes_AreFreshAndOfTheAskedLength()
    {
        Assert.Empty(ProtocolCrypto.RandomBytes(0));
        byte[] a = ProtocolCrypto.RandomBytes(32);
        byte[] b = ProtocolCrypto.RandomBytes(32);
        Assert.Equal(32, a.Length);
        Assert.NotEqual(a, b);

        // 64 KiB of uniform bytes: every byte value shows up, none wildly over-represented (loose bounds, p ≈ 0).
        int[] counts = new int[256];
        foreach (byte value in ProtocolCrypto.RandomBytes(65_536))
        {
            counts[value]++;
        }

        Assert.All(counts, c => Assert.InRange(c, 150, 370));
        Assert.Throws<ArgumentOutOfRangeException>(() => ProtocolCrypto.RandomBytes(-1));
    }
}
