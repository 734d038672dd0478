using System.Buffers;
using System.Collections;
using MessagePack;

namespace OpenDesk.Remote.Protocol;

/// <summary>
/// Untyped msgpack values, the way protocol v1 uses them. Writing accepts null, bool, integers, floats, string
/// (msgpack <c>str</c>), byte[] / <see cref="ReadOnlyMemory{T}"/> of byte (msgpack <c>bin</c>), string-keyed maps
/// (written in their enumeration order) and sequences. Reading gives null, bool, long (ulong above
/// <see cref="long.MaxValue"/>), double, string, byte[], <see cref="Dictionary{TKey,TValue}"/> of string to object
/// and <see cref="List{T}"/> of object. Reading limits nesting to <see cref="MaxDepth"/> (as
/// <c>MessagePackSecurity.UntrustedData</c>); maps are BCL dictionaries, which switch to randomized string hashing when keys collide.
/// </summary>
internal static class MsgPackValue
{
    /// <summary>
    /// Maximum nesting of arrays and maps, the limit of <c>MessagePackSecurity.UntrustedData</c>. Checked here rather than
    /// through <c>MessagePackSecurity</c>: its static initialisation seeds a SipHash key from the BCL's
    /// RandomNumberGenerator, which loads OpenSSL (~4 MB of serve RSS), and this codec needs only the depth limit.
    /// (Neither MessagePackSerializerOptions.Standard: its resolver loads System.Linq.Expressions and Regex.)
    /// </summary>
    internal const int MaxDepth = 500;

    /// <summary>Writes <paramref name="value"/>.</summary>
    /// <exception cref="ArgumentException">The value (or something inside it) has no msgpack form.</exception>
    internal static void Write(ref MessagePackWriter writer, object? value)
    {
        switch (value)
        {
            case null:
                writer.WriteNil();
                break;
            case string s:
                writer.Write(s);
                break;
            case bool b:
                writer.Write(b);
                break;
            case int i:
                writer.Write(i);
                break;
            case long l:
                writer.Write(l);
                break;
            case double d:
                writer.Write(d);
                break;
            case float f:
                writer.Write((double)f);
                break;
            case byte[] bytes:
                writer.Write(bytes.AsSpan());
                break;
            case ReadOnlyMemory<byte> rom:
                writer.Write(rom.Span);
                break;
            case Memory<byte> mem:
                writer.Write(mem.Span);
                break;
            case uint ui:
                writer.Write(ui);
                break;
            case ulong ul:
                writer.Write(ul);
                break;
            case short sh:
                writer.Write(sh);
                break;
            case ushort us:
                writer.Write(us);
                break;
            case byte by:
                writer.Write(by);
                break;
            case sbyte sb:
                writer.Write(sb);
                break;
            case decimal dec:
                writer.Write((double)dec);
                break;
            case IReadOnlyDictionary<string, object?> map:
                writer.WriteMapHeader(map.Count);
                foreach (KeyValuePair<string, object?> kv in map)
                {
                    writer.Write(kv.Key);
                    Write(ref writer, kv.Value);
                }

                break;
            case IDictionary dict:
                writer.WriteMapHeader(dict.Count);
                foreach (DictionaryEntry entry in dict)
                {
                    if (entry.Key is not string key)
                    {
                        throw new ArgumentException($"msgpack map keys must be strings, got {entry.Key?.GetType().Name ?? "null"}.", nameof(value));
                    }

                    writer.Write(key);
                    Write(ref writer, entry.Value);
                }

                break;
            case Enum e:
                throw new ArgumentException($"enum {e.GetType().Name} has no msgpack form; convert it to its wire name first.", nameof(value));
            case ICollection collection:
                writer.WriteArrayHeader(collection.Count);
                foreach (object? item in collection)
                {
                    Write(ref writer, item);
                }

                break;
            case IEnumerable sequence:
                var items = new List<object?>();
                foreach (object? item in sequence)
                {
                    items.Add(item);
                }

                writer.WriteArrayHeader(items.Count);
                foreach (object? item in items)
                {
                    Write(ref writer, item);
                }

                break;
            default:
                throw new ArgumentException($"type {value.GetType().Name} has no msgpack form.", nameof(value));
        }
    }

    /// <summary>A cheap upper-bound-ish estimate of the encoded size (used to pre-size buffers; never exact).</summary>
    internal static int EstimateSize(object? value, int depth = 0)
    {
        switch (value)
        {
            case null or bool:
                return 1;
            case byte[] bytes:
                return bytes.Length + 5;
            case ReadOnlyMemory<byte> rom:
                return rom.Length + 5;
            case string s:
                return s.Length + 5;
            case IReadOnlyDictionary<string, object?> map when depth < 32:
                long total = 5;
                foreach (KeyValuePair<string, object?> kv in map)
                {
                    total += kv.Key.Length + 5 + EstimateSize(kv.Value, depth + 1);
                }

                return (int)Math.Min(total, int.MaxValue / 2);
            case ICollection collection when depth < 32:
                long sum = 5;
                foreach (object? item in collection)
                {
                    sum += EstimateSize(item, depth + 1);
                }

                return (int)Math.Min(sum, int.MaxValue / 2);
            default:
                return 9;
        }
    }

    /// <summary>Encodes one value to a new array.</summary>
    internal static byte[] Encode(object? value)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        var writer = new MessagePackWriter(buffer);
        Write(ref writer, value);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Reads one value.</summary>
    /// <remarks>Throws MessagePackSerializationException: Malformed, truncated, too deep, or an unsupported type.</remarks>
    internal static object? Read(ref MessagePackReader reader)
    {
        switch (reader.NextMessagePackType)
        {
            case MessagePackType.Nil:
                reader.ReadNil();
                return null;
            case MessagePackType.Boolean:
                return reader.ReadBoolean();
            case MessagePackType.Integer:
                if (reader.NextCode == MessagePackCode.UInt64)
                {
                    ulong u = reader.ReadUInt64();
                    return u <= long.MaxValue ? (long)u : u;
                }

                return reader.ReadInt64();
            case MessagePackType.Float:
                return reader.ReadDouble();
            case MessagePackType.String:
                return reader.ReadString();
            case MessagePackType.Binary:
                ReadOnlySequence<byte>? bytes = reader.ReadBytes();
                return bytes?.ToArray() ?? [];
            case MessagePackType.Array:
            {
                int count = reader.ReadArrayHeader();
                DepthStep(ref reader);
                try
                {
                    var list = new List<object?>(Math.Min(count, 64));
                    for (int i = 0; i < count; i++)
                    {
                        list.Add(Read(ref reader));
                    }

                    return list;
                }
                finally
                {
                    reader.Depth--;
                }
            }

            case MessagePackType.Map:
                return ReadMap(ref reader);
            default:
                throw new MessagePackSerializationException($"unsupported msgpack type {reader.NextMessagePackType} (code 0x{reader.NextCode:x2})");
        }
    }

    /// <summary>Reads a map with string keys (duplicate keys: the last wins).</summary>
    internal static Dictionary<string, object?> ReadMap(ref MessagePackReader reader)
    {
        int count = reader.ReadMapHeader();
        DepthStep(ref reader);
        try
        {
            var map = new Dictionary<string, object?>(Math.Min(count, 64), StringComparer.Ordinal);
            for (int i = 0; i < count; i++)
            {
                if (reader.NextMessagePackType != MessagePackType.String)
                {
                    throw new MessagePackSerializationException($"map keys must be strings, got {reader.NextMessagePackType}");
                }

                string key = reader.ReadString()!;
                map[key] = Read(ref reader);
            }

            return map;
        }
        finally
        {
            reader.Depth--;
        }
    }

    /// <summary>Decodes exactly one value from <paramref name="data"/> (trailing bytes are an error).</summary>
    /// <remarks>Throws MessagePackSerializationException: The bytes are not exactly one valid value.</remarks>
    internal static object? Decode(ReadOnlyMemory<byte> data)
    {
        var reader = new MessagePackReader(data);
        object? value = ReadGuarded(ref reader);
        if (!reader.End)
        {
            throw new MessagePackSerializationException($"{data.Length - reader.Consumed} trailing bytes after the msgpack value");
        }

        return value;
    }

    private static void DepthStep(ref MessagePackReader reader)
    {
        if (reader.Depth >= MaxDepth)
        {
            throw new InsufficientExecutionStackException($"This msgpack sequence has an object graph that exceeds the maximum depth allowed of {MaxDepth}.");
        }

        reader.Depth++;
    }

    private static object? ReadGuarded(ref MessagePackReader reader)
    {
        try
        {
            return Read(ref reader);
        }
        catch (MessagePackSerializationException)
        {
            throw;
        }
        catch (Exception ex) when (ex is EndOfStreamException or InvalidOperationException or OverflowException or ArgumentException or InsufficientExecutionStackException)
        {
            throw new MessagePackSerializationException("malformed msgpack: " + ex.Message, ex);
        }
    }
}
