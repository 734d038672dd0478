using System.Net;
using System.Text;
using OpenDesk.Core;

namespace OpenDesk.Remote.Discovery;

/// <summary>
/// The names, TXT keys and record set of one advertised OpenDesk instance (protocol-v1.md §12,
/// dependencies.md §2.2): PTR service → instance and PTR service enumeration (shared, TTL 4500), SRV (unique,
/// TTL 120), TXT (unique, TTL 4500), A per interface (unique, TTL 120).
/// </summary>
internal sealed class MdnsServiceProfile
{
    /// <summary>The TTL of PTR and TXT records.</summary>
    public const uint LongTtl = 4500;

    /// <summary>The TTL of SRV and A records (records that name a host).</summary>
    public const uint HostTtl = 120;

    /// <summary>Legacy-unicast replies cap every TTL at 10 s (RFC 6762 §6.7).</summary>
    public const uint LegacyUnicastTtl = 10;

    /// <summary>The most bytes of the description carried in the <c>desc</c> TXT key.</summary>
    public const int MaxDescriptionBytes = 120;

    public MdnsServiceProfile(string instanceName, string hostLabel, ushort port, IReadOnlyList<byte[]> txt)
    {
        InstanceName = instanceName;
        HostName = DnsName.FromLabels(hostLabel, "local");
        InstanceFullName = MdnsNames.ServiceType.Prepend(instanceName);
        Port = port;
        Txt = txt;
    }

    /// <summary>The instance label, e.g. <c>vm-7b4e90</c>.</summary>
    public string InstanceName { get; }

    /// <summary><c>&lt;instance&gt;._opendesk._tcp.local</c>.</summary>
    public DnsName InstanceFullName { get; }

    /// <summary>The SRV target, <c>&lt;host&gt;.local</c>.</summary>
    public DnsName HostName { get; }

    /// <summary>The server port.</summary>
    public ushort Port { get; }

    /// <summary>The TXT strings.</summary>
    public IReadOnlyList<byte[]> Txt { get; }

    /// <summary>The same profile under another instance name (after a probe conflict).</summary>
    public MdnsServiceProfile WithInstanceName(string instanceName) =>
        new(instanceName, HostName.Labels[0], Port, Txt);

    public DnsRecord ServicePtr => new(MdnsNames.ServiceType, DnsRecordType.Ptr, false, LongTtl, new PtrRecordData(InstanceFullName));

    public static DnsRecord EnumerationPtr => new(MdnsNames.ServiceEnumeration, DnsRecordType.Ptr, false, LongTtl, new PtrRecordData(MdnsNames.ServiceType));

    public DnsRecord Srv => new(InstanceFullName, DnsRecordType.Srv, true, HostTtl, new SrvRecordData(0, 0, Port, HostName));

    public DnsRecord TxtRecord => new(InstanceFullName, DnsRecordType.Txt, true, LongTtl, new TxtRecordData(Txt));

    public DnsRecord Address(IPAddress address) => new(HostName, DnsRecordType.A, true, HostTtl, new AddressRecordData(address));

    /// <summary>Every record, as announced on an interface with <paramref name="address"/>.</summary>
    public IReadOnlyList<DnsRecord> AllRecords(IPAddress address) => [ServicePtr, EnumerationPtr, Srv, TxtRecord, Address(address)];

    /// <summary>The OpenDesk TXT strings: <c>v=1</c>, <c>pk=</c> + 32 raw bytes, <c>fp=</c>, <c>desc=</c> (≤ 120 bytes).</summary>
    public static IReadOnlyList<byte[]> BuildTxt(ReadOnlySpan<byte> publicKey, string description)
    {
        byte[] pk = new byte[3 + publicKey.Length];
        "pk="u8.CopyTo(pk);
        publicKey.CopyTo(pk.AsSpan(3));
        return
        [
            "v=1"u8.ToArray(),
            pk,
            Encoding.ASCII.GetBytes("fp=" + PeerFingerprint.Of(publicKey)),
            [.. "desc="u8, .. Encoding.UTF8.GetBytes(TruncateUtf8(description, MaxDescriptionBytes))],
        ];
    }

    /// <summary>The longest prefix of <paramref name="text"/> that fits in <paramref name="maxBytes"/> UTF-8 bytes, cut at a character (scalar) boundary.</summary>
    public static string TruncateUtf8(string text, int maxBytes)
    {
        ArgumentNullException.ThrowIfNull(text);
        int bytes = 0;
        int chars = 0;
        foreach (Rune rune in text.EnumerateRunes())
        {
            if (bytes + rune.Utf8SequenceLength > maxBytes)
            {
                break;
            }

            bytes += rune.Utf8SequenceLength;
            chars += rune.Utf16SequenceLength;
        }

        return text[..chars];
    }

    /// <summary>Parses TXT strings into keys (case-insensitive, first occurrence wins, RFC 6763 §6.4) and raw values.</summary>
    public static Dictionary<string, byte[]> ParseTxt(IReadOnlyList<byte[]> strings)
    {
        var result = new Dictionary<string, byte[]>(StringComparer.OrdinalIgnoreCase);
        foreach (byte[] text in strings)
        {
            int equals = Array.IndexOf(text, (byte)'=');
            int keyLength = equals < 0 ? text.Length : equals;
            if (keyLength == 0)
            {
                continue;
            }

            string key = Encoding.ASCII.GetString(text, 0, keyLength);
            byte[] value = equals < 0 ? [] : text[(equals + 1)..];
            result.TryAdd(key, value);
        }

        return result;
    }

    /// <summary>The default instance label: <c>&lt;hostname&gt;-&lt;first 6 hex digits of the key&gt;</c>.</summary>
    public static string DefaultInstanceName(string hostLabel, ReadOnlySpan<byte> publicKey) =>
        TruncateUtf8(hostLabel, DnsName.MaxLabelBytes - 7) + "-" + Convert.ToHexStringLower(publicKey[..3]);

    /// <summary>
    /// A host label from a machine name: the part before the first dot, reduced to letters, digits and hyphens,
    /// at most 63 characters; <c>opendesk</c> when nothing is left.
    /// </summary>
    public static string HostLabelFrom(string machineName)
    {
        ArgumentNullException.ThrowIfNull(machineName);
        string first = machineName.Split('.')[0];
        var builder = new StringBuilder(first.Length);
        foreach (char c in first)
        {
            if (char.IsAsciiLetterOrDigit(c) || c == '-')
            {
                builder.Append(c);
            }
            else if (c is ' ' or '_')
            {
                builder.Append('-');
            }
        }

        string label = builder.ToString().Trim('-');
        if (label.Length > DnsName.MaxLabelBytes)
        {
            label = label[..DnsName.MaxLabelBytes].TrimEnd('-');
        }

        return label.Length == 0 ? "opendesk" : label;
    }
}

/// <summary>Well-known mDNS names and endpoints.</summary>
internal static class MdnsNames
{
    /// <summary>The mDNS port.</summary>
    public const int Port = 5353;

    /// <summary>The IPv4 mDNS group 224.0.0.251.</summary>
    public static IPAddress Group { get; } = IPAddress.Parse("224.0.0.251");

    /// <summary>The group endpoint.</summary>
    public static IPEndPoint GroupEndPoint { get; } = new(Group, Port);

    /// <summary><c>_opendesk._tcp.local</c>.</summary>
    public static DnsName ServiceType { get; } = DnsName.Parse("_opendesk._tcp.local");

    /// <summary><c>_services._dns-sd._udp.local</c> (RFC 6763 §9).</summary>
    public static DnsName ServiceEnumeration { get; } = DnsName.Parse("_services._dns-sd._udp.local");
}
