using System.Buffers.Binary;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace OpenDesk.Remote.Server;

/// <summary>
/// The server side of the RFC 6455 opening handshake (HTTP/1.1 Upgrade), done here instead of ASP.NET Core's
/// WebSocketMiddleware: the middleware computes <c>Sec-WebSocket-Accept</c> with the BCL's SHA-1, which on Linux loads
/// OpenSSL (about 4 MB of RSS in <c>opendesk serve</c>, docs/benchmarks.md "Remote layer").
/// </summary>
internal static class WebSocketHandshake
{
    /// <summary>The only protocol version RFC 6455 defines.</summary>
    internal const string SupportedVersion = "13";

    private const string AcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    /// <summary>What a request is, as far as the WebSocket upgrade goes.</summary>
    internal enum Verdict
    {
        /// <summary>A valid WebSocket upgrade request.</summary>
        Upgrade,

        /// <summary>No <c>Upgrade: websocket</c> at all (plain HTTP): 426 Upgrade Required.</summary>
        NotWebSocket,

        /// <summary>A WebSocket upgrade for a version other than 13: 426 with <c>Sec-WebSocket-Version: 13</c>.</summary>
        UnsupportedVersion,

        /// <summary>A malformed WebSocket upgrade (method, Connection header or key): 400.</summary>
        Malformed,
    }

    /// <summary>Checks a request against RFC 6455 §4.2.1; <paramref name="problem"/> says what is wrong otherwise.</summary>
    internal static Verdict Check(string method, IHeaderDictionary headers, bool upgradable, out string problem)
    {
        if (!HeaderHasToken(headers.Upgrade, "websocket"))
        {
            problem = "OpenDesk protocol v1: connect with a WebSocket client.";
            return Verdict.NotWebSocket;
        }

        if (!HttpMethods.IsGet(method))
        {
            problem = "a WebSocket upgrade must be a GET request.";
            return Verdict.Malformed;
        }

        if (!HeaderHasToken(headers.Connection, "upgrade") || !upgradable)
        {
            problem = "a WebSocket upgrade needs an HTTP/1.1 request with \"Connection: Upgrade\" and no body.";
            return Verdict.Malformed;
        }

        if (!string.Equals(headers.SecWebSocketVersion.ToString(), SupportedVersion, StringComparison.Ordinal))
        {
            problem = $"unsupported Sec-WebSocket-Version \"{headers.SecWebSocketVersion}\": this server speaks {SupportedVersion}.";
            return Verdict.UnsupportedVersion;
        }

        if (!IsValidKey(headers.SecWebSocketKey.ToString()))
        {
            problem = "Sec-WebSocket-Key must be the base64 encoding of 16 bytes.";
            return Verdict.Malformed;
        }

        problem = string.Empty;
        return Verdict.Upgrade;
    }

    /// <summary>True for the base64 encoding of exactly 16 bytes (RFC 6455 §4.1).</summary>
    internal static bool IsValidKey(string key)
    {
        Span<byte> decoded = stackalloc byte[18];
        return key.Length == 24 && Convert.TryFromBase64String(key, decoded, out int written) && written == 16;
    }

    /// <summary><c>Sec-WebSocket-Accept</c> = base64(SHA-1(key ‖ "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")).</summary>
    internal static string ComputeAccept(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        byte[] input = Encoding.ASCII.GetBytes(key + AcceptGuid);
        Span<byte> digest = stackalloc byte[Sha1.HashSize];
        Sha1.Hash(input, digest);
        return Convert.ToBase64String(digest);
    }

    private static bool HeaderHasToken(Microsoft.Extensions.Primitives.StringValues values, string token)
    {
        foreach (string? value in values)
        {
            foreach (string part in (value ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (string.Equals(part, token, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>
    /// A small managed SHA-1 (FIPS 180-4). NOT for security: SHA-1 is broken for collision resistance, and it is used
    /// here only for the RFC 6455 handshake's <c>Sec-WebSocket-Accept</c>, which proves nothing but that the peer speaks
    /// WebSocket. Protocol security comes from the OpenDesk handshake and channel (libsodium). Managed so that the
    /// handshake does not load OpenSSL.
    /// </summary>
    internal static class Sha1
    {
        /// <summary>Digest size in bytes.</summary>
        internal const int HashSize = 20;

        /// <summary>SHA-1 of <paramref name="message"/> into <paramref name="digest"/> (20 bytes).</summary>
        internal static void Hash(ReadOnlySpan<byte> message, Span<byte> digest)
        {
            if (digest.Length < HashSize)
            {
                throw new ArgumentException("A SHA-1 digest has 20 bytes.", nameof(digest));
            }

            Span<uint> h = [0x67452301u, 0xEFCDAB89u, 0x98BADCFEu, 0x10325476u, 0xC3D2E1F0u];
            Span<uint> w = stackalloc uint[80];
            int full = message.Length / 64;
            for (int i = 0; i < full; i++)
            {
                Compress(h, w, message.Slice(i * 64, 64));
            }

            // Padding: 0x80, zeros, then the bit length as a 64-bit big-endian integer; one or two final blocks.
            Span<byte> tail = stackalloc byte[128];
            tail.Clear();
            int rest = message.Length - (full * 64);
            message[(full * 64)..].CopyTo(tail);
            tail[rest] = 0x80;
            int tailLength = rest < 56 ? 64 : 128;
            BinaryPrimitives.WriteUInt64BigEndian(tail[(tailLength - 8)..], (ulong)message.Length * 8);
            for (int offset = 0; offset < tailLength; offset += 64)
            {
                Compress(h, w, tail.Slice(offset, 64));
            }

            for (int i = 0; i < 5; i++)
            {
                BinaryPrimitives.WriteUInt32BigEndian(digest[(i * 4)..], h[i]);
            }
        }

        private static void Compress(Span<uint> h, Span<uint> w, ReadOnlySpan<byte> block)
        {
            for (int t = 0; t < 16; t++)
            {
                w[t] = BinaryPrimitives.ReadUInt32BigEndian(block[(t * 4)..]);
            }

            for (int t = 16; t < 80; t++)
            {
                w[t] = uint.RotateLeft(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);
            }

            uint a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
            for (int t = 0; t < 80; t++)
            {
                uint f, k;
                if (t < 20)
                {
                    f = (b & c) | (~b & d);
                    k = 0x5A827999u;
                }
                else if (t < 40)
                {
                    f = b ^ c ^ d;
                    k = 0x6ED9EBA1u;
                }
                else if (t < 60)
                {
                    f = (b & c) | (b & d) | (c & d);
                    k = 0x8F1BBCDCu;
                }
                else
                {
                    f = b ^ c ^ d;
                    k = 0xCA62C1D6u;
                }

                uint temp = uint.RotateLeft(a, 5) + f + e + k + w[t];
                e = d;
                d = c;
                c = uint.RotateLeft(b, 30);
                b = a;
                a = temp;
            }

            h[0] += a;
            h[1] += b;
            h[2] += c;
            h[3] += d;
            h[4] += e;
        }
    }
}
