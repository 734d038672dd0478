using System.Net;

namespace OpenDesk.Remote.Discovery;

/// <summary>Builds the reply of an advertiser to one query (pure: no sockets, unit-tested).</summary>
internal static class MdnsResponder
{
    /// <summary>
    /// Answers <paramref name="query"/> for <paramref name="profile"/> on an interface with
    /// <paramref name="interfaceAddress"/>. Returns no reply when nothing matches or every answer is a known
    /// answer. A query from a port other than 5353 is legacy unicast (RFC 6762 §6.7): the reply goes back to the
    /// sender, echoes the id and the questions, caps TTLs at 10 s and clears the cache-flush bits. Every other query
    /// is answered by multicast, also when it asks for a unicast response (QU, RFC 6762 §5.4 allows this): several
    /// sockets of one host share port 5353 (avahi, other responders), and a unicast datagram to that port reaches
    /// only one of them.
    /// </summary>
    public static (byte[]? Reply, IPEndPoint? UnicastTo) Answer(DnsMessage query, IPEndPoint remote, MdnsServiceProfile profile, IPAddress interfaceAddress)
    {
        var answers = new List<DnsRecord>();
        var additionals = new List<DnsRecord>();
        var matched = new List<DnsQuestion>();
        foreach (DnsQuestion question in query.Questions)
        {
            int before = answers.Count;
            bool any = question.Type == DnsRecordType.Any;
            if (question.Name.Equals(MdnsNames.ServiceType) && (any || question.Type == DnsRecordType.Ptr))
            {
                answers.Add(profile.ServicePtr);
                additionals.AddRange([profile.Srv, profile.TxtRecord, profile.Address(interfaceAddress)]);
            }
            else if (question.Name.Equals(MdnsNames.ServiceEnumeration) && (any || question.Type == DnsRecordType.Ptr))
            {
                answers.Add(MdnsServiceProfile.EnumerationPtr);
            }
            else if (question.Name.Equals(profile.InstanceFullName))
            {
                if (any || question.Type == DnsRecordType.Srv)
                {
                    answers.Add(profile.Srv);
                    additionals.Add(profile.Address(interfaceAddress));
                }

                if (any || question.Type == DnsRecordType.Txt)
                {
                    answers.Add(profile.TxtRecord);
                }
            }
            else if (question.Name.Equals(profile.HostName) && (any || question.Type == DnsRecordType.A))
            {
                answers.Add(profile.Address(interfaceAddress));
            }

            if (answers.Count > before)
            {
                matched.Add(question);
            }
        }

        bool legacy = remote.Port != MdnsNames.Port;

        // Known-answer suppression (RFC 6762 §7.1): skip what the querier already has with at least half our TTL.
        // It does not apply to legacy-unicast queries (which carry no known answers anyway).
        if (!legacy)
        {
            answers.RemoveAll(a => query.Answers.Any(k => k.Type == a.Type && k.Name.Equals(a.Name) && k.Data.Equals(a.Data) && k.Ttl >= a.Ttl / 2));
        }

        if (answers.Count == 0)
        {
            return (null, null);
        }

        additionals = [.. additionals.Distinct().Where(r => !answers.Contains(r))];
        if (legacy)
        {
            static DnsRecord Cap(DnsRecord r) => r with { CacheFlush = false, Ttl = Math.Min(r.Ttl, MdnsServiceProfile.LegacyUnicastTtl) };
            var reply = new DnsMessage(query.Id, DnsMessage.ResponseFlags, matched, [.. answers.Select(Cap)], [], [.. additionals.Select(Cap)]);
            return (DnsMessageCodec.Encode(reply), remote);
        }

        byte[] response = DnsMessageCodec.Encode(DnsMessage.Response(answers, additionals));
        return (response, null);
    }
}
