using System.Net;
using OpenDesk.Remote.Discovery;

namespace OpenDesk.Remote.Tests.Discovery;

public sealed class DnsMessageCodecTests
{
    // A PTR query for _opendesk._tcp.local (QM), computed by hand from RFC 1035 §4.1.
    private const string PtrQueryHex =
        "000000000001000000000000"
        + "095f6f70656e6465736b" + "045f746370" + "056c6f63616c" + "00"
        + "000c" + "0001";

    // A response with PTR, SRV, TXT and A, names compressed (pointers 0x0c service type, 0x2c instance,
    // 0x1b "local", 0x4b "desk.local"); computed by hand.
    private const string ResponseHex =
        "000084000000000400000000"
        + "095f6f70656e6465736b045f746370056c6f63616c00" + "000c" + "0001" + "00001194" + "000d" + "0a4f70656e4465736b2042" + "c00c"
        + "c02c" + "0021" + "8001" + "00000078" + "000d" + "0000" + "0000" + "1ec6" + "046465736b" + "c01b"
        + "c02c" + "0010" + "8001" + "00001194" + "0004" + "03763d31"
        + "c04b" + "0001" + "8001" + "00000078" + "0004" + "0afd4d02";

    private static DnsName Instance => MdnsNames.ServiceType.Prepend("OpenDesk B");

    private static DnsMessage GoldenResponse()
    {
        DnsName host = DnsName.Parse("desk.local");
        return DnsMessage.Response(
        [
            new DnsRecord(MdnsNames.ServiceType, DnsRecordType.Ptr, false, 4500, new PtrRecordData(Instance)),
            new DnsRecord(Instance, DnsRecordType.Srv, true, 120, new SrvRecordData(0, 0, 7878, host)),
            new DnsRecord(Instance, DnsRecordType.Txt, true, 4500, new TxtRecordData(["v=1"u8.ToArray()])),
            new DnsRecord(host, DnsRecordType.A, true, 120, new AddressRecordData(IPAddress.Parse("10.253.77.2"))),
        ]);
    }

    [Fact]
    public void Encode_PtrQuery_MatchesGoldenBytes()
    {
        byte[] bytes = DnsMessageCodec.Encode(DnsMessage.Query([new DnsQuestion(MdnsNames.ServiceType, DnsRecordType.Ptr)]));
        Assert.Equal(PtrQueryHex, Convert.ToHexStringLower(bytes));
    }

    [Fact]
    public void Decode_PtrQuery_GivesQuestion()
    {
        Assert.True(DnsMessageCodec.TryDecode(Convert.FromHexString(PtrQueryHex), out DnsMessage? message));
        Assert.False(message.IsResponse);
        DnsQuestion question = Assert.Single(message.Questions);
        Assert.Equal(MdnsNames.ServiceType, question.Name);
        Assert.Equal(DnsRecordType.Ptr, question.Type);
        Assert.False(question.UnicastResponse);
    }

    [Fact]
    public void Encode_Response_MatchesGoldenBytesWithCompression()
    {
        Assert.Equal(ResponseHex, Convert.ToHexStringLower(DnsMessageCodec.Encode(GoldenResponse())));
    }

    [Fact]
    public void Decode_GoldenResponse_GivesRecordsWithCacheFlushBits()
    {
        Assert.True(DnsMessageCodec.TryDecode(Convert.FromHexString(ResponseHex), out DnsMessage? message));
        Assert.True(message.IsResponse);
        Assert.Equal(GoldenResponse().Answers, message.Answers);
        Assert.Equal(["_opendesk", "_tcp", "local"], message.Answers[0].Name.Labels);
        Assert.Equal(["OpenDesk B", "_opendesk", "_tcp", "local"], ((PtrRecordData)message.Answers[0].Data).Target.Labels);
        Assert.False(message.Answers[0].CacheFlush);
        Assert.True(message.Answers[1].CacheFlush);
    }

    [Fact]
    public void RoundTrip_LabelWithDotAndUnicode_KeepsLabels()
    {
        DnsName name = MdnsNames.ServiceType.Prepend("Büro.desk 2");
        var message = DnsMessage.Response(
        [
            new DnsRecord(name, DnsRecordType.Txt, true, 10, new TxtRecordData([[0, 1, 255], "pk="u8.ToArray()])),
            new DnsRecord(DnsName.Parse("h.local"), DnsRecordType.Aaaa, true, 10, new AddressRecordData(IPAddress.Parse("fe80::1"))),
        ]);

        Assert.True(DnsMessageCodec.TryDecode(DnsMessageCodec.Encode(message), out DnsMessage? decoded));
        Assert.Equal(message.Answers, decoded.Answers);
        Assert.Equal("Büro.desk 2", decoded.Answers[0].Name.Labels[0]);
    }

    [Fact]
    public void Decode_QuestionWithUnicastBit_SetsUnicastResponse()
    {
        byte[] bytes = DnsMessageCodec.Encode(DnsMessage.Query([new DnsQuestion(MdnsNames.ServiceType, DnsRecordType.Any, UnicastResponse: true)]));
        Assert.Equal("00ff8001", Convert.ToHexStringLower(bytes.AsSpan(bytes.Length - 4)));
        Assert.True(DnsMessageCodec.TryDecode(bytes, out DnsMessage? message));
        Assert.True(message.Questions[0].UnicastResponse);
        Assert.Equal(DnsRecordType.Any, message.Questions[0].Type);
    }

    [Fact]
    public void Decode_EveryTruncation_ReturnsFalse()
    {
        byte[] golden = Convert.FromHexString(ResponseHex);
        for (int length = 0; length < golden.Length; length++)
        {
            Assert.False(DnsMessageCodec.TryDecode(golden.AsSpan(0, length), out _), $"prefix of {length} bytes");
        }
    }

    [Theory]
    [InlineData("c00c", "pointer to itself")]
    [InlineData("c00e" + "c00c", "forward pointer (a two-pointer loop)")]
    [InlineData("0161" + "c00c", "pointer back to the start of the same name")]
    [InlineData("0161" + "c00e", "pointer to its own position")]
    [InlineData("c0ff", "pointer past the end")]
    [InlineData("c0", "truncated pointer")]
    [InlineData("40" + "00", "label type 0x40 (length 64)")]
    [InlineData("80" + "00", "label type 0x80")]
    [InlineData("3f61", "label longer than the packet")]
    public void Decode_MalformedQuestionName_ReturnsFalse(string nameHex, string because)
    {
        byte[] packet = Convert.FromHexString("000000000001000000000000" + nameHex + "000c0001");
        Assert.False(DnsMessageCodec.TryDecode(packet, out _), because);
    }

    [Fact]
    public void Decode_NameLongerThan255Bytes_ReturnsFalse()
    {
        string label = "3f" + string.Concat(Enumerable.Repeat("61", 63));
        byte[] packet = Convert.FromHexString("000000000001000000000000" + string.Concat(Enumerable.Repeat(label, 4)) + "00" + "000c0001");
        Assert.False(DnsMessageCodec.TryDecode(packet, out _));
    }

    [Fact]
    public void Decode_LongChainOfBackwardPointers_Succeeds()
    {
        // name 1 = "a" + root; each next name = "a" + pointer to the previous one: valid compression, 40 hops deep.
        var hex = new System.Text.StringBuilder("000000000028000000000000");
        int previous = 12;
        hex.Append("016100000c0001");
        for (int i = 1; i < 40; i++)
        {
            int here = 12 + 7 + ((i - 1) * 8);
            hex.Append("0161").Append((0xC000 | previous).ToString("x4", System.Globalization.CultureInfo.InvariantCulture)).Append("000c0001");
            previous = here;
        }

        Assert.True(DnsMessageCodec.TryDecode(Convert.FromHexString(hex.ToString()), out DnsMessage? message));
        Assert.Equal(40, message.Questions[^1].Name.Labels.Count);
    }

    [Theory]
    [InlineData("0001" + "0001" + "00000078" + "0005" + "0afd4d0200", "A record with 5 bytes")]
    [InlineData("0001" + "0001" + "00000078" + "00ff" + "0afd4d02", "rdata longer than the packet")]
    [InlineData("0010" + "0001" + "00000078" + "0003" + "05616263", "TXT string longer than the rdata")]
    [InlineData("0021" + "0001" + "00000078" + "0004" + "00000000", "SRV too short")]
    [InlineData("000c" + "0001" + "00000078" + "0002" + "016100", "PTR name runs past the rdata")]
    public void Decode_MalformedRecordData_ReturnsFalse(string recordHex, string because)
    {
        byte[] packet = Convert.FromHexString("000084000000000100000000" + "0161" + "00" + recordHex);
        Assert.False(DnsMessageCodec.TryDecode(packet, out _), because);
    }

    [Fact]
    public void Decode_ImpossibleCounts_ReturnsFalse()
    {
        Assert.False(DnsMessageCodec.TryDecode(Convert.FromHexString("0000840000000fff00000000" + "00"), out _));
    }

    [Fact]
    public void Decode_RandomMutations_NeverThrows()
    {
        var random = new Random(6);
        byte[][] seeds = [Convert.FromHexString(ResponseHex), Convert.FromHexString(PtrQueryHex)];
        int decoded = 0;
        for (int i = 0; i < 50_000; i++)
        {
            byte[] packet = (byte[])seeds[i % 2].Clone();
            int mutations = random.Next(1, 6);
            for (int m = 0; m < mutations; m++)
            {
                packet[random.Next(packet.Length)] = (byte)random.Next(256);
            }

            if (random.Next(4) == 0)
            {
                packet = packet[..random.Next(packet.Length)];
            }

            decoded += DnsMessageCodec.TryDecode(packet, out _) ? 1 : 0;
        }

        byte[] noise = new byte[600];
        for (int i = 0; i < 20_000; i++)
        {
            random.NextBytes(noise);
            decoded += DnsMessageCodec.TryDecode(noise.AsSpan(0, random.Next(noise.Length)), out _) ? 1 : 0;
        }

        Assert.InRange(decoded, 1, 70_000);
    }
}
