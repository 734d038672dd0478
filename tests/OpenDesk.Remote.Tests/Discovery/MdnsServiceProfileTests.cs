using System.Text;
using OpenDesk.Remote.Discovery;

namespace OpenDesk.Remote.Tests.Discovery;

public sealed class MdnsServiceProfileTests
{
    private static readonly byte[] s_key = [.. Enumerable.Range(0xe0, 32).Select(i => (byte)i)];

    [Fact]
    public void BuildTxt_GivesProtocolKeysWithRawKey()
    {
        IReadOnlyList<byte[]> txt = MdnsServiceProfile.BuildTxt(s_key, "desk in the office");

        Assert.Equal(["v=1", "fp=e0e1:e2e3:e4e5:e6e7", "desc=desk in the office"], new[] { txt[0], txt[2], txt[3] }.Select(Encoding.UTF8.GetString));
        Assert.Equal([.. "pk="u8, .. s_key], txt[1]);
        Dictionary<string, byte[]> parsed = MdnsServiceProfile.ParseTxt(txt);
        Assert.Equal(s_key, parsed["PK"]);
    }

    [Theory]
    [InlineData(119, "é", 119)] // a 2-byte character that does not fit is dropped whole
    [InlineData(118, "é", 120)]
    [InlineData(118, "😀", 118)] // a 4-byte character (surrogate pair) is never split
    [InlineData(116, "😀", 120)]
    [InlineData(10, "", 14)]
    public void BuildTxt_LongDescription_TruncatedTo120BytesAtCharacterBoundary(int asciiPrefix, string tail, int expectedBytes)
    {
        string description = new string('a', asciiPrefix) + tail + "zzzz";
        byte[] desc = MdnsServiceProfile.BuildTxt(s_key, description)[3];

        Assert.Equal(expectedBytes + "desc=".Length, desc.Length);
        string text = Encoding.UTF8.GetString(desc, 5, desc.Length - 5);
        Assert.StartsWith(text, description, StringComparison.Ordinal);
        Assert.DoesNotContain('\uFFFD', text);
    }

    [Fact]
    public void ParseTxt_FirstOccurrenceWins_AndKeysWithoutValue()
    {
        Dictionary<string, byte[]> parsed = MdnsServiceProfile.ParseTxt(["v=1"u8.ToArray(), "V=2"u8.ToArray(), "flag"u8.ToArray(), "=x"u8.ToArray(), "e="u8.ToArray()]);

        Assert.Equal("1"u8.ToArray(), parsed["v"]);
        Assert.Empty(parsed["flag"]);
        Assert.Empty(parsed["e"]);
        Assert.Equal(3, parsed.Count);
    }

    [Theory]
    [InlineData("vm", "vm")]
    [InlineData("desk.example.com", "desk")]
    [InlineData("My_Desk PC", "My-Desk-PC")]
    [InlineData("...", "opendesk")]
    [InlineData("bürö", "br")]
    public void HostLabelFrom_MachineName_GivesDnsLabel(string machine, string expected)
    {
        Assert.Equal(expected, MdnsServiceProfile.HostLabelFrom(machine));
    }

    [Fact]
    public void CreateProfile_Defaults_InstanceIsHostnameAndSixHex()
    {
        MdnsServiceProfile profile = MdnsAdvertiser.CreateProfile(new MdnsAdvertisement(8423, s_key, "d") { HostLabel = "desk2" });

        Assert.Equal("desk2-e0e1e2", profile.InstanceName);
        Assert.Equal(["desk2-e0e1e2", "_opendesk", "_tcp", "local"], profile.InstanceFullName.Labels);
        Assert.Equal(["desk2", "local"], profile.HostName.Labels);
        Assert.Equal((ushort)8423, ((SrvRecordData)profile.Srv.Data).Port);
    }

    [Theory]
    [InlineData(0, 32)]
    [InlineData(65536, 32)]
    [InlineData(8423, 31)]
    public void CreateProfile_InvalidPortOrKey_Throws(int port, int keyLength)
    {
        Assert.ThrowsAny<ArgumentException>(() => MdnsAdvertiser.CreateProfile(new MdnsAdvertisement(port, new byte[keyLength])));
    }

    [Fact]
    public void DnsName_EqualityIsAsciiCaseInsensitive_AndLabelsKeepDots()
    {
        Assert.Equal(DnsName.Parse("_OpenDesk._TCP.Local"), MdnsNames.ServiceType);
        Assert.Equal(DnsName.Parse("_OpenDesk._TCP.Local").GetHashCode(), MdnsNames.ServiceType.GetHashCode());
        Assert.NotEqual(MdnsNames.ServiceType.Prepend("a.b"), DnsName.Parse("a.b._opendesk._tcp.local"));
        Assert.Throws<ArgumentException>(() => DnsName.FromLabels(new string('x', 64)));
    }
}

public sealed class MdnsInterfaceTests
{
    [Theory]
    [InlineData("10.253.77.1", 24, "10.253.77.200", true)]
    [InlineData("10.253.77.1", 24, "10.253.78.1", false)]
    [InlineData("192.168.1.10", 16, "192.168.200.3", true)]
    [InlineData("10.0.0.1", 32, "10.0.0.1", true)]
    [InlineData("10.0.0.1", 24, "::ffff:10.0.0.9", true)]
    [InlineData("10.0.0.1", 24, "fe80::1", false)]
    public void IsOnLink_ChecksSubnet(string local, int prefix, string remote, bool expected)
    {
        var networkInterface = new MdnsInterface("eth0", 2, System.Net.IPAddress.Parse(local), prefix);
        Assert.Equal(expected, networkInterface.IsOnLink(System.Net.IPAddress.Parse(remote)));
    }

    [Fact]
    public void Enumerate_NeverListsLoopback()
    {
        Assert.All(MdnsInterface.Enumerate(), i => Assert.False(System.Net.IPAddress.IsLoopback(i.Address)));
    }
}

/// <summary>Lifecycle without sockets (an empty interface list): nothing is sent in the root namespace.</summary>
public sealed class MdnsLifecycleTests
{
    private static readonly byte[] s_key = new byte[32];

    [Fact]
    public async Task AdvertiserStartAsync_NoInterfaces_RunsIdleAndDisposesTwice()
    {
        MdnsAdvertiser advertiser = await MdnsAdvertiser.StartAsync(new MdnsAdvertisement(8423, s_key) { HostLabel = "h" }, [], TestContext.Current.CancellationToken);

        Assert.Empty(advertiser.Interfaces);
        Assert.Equal("h-000000", advertiser.InstanceName);
        Assert.Equal("h.local", advertiser.HostName);
        await advertiser.DisposeAsync();
        await advertiser.DisposeAsync();
    }

    [Fact]
    public async Task AdvertiserStartAsync_CallerCancelled_ThrowsWithCallerToken()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        OperationCanceledException ex = await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => MdnsAdvertiser.StartAsync(new MdnsAdvertisement(8423, s_key), [], cts.Token));
        Assert.Equal(cts.Token, ex.CancellationToken);
    }

    [Fact]
    public async Task BrowseAsync_NoInterfaces_ReturnsEmptyAfterTimeout()
    {
        Assert.Empty(await MdnsBrowser.BrowseAsync([], TimeSpan.FromMilliseconds(50), null, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task BrowseAsync_CallerCancels_ThrowsWithCallerToken()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));

        OperationCanceledException ex = await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => MdnsBrowser.BrowseAsync([], TimeSpan.FromSeconds(30), null, cts.Token));
        Assert.Equal(cts.Token, ex.CancellationToken);
    }
}
