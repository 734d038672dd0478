using System.Buffers;
using MessagePack;

namespace OpenDesk.Remote.Protocol;

/// <summary>A parsed plaintext handshake message (spec §4–§5). Absent fields are null.</summary>
internal sealed record HandshakeMessage(string Kind, byte[]? E, byte[]? S, byte[]? Ct);

/// <summary>
/// Encoding and strict parsing of the handshake messages: <c>{v: 1, kind, …}</c> with byte fields as msgpack
/// <c>bin</c>, keys in the order of spec §4/§5. Unknown keys are ignored.
/// </summary>
internal static class HandshakeMessages
{
    internal const int Version = 1;
    internal const string PairHello = "pair_hello";
    internal const string PairOffer = "pair_offer";
    internal const string PairFinish = "pair_finish";
    internal const string AuthHello = "auth_hello";
    internal const string AuthOffer = "auth_offer";

    /// <summary><c>{v, kind: "pair_hello", e}</c>.</summary>
    internal static byte[] EncodePairHello(ReadOnlySpan<byte> e) => Encode(PairHello, ("e", e.ToArray()));

    /// <summary><c>{v, kind: "pair_offer", e, ct}</c>.</summary>
    internal static byte[] EncodePairOffer(ReadOnlySpan<byte> e, ReadOnlySpan<byte> ct) => Encode(PairOffer, ("e", e.ToArray()), ("ct", ct.ToArray()));

    /// <summary><c>{v, kind: "pair_finish", ct}</c>.</summary>
    internal static byte[] EncodePairFinish(ReadOnlySpan<byte> ct) => Encode(PairFinish, ("ct", ct.ToArray()));

    /// <summary><c>{v, kind: "auth_hello", e, s}</c>.</summary>
    internal static byte[] EncodeAuthHello(ReadOnlySpan<byte> e, ReadOnlySpan<byte> s) => Encode(AuthHello, ("e", e.ToArray()), ("s", s.ToArray()));

    /// <summary><c>{v, kind: "auth_offer", e, ct}</c>.</summary>
    internal static byte[] EncodeAuthOffer(ReadOnlySpan<byte> e, ReadOnlySpan<byte> ct) => Encode(AuthOffer, ("e", e.ToArray()), ("ct", ct.ToArray()));

    /// <summary>
    /// Parses a handshake message of kind <paramref name="expectedKind"/>. Checks: a map, <c>v == 1</c>, the kind,
    /// and that <c>e</c>/<c>s</c>/<c>ct</c>, when present, are <c>bin</c>. Field presence and sizes are checked by the caller.
    /// </summary>
    /// <exception cref="HandshakeException">With <see cref="HandshakeFailure.Protocol"/> on any violation.</exception>
    internal static HandshakeMessage Parse(ReadOnlyMemory<byte> data, string expectedKind)
    {
        Dictionary<string, object?> map;
        try
        {
            map = MsgPackValue.Decode(data) as Dictionary<string, object?>
                ?? throw new HandshakeException(HandshakeFailure.Protocol, "handshake message is not a map");
        }
        catch (MessagePackSerializationException ex)
        {
            throw new HandshakeException(HandshakeFailure.Protocol, "malformed handshake message: " + ex.Message, ex);
        }

        if (!map.TryGetValue("v", out object? v) || v is not long version || version != Version)
        {
            throw new HandshakeException(HandshakeFailure.Protocol, $"unsupported handshake version {v ?? "(none)"}");
        }

        if (!map.TryGetValue("kind", out object? kind) || kind is not string kindText || kindText != expectedKind)
        {
            throw new HandshakeException(HandshakeFailure.Protocol, $"expected handshake message '{expectedKind}', got '{kind ?? "(none)"}'");
        }

        return new HandshakeMessage(kindText, Bytes(map, "e"), Bytes(map, "s"), Bytes(map, "ct"));
    }

    private static byte[]? Bytes(Dictionary<string, object?> map, string key)
    {
        if (!map.TryGetValue(key, out object? value) || value is null)
        {
            return null;
        }

        return value as byte[] ?? throw new HandshakeException(HandshakeFailure.Protocol, $"handshake field '{key}' must be msgpack bin");
    }

    private static byte[] Encode(string kind, params ReadOnlySpan<(string Key, byte[] Value)> fields)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        var writer = new MessagePackWriter(buffer);
        writer.WriteMapHeader(2 + fields.Length);
        writer.Write("v");
        writer.Write(Version);
        writer.Write("kind");
        writer.Write(kind);
        foreach ((string key, byte[] value) in fields)
        {
            writer.Write(key);
            writer.Write(value.AsSpan());
        }

        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }
}
