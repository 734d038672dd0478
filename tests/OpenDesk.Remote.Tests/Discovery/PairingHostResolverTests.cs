using OpenDesk.Core;
using OpenDesk.Remote.Discovery;

namespace OpenDesk.Remote.Tests.Discovery;

/// <summary>How <c>opendesk pair-with HOST</c> decides between the address as given, a host name and an mDNS instance name.</summary>
public sealed class PairingHostResolverTests
{
    private static readonly DiscoveredPeer s_seen = new("vm-7b4e90", "10.0.0.7", 9000, new byte[32], "", null);

    [Theory]
    [InlineData("192.168.1.20")]
    [InlineData("::1")]
    [InlineData("[fe80::1]")]
    public async Task IpAddress_UsedAsGiven_NoLookup(string host)
    {
        ResolvedPairingHost resolved = await Resolve(host, found: s_seen, resolves: true, out List<string> calls);

        Assert.Equal(new ResolvedPairingHost(host, 8423, null), resolved);
        Assert.Empty(calls);
    }

    [Fact]
    public async Task BareName_FoundOverMdns_UsesDiscoveredAddressAndPort()
    {
        ResolvedPairingHost resolved = await Resolve(" VM-7B4E90 ", found: s_seen, resolves: true, out List<string> calls);

        Assert.Equal(new ResolvedPairingHost("10.0.0.7", 9000, s_seen), resolved);
        Assert.Equal(["mdns:VM-7B4E90"], calls); // mDNS first; a bare name is what `discover` shows
    }

    [Fact]
    public async Task BareName_NotFound_UsedAsHostName()
    {
        ResolvedPairingHost resolved = await Resolve("desk2", found: null, resolves: false, out _);

        Assert.Equal(new ResolvedPairingHost("desk2", 8423, null), resolved);
    }

    [Fact]
    public async Task DottedName_ResolvesAsHostName_NoMdns()
    {
        ResolvedPairingHost resolved = await Resolve("desk2.lan", found: s_seen, resolves: true, out List<string> calls);

        Assert.Equal(new ResolvedPairingHost("desk2.lan", 8423, null), resolved);
        Assert.Equal(["dns:desk2.lan"], calls);
    }

    [Fact]
    public async Task DottedName_NotAHostName_LookedUpOverMdns()
    {
        ResolvedPairingHost resolved = await Resolve("OpenDesk A.1 Büro", found: s_seen, resolves: false, out List<string> calls);

        Assert.Equal(s_seen, resolved.Discovered);
        Assert.Equal(["dns:OpenDesk A.1 Büro", "mdns:OpenDesk A.1 Büro"], calls);
    }

    private static Task<ResolvedPairingHost> Resolve(string host, DiscoveredPeer? found, bool resolves, out List<string> calls)
    {
        var log = new List<string>();
        calls = log;
        return PairingHostResolver.ResolveAsync(
            host,
            8423,
            (name, _) =>
            {
                log.Add("mdns:" + name);
                return Task.FromResult(found);
            },
            (name, _) =>
            {
                log.Add("dns:" + name);
                return Task.FromResult(resolves);
            },
            TestContext.Current.CancellationToken);
    }
}
