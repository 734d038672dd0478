using System.Net;
using OpenDesk.Remote.Discovery;

namespace OpenDesk.Remote.Tests.Discovery;

public sealed class MdnsResponderTests
{
    private static readonly byte[] s_key = [.. Enumerable.Range(1, 32).Select(i => (byte)i)];
    private static readonly IPAddress s_interface = IPAddress.Parse("10.253.77.2");
    private static readonly IPEndPoint s_mdnsPeer = new(IPAddress.Parse("10.253.77.1"), 5353);

    private static MdnsServiceProfile Profile { get; } =
        MdnsAdvertiser.CreateProfile(new MdnsAdvertisement(7878, s_key, "desk") { InstanceName = "OpenDesk B", HostLabel = "desk" });

    private static DnsMessage Decode(byte[]? bytes)
    {
        Assert.NotNull(bytes);
        Assert.True(DnsMessageCodec.TryDecode(bytes, out DnsMessage? message));
        return message;
    }

    [Fact]
    public void Answer_PtrQuery_MulticastsPtrWithSrvTxtAInAdditionals()
    {
        DnsMessage query = DnsMessage.Query([new DnsQuestion(MdnsNames.ServiceType, DnsRecordType.Ptr)]);

        (byte[]? reply, IPEndPoint? unicastTo) = MdnsResponder.Answer(query, s_mdnsPeer, Profile, s_interface);

        Assert.Null(unicastTo);
        DnsMessage response = Decode(reply);
        Assert.Equal(DnsMessage.ResponseFlags, response.Flags);
        Assert.Empty(response.Questions);
        Assert.Equal([Profile.ServicePtr], response.Answers);
        Assert.Equal([Profile.Srv, Profile.TxtRecord, Profile.Address(s_interface)], response.Additionals);
        Assert.Equal(s_interface, ((AddressRecordData)response.Additionals[2].Data).Address);
    }

    [Fact]
    public void Answer_KnownAnswerWithEnoughTtl_IsSuppressed()
    {
        DnsMessage query = DnsMessage.Query([new DnsQuestion(MdnsNames.ServiceType, DnsRecordType.Ptr)], [Profile.ServicePtr.WithTtl(3000)]);
        Assert.Null(MdnsResponder.Answer(query, s_mdnsPeer, Profile, s_interface).Reply);

        DnsMessage stale = DnsMessage.Query([new DnsQuestion(MdnsNames.ServiceType, DnsRecordType.Ptr)], [Profile.ServicePtr.WithTtl(100)]);
        Assert.NotNull(MdnsResponder.Answer(stale, s_mdnsPeer, Profile, s_interface).Reply);
    }

    [Fact]
    public void Answer_LegacyUnicastQuery_RepliesToSenderWithIdQuestionAndTtl10()
    {
        var sender = new IPEndPoint(IPAddress.Parse("10.253.77.1"), 40000);
        DnsMessage query = DnsMessage.Query([new DnsQuestion(MdnsNames.ServiceType, DnsRecordType.Ptr)]) with { Id = 0x1234 };

        (byte[]? reply, IPEndPoint? unicastTo) = MdnsResponder.Answer(query, sender, Profile, s_interface);

        Assert.Equal(sender, unicastTo);
        DnsMessage response = Decode(reply);
        Assert.Equal(0x1234, response.Id);
        Assert.Equal(query.Questions, response.Questions);
        Assert.All(response.AllRecords, r => Assert.True(r.Ttl <= 10 && !r.CacheFlush));
        Assert.Equal(4, response.AllRecords.Count());
    }

    [Fact]
    public void Answer_UnicastResponseQuestion_RepliesByMulticast()
    {
        DnsMessage query = DnsMessage.Query([new DnsQuestion(Profile.InstanceFullName, DnsRecordType.Any, UnicastResponse: true)]);

        (byte[]? reply, IPEndPoint? unicastTo) = MdnsResponder.Answer(query, s_mdnsPeer, Profile, s_interface);

        Assert.Null(unicastTo);
        Assert.Equal([Profile.Srv, Profile.TxtRecord], Decode(reply).Answers);
    }

    [Theory]
    [InlineData("_services._dns-sd._udp.local", (int)DnsRecordType.Ptr, (int)DnsRecordType.Ptr)]
    [InlineData("desk.local", (int)DnsRecordType.A, (int)DnsRecordType.A)]
    [InlineData("DESK.LOCAL", (int)DnsRecordType.Any, (int)DnsRecordType.A)]
    public void Answer_OtherNames_AnswersTheRecord(string name, int type, int expected)
    {
        DnsMessage query = DnsMessage.Query([new DnsQuestion(DnsName.Parse(name), (DnsRecordType)type)]);
        Assert.Equal((DnsRecordType)expected, Assert.Single(Decode(MdnsResponder.Answer(query, s_mdnsPeer, Profile, s_interface).Reply).Answers).Type);
    }

    [Theory]
    [InlineData("_http._tcp.local", (int)DnsRecordType.Ptr)]
    [InlineData("desk.local", (int)DnsRecordType.Aaaa)]
    [InlineData("other.local", (int)DnsRecordType.A)]
    public void Answer_UnrelatedQuestion_NoReply(string name, int type)
    {
        DnsMessage query = DnsMessage.Query([new DnsQuestion(DnsName.Parse(name), (DnsRecordType)type)]);
        Assert.Null(MdnsResponder.Answer(query, s_mdnsPeer, Profile, s_interface).Reply);
    }
}
