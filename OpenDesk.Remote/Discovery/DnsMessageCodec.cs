using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Text;

namespace OpenDesk.Remote.Discovery;

/// <summary>
/// The RFC 1035 / RFC 6762 wire format. Writing compresses names (also in PTR and SRV data, as mDNS allows);
/// reading follows compression pointers only backwards (so loops are impossible) and rejects anything malformed
/// by returning false: a packet from the network never raises an exception.
/// </summary>
internal static class DnsMessageCodec
{
    /// <summary>The largest mDNS message (RFC 6762 §17); larger datagrams are dropped.</summary>
    public const int MaxMessageBytes = 9000;

    private const int HeaderBytes = 12;
    private const ushort ClassMask = 0x7FFF;
    private const ushort TopBit = 0x8000;

    /// <summary>Encodes a message.</summary>
    /// <exception cref="ArgumentException">A TXT string is longer than 255 bytes or record data longer than 65535 bytes.</exception>
    public static byte[] Encode(DnsMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var writer = new Writer();
        writer.U16(message.Id);
        writer.U16(message.Flags);
        writer.U16(checked((ushort)message.Questions.Count));
        writer.U16(checked((ushort)message.Answers.Count));
        writer.U16(checked((ushort)message.Authorities.Count));
        writer.U16(checked((ushort)message.Additionals.Count));
        foreach (DnsQuestion question in message.Questions)
        {
            writer.Name(question.Name);
            writer.U16((ushort)question.Type);
            writer.U16((ushort)(DnsQuestion.ClassIn | (question.UnicastResponse ? TopBit : 0)));
        }

        foreach (DnsRecord record in message.AllRecords)
        {
            WriteRecord(writer, record);
        }

        return writer.ToArray();
    }

    /// <summary>Decodes a message; false for anything truncated, oversized or malformed.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> packet, [NotNullWhen(true)] out DnsMessage? message)
    {
        message = null;
        if (packet.Length is < HeaderBytes or > MaxMessageBytes)
        {
            return false;
        }

        ushort id = BinaryPrimitives.ReadUInt16BigEndian(packet);
        ushort flags = BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);
        int questionCount = BinaryPrimitives.ReadUInt16BigEndian(packet[4..]);
        int answerCount = BinaryPrimitives.ReadUInt16BigEndian(packet[6..]);
        int authorityCount = BinaryPrimitives.ReadUInt16BigEndian(packet[8..]);
        int additionalCount = BinaryPrimitives.ReadUInt16BigEndian(packet[10..]);

        // Each question takes at least 5 bytes and each record at least 11: reject impossible counts up front.
        if ((questionCount * 5) + ((answerCount + authorityCount + additionalCount) * 11) > packet.Length - HeaderBytes)
        {
            return false;
        }

        int position = HeaderBytes;
        var questions = new List<DnsQuestion>(questionCount);
        for (int i = 0; i < questionCount; i++)
        {
            if (!TryReadName(packet, ref position, out DnsName? name) || position + 4 > packet.Length)
            {
                return false;
            }

            ushort type = BinaryPrimitives.ReadUInt16BigEndian(packet[position..]);
            ushort @class = BinaryPrimitives.ReadUInt16BigEndian(packet[(position + 2)..]);
            position += 4;
            if ((@class & ClassMask) is DnsQuestion.ClassIn or 255)
            {
                questions.Add(new DnsQuestion(name, (DnsRecordType)type, (@class & TopBit) != 0));
            }
        }

        if (!TryReadRecords(packet, ref position, answerCount, out List<DnsRecord>? answers)
            || !TryReadRecords(packet, ref position, authorityCount, out List<DnsRecord>? authorities)
            || !TryReadRecords(packet, ref position, additionalCount, out List<DnsRecord>? additionals))
        {
            return false;
        }

        message = new DnsMessage(id, flags, questions, answers, authorities, additionals);
        return true;
    }

    private static void WriteRecord(Writer writer, DnsRecord record)
    {
        writer.Name(record.Name);
        writer.U16((ushort)record.Type);
        writer.U16((ushort)(DnsQuestion.ClassIn | (record.CacheFlush ? TopBit : 0)));
        writer.U32(record.Ttl);
        int lengthAt = writer.Reserve(2);
        int start = writer.Length;
        switch (record.Data)
        {
            case PtrRecordData ptr:
                writer.Name(ptr.Target);
                break;
            case SrvRecordData srv:
                writer.U16(srv.Priority);
                writer.U16(srv.Weight);
                writer.U16(srv.Port);
                writer.Name(srv.Target);
                break;
            case TxtRecordData txt when txt.Strings.Count == 0:
                writer.Bytes([0]); // RFC 6763 §6.1: an empty TXT record holds one empty string.
                break;
            case TxtRecordData txt:
                foreach (byte[] text in txt.Strings)
                {
                    if (text.Length > 255)
                    {
                        throw new ArgumentException("A TXT string has at most 255 bytes.", nameof(record));
                    }

                    writer.Bytes([(byte)text.Length]);
                    writer.Bytes(text);
                }

                break;
            case AddressRecordData address:
                writer.Bytes(address.Address.GetAddressBytes());
                break;
            case UnknownRecordData unknown:
                writer.Bytes(unknown.Bytes);
                break;
            default:
                throw new ArgumentException($"Unsupported record data {record.Data.GetType().Name}.", nameof(record));
        }

        int length = writer.Length - start;
        if (length > ushort.MaxValue)
        {
            throw new ArgumentException("Record data is longer than 65535 bytes.", nameof(record));
        }

        writer.PatchU16(lengthAt, (ushort)length);
    }

    private static bool TryReadRecords(ReadOnlySpan<byte> packet, ref int position, int count, [NotNullWhen(true)] out List<DnsRecord>? records)
    {
        records = new List<DnsRecord>(count);
        for (int i = 0; i < count; i++)
        {
            if (!TryReadName(packet, ref position, out DnsName? name) || position + 10 > packet.Length)
            {
                records = null;
                return false;
            }

            var type = (DnsRecordType)BinaryPrimitives.ReadUInt16BigEndian(packet[position..]);
            ushort @class = BinaryPrimitives.ReadUInt16BigEndian(packet[(position + 2)..]);
            uint ttl = BinaryPrimitives.ReadUInt32BigEndian(packet[(position + 4)..]);
            int dataLength = BinaryPrimitives.ReadUInt16BigEndian(packet[(position + 8)..]);
            position += 10;
            int dataEnd = position + dataLength;
            if (dataEnd > packet.Length || !TryReadData(packet, position, dataEnd, type, out DnsRecordData? data))
            {
                records = null;
                return false;
            }

            position = dataEnd;
            if ((@class & ClassMask) == DnsQuestion.ClassIn)
            {
                records.Add(new DnsRecord(name, type, (@class & TopBit) != 0, ttl, data));
            }
        }

        return true;
    }

    private static bool TryReadData(ReadOnlySpan<byte> packet, int start, int end, DnsRecordType type, [NotNullWhen(true)] out DnsRecordData? data)
    {
        data = null;
        int position = start;
        switch (type)
        {
            case DnsRecordType.Ptr:
                if (TryReadName(packet[..end], ref position, out DnsName? target) && position == end)
                {
                    data = new PtrRecordData(target);
                }

                break;
            case DnsRecordType.Srv:
                if (end - start < 7)
                {
                    break;
                }

                ushort priority = BinaryPrimitives.ReadUInt16BigEndian(packet[start..]);
                ushort weight = BinaryPrimitives.ReadUInt16BigEndian(packet[(start + 2)..]);
                ushort port = BinaryPrimitives.ReadUInt16BigEndian(packet[(start + 4)..]);
                position += 6;
                if (TryReadName(packet[..end], ref position, out DnsName? srvTarget) && position == end)
                {
                    data = new SrvRecordData(priority, weight, port, srvTarget);
                }

                break;
            case DnsRecordType.Txt:
                var strings = new List<byte[]>();
                while (position < end)
                {
                    int length = packet[position];
                    if (position + 1 + length > end)
                    {
                        return false;
                    }

                    if (length > 0)
                    {
                        strings.Add(packet.Slice(position + 1, length).ToArray());
                    }

                    position += 1 + length;
                }

                data = new TxtRecordData(strings);
                break;
            case DnsRecordType.A when end - start == 4:
            case DnsRecordType.Aaaa when end - start == 16:
                data = new AddressRecordData(new IPAddress(packet[start..end]));
                break;
            case DnsRecordType.A:
            case DnsRecordType.Aaaa:
                break;
            default:
                data = new UnknownRecordData(packet[start..end].ToArray());
                break;
        }

        return data is not null;
    }

    /// <summary>
    /// Reads a possibly compressed name. Every pointer must point strictly before the previous jump target (or
    /// before the name itself), so a chain of pointers always ends; labels over 63 bytes (the 0x40 and 0x80 label
    /// types) and names over 255 bytes are rejected.
    /// </summary>
    private static bool TryReadName(ReadOnlySpan<byte> packet, ref int position, [NotNullWhen(true)] out DnsName? name)
    {
        name = null;
        var labels = new List<string>();
        int cursor = position;
        int pointerLimit = position;
        int wireLength = 1;
        bool jumped = false;
        while (true)
        {
            if (cursor >= packet.Length)
            {
                return false;
            }

            int length = packet[cursor];
            if (length == 0)
            {
                if (!jumped)
                {
                    position = cursor + 1;
                }

                name = DnsName.FromWire(labels);
                return true;
            }

            switch (length & 0xC0)
            {
                case 0xC0:
                    if (cursor + 1 >= packet.Length)
                    {
                        return false;
                    }

                    int target = ((length & 0x3F) << 8) | packet[cursor + 1];
                    if (target >= pointerLimit)
                    {
                        return false; // forward, self or looping pointer
                    }

                    if (!jumped)
                    {
                        position = cursor + 2;
                        jumped = true;
                    }

                    pointerLimit = target;
                    cursor = target;
                    continue;
                case 0x40:
                case 0x80:
                    return false; // extended / reserved label types, or a "label" longer than 63 bytes
                default:
                    break;
            }

            wireLength += 1 + length;
            if (wireLength > DnsName.MaxWireBytes || cursor + 1 + length > packet.Length)
            {
                return false;
            }

            labels.Add(Encoding.UTF8.GetString(packet.Slice(cursor + 1, length)));
            cursor += 1 + length;
        }
    }

    private sealed class Writer
    {
        private readonly Dictionary<DnsName, int> _names = [];
        private byte[] _buffer = new byte[512];

        public int Length { get; private set; }

        public void U16(ushort value)
        {
            BinaryPrimitives.WriteUInt16BigEndian(Grow(2), value);
        }

        public void U32(uint value)
        {
            BinaryPrimitives.WriteUInt32BigEndian(Grow(4), value);
        }

        public void Bytes(ReadOnlySpan<byte> bytes) => bytes.CopyTo(Grow(bytes.Length));

        public int Reserve(int count)
        {
            int at = Length;
            Grow(count);
            return at;
        }

        public void PatchU16(int at, ushort value) => BinaryPrimitives.WriteUInt16BigEndian(_buffer.AsSpan(at), value);

        public void Name(DnsName name)
        {
            for (int i = 0; i < name.Labels.Count; i++)
            {
                DnsName suffix = name.Suffix(i);
                if (_names.TryGetValue(suffix, out int offset))
                {
                    U16((ushort)(0xC000 | offset));
                    return;
                }

                if (Length <= 0x3FFF)
                {
                    _names[suffix] = Length;
                }

                byte[] label = Encoding.UTF8.GetBytes(name.Labels[i]);
                if (label.Length is 0 or > DnsName.MaxLabelBytes)
                {
                    throw new ArgumentException("A DNS label has 1 to 63 bytes.", nameof(name));
                }

                Bytes([(byte)label.Length]);
                Bytes(label);
            }

            Bytes([0]);
        }

        public byte[] ToArray() => _buffer.AsSpan(0, Length).ToArray();

        private Span<byte> Grow(int count)
        {
            if (Length + count > _buffer.Length)
            {
                Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, Length + count));
            }

            Span<byte> span = _buffer.AsSpan(Length, count);
            Length += count;
            return span;
        }
    }
}
