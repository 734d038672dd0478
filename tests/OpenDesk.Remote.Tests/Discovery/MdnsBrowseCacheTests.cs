using System.Net;
using OpenDesk.Core;
using OpenDesk.Remote.Discovery;

namespace OpenDesk.Remote.Tests.Discovery;

public sealed class MdnsBrowseCacheTests
{
    private static readonly byte[] s_key = [.. Enumerable.Range(0x10, 32).Select(i => (byte)i)];
    private static readonly IPAddress s_source = IPAddress.Parse("10.253.77.2");

    private static MdnsServiceProfile Profile(string instance, byte[] key, string description = "desk") =>
        MdnsAdvertiser.CreateProfile(new MdnsAdvertisement(7878, key, description) { InstanceName = instance, HostLabel = "desk" });

    [Fact]
    public void Results_Announcement_GivesPeerWithKeyAndDescription()
    {
        var cache = new MdnsBrowseCache();
        cache.Add(DnsMessage.Response(Profile("Desk B", s_key, "Büro").AllRecords(IPAddress.Parse("10.253.77.9"))), s_source);

        DiscoveredPeer peer = Assert.Single(cache.Results());
        Assert.Equal("Desk B", peer.Name);
        Assert.Equal("10.253.77.9", peer.Host);
        Assert.Equal(7878, peer.Port);
        Assert.Equal(s_key, peer.PublicKey);
        Assert.Equal("1011:1213:1415:1617", peer.Fingerprint);
        Assert.Equal("Büro", peer.Description);
        Assert.Null(peer.PairedAs);
    }

    [Fact]
    public void Results_PkMissingOrNot32Bytes_Dropped()
    {
        var cache = new MdnsBrowseCache();
        MdnsServiceProfile good = Profile("good", s_key);
        DnsName rusty = MdnsNames.ServiceType.Prepend("rusty");
        DnsName shortKey = MdnsNames.ServiceType.Prepend("short");
        DnsName host = DnsName.Parse("r.local");
        cache.Add(DnsMessage.Response(
        [
            .. good.AllRecords(s_source),
            new DnsRecord(MdnsNames.ServiceType, DnsRecordType.Ptr, false, 4500, new PtrRecordData(rusty)),
            new DnsRecord(rusty, DnsRecordType.Srv, true, 120, new SrvRecordData(0, 0, 47820, host)),
            new DnsRecord(rusty, DnsRecordType.Txt, true, 4500, new TxtRecordData(["ver=1"u8.ToArray()])),
            new DnsRecord(MdnsNames.ServiceType, DnsRecordType.Ptr, false, 4500, new PtrRecordData(shortKey)),
            new DnsRecord(shortKey, DnsRecordType.Srv, true, 120, new SrvRecordData(0, 0, 1, host)),
            new DnsRecord(shortKey, DnsRecordType.Txt, true, 4500, new TxtRecordData([[.. "pk="u8, .. new byte[31]]])),
        ]), s_source);

        Assert.Equal(["good"], cache.Results().Select(p => p.Name));
    }

    [Fact]
    public void Results_Goodbye_RemovesInstance()
    {
        var cache = new MdnsBrowseCache();
        IReadOnlyList<DnsRecord> records = Profile("gone", s_key).AllRecords(s_source);
        cache.Add(DnsMessage.Response(records), s_source);
        Assert.Single(cache.Results());

        cache.Add(DnsMessage.Response([.. records.Select(r => r.WithTtl(0))]), s_source);
        Assert.Empty(cache.Results());
    }

    [Fact]
    public void Results_Ipv6AndIpv4_PrefersIpv4_ElseSenderAddress()
    {
        MdnsServiceProfile profile = Profile("dual", s_key);
        var aaaa = new DnsRecord(profile.HostName, DnsRecordType.Aaaa, true, 120, new AddressRecordData(IPAddress.Parse("2001:db8::1")));
        var cache = new MdnsBrowseCache();
        cache.Add(DnsMessage.Response([profile.ServicePtr, profile.Srv, profile.TxtRecord, aaaa, profile.Address(IPAddress.Parse("192.0.2.7"))]), s_source);
        Assert.Equal("192.0.2.7", Assert.Single(cache.Results()).Host);

        var noA = new MdnsBrowseCache();
        noA.Add(DnsMessage.Response([profile.ServicePtr, profile.Srv, profile.TxtRecord, aaaa]), s_source);
        Assert.Equal("10.253.77.2", Assert.Single(noA.Results()).Host);
    }

    [Fact]
    public void BuildQuery_PartialInstance_AsksForMissingRecordsAndListsKnownAnswers()
    {
        var cache = new MdnsBrowseCache();
        MdnsServiceProfile complete = Profile("complete", s_key);
        MdnsServiceProfile partial = Profile("partial", s_key);
        cache.Add(DnsMessage.Response([.. complete.AllRecords(s_source), partial.ServicePtr]), s_source);

        DnsMessage query = cache.BuildQuery(legacyUnicast: false);

        Assert.Equal(0, query.Id);
        Assert.Contains(query.Questions, q => q.Name.Equals(MdnsNames.ServiceType) && q.Type == DnsRecordType.Ptr);
        Assert.Contains(query.Questions, q => q.Name.Equals(partial.InstanceFullName) && q.Type == DnsRecordType.Srv);
        Assert.Contains(query.Questions, q => q.Name.Equals(partial.InstanceFullName) && q.Type == DnsRecordType.Txt);
        DnsRecord known = Assert.Single(query.Answers);
        Assert.Equal(complete.InstanceFullName, ((PtrRecordData)known.Data).Target);
        Assert.NotEqual(0, cache.BuildQuery(legacyUnicast: true).Id);
        Assert.Empty(cache.BuildQuery(legacyUnicast: true).Answers);
    }
}
