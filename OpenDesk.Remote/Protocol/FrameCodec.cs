using System.Buffers;
using MessagePack;
using OpenDesk.Core;

namespace OpenDesk.Remote.Protocol;

/// <summary>
/// msgpack ↔ <see cref="Frame"/> (spec §7, §16). Encoding: keys <c>v</c>, <c>type</c>, then the §7 fields in table
/// order, every field present, nil for unset optionals; bytes as <c>bin</c>, text as <c>str</c>. Decoding runs with
/// untrusted-data security; unknown fields are ignored (forward compatibility), missing fields with a default take
/// it, and wrong types, a missing required field, an unknown <c>type</c> or <c>v ≠ 1</c> are protocol violations.
/// </summary>
internal static class FrameCodec
{
    /// <summary>The frame version.</summary>
    public const int Version = 1;

    /// <summary>Encodes a frame to a new array.</summary>
    /// <exception cref="ArgumentException">A params/result/payload value has no msgpack form.</exception>
    public static byte[] Encode(Frame frame)
    {
        var buffer = new ArrayBufferWriter<byte>(EstimateSize(frame));
        Encode(frame, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>An estimate of the encoded size of <paramref name="frame"/>, to pre-size buffers.</summary>
    public static int EstimateSize(Frame frame) => 64 + frame switch
    {
        HelloFrame h => MsgPackValue.EstimateSize(h.Capabilities) + MsgPackValue.EstimateSize(h.Auth) + ErrorSize(h.Error),
        RequestFrame r => r.Method.Length + MsgPackValue.EstimateSize(r.Params),
        ResponseFrame r => MsgPackValue.EstimateSize(r.Result) + ErrorSize(r.Error),
        CancelFrame c => c.Reason.Length,
        PushFrame p => p.Topic.Length + MsgPackValue.EstimateSize(p.Payload),
        _ => 0,
    };

    /// <summary>Encodes a frame into <paramref name="destination"/>.</summary>
    public static void Encode(Frame frame, IBufferWriter<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(frame);
        var w = new MessagePackWriter(destination);
        switch (frame)
        {
            case HelloFrame h:
                Header(ref w, 7, h.Type);
                w.Write("role");
                w.Write(h.Role);
                w.Write("principal");
                w.Write(h.Principal);
                w.Write("auth");
                MsgPackValue.Write(ref w, h.Auth);
                w.Write("capabilities");
                MsgPackValue.Write(ref w, h.Capabilities);
                w.Write("error");
                WriteError(ref w, h.Error);
                break;
            case RequestFrame r:
                Header(ref w, 6, r.Type);
                w.Write("id");
                w.Write(r.Id);
                w.Write("method");
                w.Write(r.Method);
                w.Write("stream");
                w.Write(r.Stream);
                w.Write("params");
                MsgPackValue.Write(ref w, r.Params);
                break;
            case ResponseFrame r:
                Header(ref w, 7, r.Type);
                w.Write("id");
                w.Write(r.Id);
                w.Write("seq");
                w.Write(r.Seq);
                w.Write("end");
                w.Write(r.End);
                w.Write("result");
                MsgPackValue.Write(ref w, r.Result);
                w.Write("error");
                WriteError(ref w, r.Error);
                break;
            case CancelFrame c:
                Header(ref w, 4, c.Type);
                w.Write("id");
                w.Write(c.Id);
                w.Write("reason");
                w.Write(c.Reason);
                break;
            case PushFrame p:
                Header(ref w, 4, p.Type);
                w.Write("topic");
                w.Write(p.Topic);
                w.Write("payload");
                MsgPackValue.Write(ref w, p.Payload);
                break;
            default:
                throw new ArgumentException($"unknown frame type {frame.GetType().Name}", nameof(frame));
        }

        w.Flush();
    }

    /// <summary>Decodes one frame.</summary>
    /// <exception cref="ProtocolException">The bytes are not a valid frame.</exception>
    public static Frame Decode(ReadOnlyMemory<byte> data) =>
        TryDecode(data, out Frame? frame, out string? error) ? frame : throw new ProtocolException(error);

    /// <summary>Decodes one frame; false with a reason for malformed input (never throws for bad bytes).</summary>
    public static bool TryDecode(ReadOnlyMemory<byte> data, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Frame? frame, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        frame = null;
        Dictionary<string, object?> map;
        try
        {
            if (MsgPackValue.Decode(data) is not Dictionary<string, object?> m)
            {
                error = "frame is not a map";
                return false;
            }

            map = m;
        }
        catch (MessagePackSerializationException ex)
        {
            error = "malformed frame: " + ex.Message;
            return false;
        }

        try
        {
            frame = FromMap(map);
            error = null;
            return true;
        }
        catch (FormatException ex)
        {
            error = ex.Message;
            return false;
        }
    }

    private static Frame FromMap(Dictionary<string, object?> map)
    {
        string type = map.TryGetValue("type", out object? t) && t is string s ? s : throw new FormatException("frame has no 'type'");
        if (map.TryGetValue("v", out object? v) && (v is not long version || version != Version))
        {
            throw new FormatException($"{type}: unsupported frame version v={v ?? "nil"}");
        }

        return type switch
        {
            "hello" => new HelloFrame(
                Required<string>(map, type, "role"),
                Optional(map, type, "principal", ""),
                Optional(map, type, "auth", Frame.EmptyMap),
                Optional(map, type, "capabilities", Frame.EmptyMap),
                ReadError(map, type)),
            "req" => new RequestFrame(
                Required<long>(map, type, "id"),
                Required<string>(map, type, "method"),
                Optional(map, type, "stream", false),
                Optional(map, type, "params", Frame.EmptyMap)),
            "res" => new ResponseFrame(
                Required<long>(map, type, "id"),
                Optional(map, type, "seq", 0L),
                Optional(map, type, "end", true),
                map.GetValueOrDefault("result"),
                ReadError(map, type)),
            "cancel" => new CancelFrame(Required<long>(map, type, "id"), Optional(map, type, "reason", "")),
            "push" => new PushFrame(Required<string>(map, type, "topic"), Optional(map, type, "payload", Frame.EmptyMap)),
            _ => throw new FormatException($"unknown frame type '{type}'"),
        };
    }

    private static T Required<T>(Dictionary<string, object?> map, string type, string key)
    {
        if (!map.TryGetValue(key, out object? value))
        {
            throw new FormatException($"{type}: missing required field '{key}'");
        }

        return value is T typed ? typed : throw new FormatException($"{type}.{key}: expected {Describe<T>()}, got {DescribeValue(value)}");
    }

    private static T Optional<T>(Dictionary<string, object?> map, string type, string key, T fallback)
    {
        if (!map.TryGetValue(key, out object? value) || value is null)
        {
            return fallback;
        }

        return value is T typed ? typed : throw new FormatException($"{type}.{key}: expected {Describe<T>()}, got {DescribeValue(value)}");
    }

    private static ErrorInfo? ReadError(Dictionary<string, object?> map, string type)
    {
        if (!map.TryGetValue("error", out object? value) || value is null)
        {
            return null;
        }

        if (value is not Dictionary<string, object?> e)
        {
            throw new FormatException($"{type}.error: expected an ErrorInfo map or nil, got {DescribeValue(value)}");
        }

        return new ErrorInfo(
            Optional(e, type + ".error", "code", "internal"),
            Optional(e, type + ".error", "message", ""),
            Optional(e, type + ".error", "details", Frame.EmptyMap));
    }

    private static int ErrorSize(ErrorInfo? error) =>
        error is null ? 1 : 32 + error.Code.Length + error.Message.Length + MsgPackValue.EstimateSize(error.Details);

    private static void Header(ref MessagePackWriter w, int count, string type)
    {
        w.WriteMapHeader(count);
        w.Write("v");
        w.Write(Version);
        w.Write("type");
        w.Write(type);
    }

    private static void WriteError(ref MessagePackWriter w, ErrorInfo? error)
    {
        if (error is null)
        {
            w.WriteNil();
            return;
        }

        w.WriteMapHeader(3);
        w.Write("code");
        w.Write(error.Code);
        w.Write("message");
        w.Write(error.Message);
        w.Write("details");
        MsgPackValue.Write(ref w, error.Details);
    }

    private static string Describe<T>() => typeof(T) == typeof(long) ? "int" : typeof(T) == typeof(string) ? "str" : typeof(T) == typeof(bool) ? "bool" : "map";

    internal static string DescribeValue(object? value) => value switch
    {
        null => "nil",
        long or ulong => "int",
        double => "float",
        string => "str",
        bool => "bool",
        byte[] => "bin",
        IDictionary<string, object?> => "map",
        System.Collections.IList => "array",
        _ => value.GetType().Name,
    };
}
