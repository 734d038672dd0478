using OpenDesk.Core;
using OpenDesk.IntegrationTests.Infrastructure;
using OpenDesk.Remote.Client;
using OpenDesk.Remote.Trust;
using static OpenDesk.IntegrationTests.Remote.RemoteSteps;

namespace OpenDesk.IntegrationTests.Remote;

/// <summary><c>connect NAME</c> falls back to mDNS (by key) when the cached endpoint is stale. Skipped without multicast.</summary>
public sealed class MdnsConnectTests
{
    [Fact]
    public async Task Connect_StaleCachedEndpoint_FindsTheServerByKeyOverMdns_AndCachesTheNewEndpoint()
    {
        using var homes = new TestHomes();
        CancellationToken ct = TestContext.Current.CancellationToken;
        int pairPort = FreePort();
        await PairAsync(homes["s"], homes["c"], "desk", pairPort);

        // serve on another port, advertised over mDNS: the cached endpoint (the pairing port) is now stale.
        await using OpendeskProcess serve = OpendeskProcess.StartOpendesk("serve", "--home", homes["s"], "--port", "0");
        string line = await serve.WaitForLineAsync(l => l.StartsWith("opendesk serve listening on", StringComparison.Ordinal), Step);
        int port = int.Parse(line.Split(' ')[4].Split(':')[2], System.Globalization.CultureInfo.InvariantCulture);

        var directory = new PeerDirectory(new OpenDeskHome(homes["c"]));
        IReadOnlyList<DiscoveredPeer> seen = await directory.DiscoverAsync(TimeSpan.FromSeconds(3), ct);
        if (!seen.Any(p => p.PairedAs == "desk"))
        {
            Assert.Skip("mDNS multicast does not reach this host (nothing discovered)");
        }

        await using IComputer remote = await directory.ConnectAsync("desk", ct);
        Assert.NotEmpty(await remote.Display.GetDisplaysAsync(ct));
        Assert.Equal(port, directory.Find("desk")!.LastPort);
    }
}
