using System.Net;
using System.Net.Sockets;

namespace OpenDesk.Remote.Discovery;

/// <summary>The DNS record types mDNS discovery uses (others are carried as <see cref="UnknownRecordData"/>).</summary>
internal enum DnsRecordType : ushort
{
    A = 1,
    Ptr = 12,
    Txt = 16,
    Aaaa = 28,
    Srv = 33,
    Nsec = 47,
    Any = 255,
}

/// <summary>A question: name, type and the unicast-response (QU) bit, the top bit of the class field.</summary>
internal sealed record DnsQuestion(DnsName Name, DnsRecordType Type, bool UnicastResponse = false)
{
    /// <summary>The class: always IN (1); other classes are dropped when reading.</summary>
    public const ushort ClassIn = 1;
}

/// <summary>
/// A resource record. <paramref name="CacheFlush"/> is the top bit of the class field, set on unique records
/// (SRV, TXT, A) and clear on shared ones (PTR).
/// </summary>
internal sealed record DnsRecord(DnsName Name, DnsRecordType Type, bool CacheFlush, uint Ttl, DnsRecordData Data)
{
    /// <summary>The same record with another TTL (0 for a goodbye).</summary>
    public DnsRecord WithTtl(uint ttl) => this with { Ttl = ttl };
}

/// <summary>Record data. A closed family: only this assembly adds kinds.</summary>
internal abstract record DnsRecordData
{
    private protected DnsRecordData()
    {
    }
}

/// <summary>PTR data: the name pointed to.</summary>
internal sealed record PtrRecordData(DnsName Target) : DnsRecordData;

/// <summary>SRV data (RFC 2782).</summary>
internal sealed record SrvRecordData(ushort Priority, ushort Weight, ushort Port, DnsName Target) : DnsRecordData;

/// <summary>TXT data: a list of character strings, each at most 255 bytes (binary values allowed).</summary>
internal sealed record TxtRecordData(IReadOnlyList<byte[]> Strings) : DnsRecordData
{
    /// <summary>Equality by content, so a re-announced TXT compares equal.</summary>
    public bool Equals(TxtRecordData? other) =>
        other is not null && Strings.Count == other.Strings.Count
        && Strings.Zip(other.Strings).All(pair => pair.First.AsSpan().SequenceEqual(pair.Second));

    /// <inheritdoc/>
    public override int GetHashCode() => Strings.Count;
}

/// <summary>A or AAAA data.</summary>
internal sealed record AddressRecordData(IPAddress Address) : DnsRecordData
{
    /// <summary>The record type that carries this address.</summary>
    public DnsRecordType RecordType => Address.AddressFamily == AddressFamily.InterNetworkV6 ? DnsRecordType.Aaaa : DnsRecordType.A;
}

/// <summary>Data of a type this codec does not interpret (NSEC, HINFO, ...), kept as raw bytes.</summary>
internal sealed record UnknownRecordData(byte[] Bytes) : DnsRecordData
{
    /// <summary>Equality by content.</summary>
    public bool Equals(UnknownRecordData? other) => other is not null && Bytes.AsSpan().SequenceEqual(other.Bytes);

    /// <inheritdoc/>
    public override int GetHashCode() => Bytes.Length;
}

/// <summary>A DNS message: header id and flags plus the four sections.</summary>
internal sealed record DnsMessage(
    ushort Id,
    ushort Flags,
    IReadOnlyList<DnsQuestion> Questions,
    IReadOnlyList<DnsRecord> Answers,
    IReadOnlyList<DnsRecord> Authorities,
    IReadOnlyList<DnsRecord> Additionals)
{
    /// <summary>Flags of an mDNS response: QR (response) + AA (authoritative).</summary>
    public const ushort ResponseFlags = 0x8400;

    /// <summary>True when the QR bit is set.</summary>
    public bool IsResponse => (Flags & 0x8000) != 0;

    /// <summary>All records of the answer, authority and additional sections.</summary>
    public IEnumerable<DnsRecord> AllRecords => Answers.Concat(Authorities).Concat(Additionals);

    /// <summary>A query (id 0, flags 0) with the given questions and known answers.</summary>
    public static DnsMessage Query(IReadOnlyList<DnsQuestion> questions, IReadOnlyList<DnsRecord>? knownAnswers = null) =>
        new(0, 0, questions, knownAnswers ?? [], [], []);

    /// <summary>A multicast response (id 0, no questions).</summary>
    public static DnsMessage Response(IReadOnlyList<DnsRecord> answers, IReadOnlyList<DnsRecord>? additionals = null) =>
        new(0, ResponseFlags, [], answers, [], additionals ?? []);
}
