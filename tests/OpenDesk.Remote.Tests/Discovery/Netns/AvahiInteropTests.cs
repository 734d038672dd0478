using System.Diagnostics;
using System.Text;
using System.Text.Json;
using OpenDesk.Core;

namespace OpenDesk.Remote.Tests.Discovery.Netns;

/// <summary>
/// OpenDesk's mDNS code against a real avahi peer, in two network namespaces made for this run (see
/// <see cref="NetnsAvahiFixture"/>): avahi sees our advertiser, our browser sees avahi's services, and our goodbye
/// removes the service from avahi's view.
/// </summary>
[Collection(NetnsAvahiCollection.Name)]
public sealed class AvahiInteropTests(NetnsAvahiFixture fixture)
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(20);

    // 32 raw key bytes, all >= 0x80: binary (not UTF-8), and safe for printf in the avahi-publish command line.
    private static readonly byte[] s_avahiKey = [.. Enumerable.Range(0x80, 32).Select(i => (byte)i)];
    private static readonly byte[] s_ourKey = [.. Enumerable.Range(0xe0, 32).Select(i => (byte)i)];

    [Fact]
    public async Task AvahiBrowse_SeesOurAdvertiser_WithOpenDeskTxt()
    {
        fixture.SkipIfUnavailable();
        string description = "Büro \"desk\" " + new string('x', 200);
        await using ChildProcess advertiser = fixture.StartProbeInB(
            "advertise", "--port", "7878", "--pk", Convert.ToHexStringLower(s_ourKey), "--desc", description, "--host", "opendesk-b");
        await advertiser.WaitForLineAsync(l => l.StartsWith("READY ", StringComparison.Ordinal), s_timeout, "the advertiser");

        // Default instance name: <host>-<first 6 hex digits of the key>.
        string[] fields = await BrowseUntilAsync("opendesk-b-e0e1e2");

        Assert.Equal(fixture.InterfaceA, fields[1]);
        Assert.Equal("IPv4", fields[2]);
        Assert.Equal(["_opendesk._tcp", "local", "opendesk-b.local", NetnsAvahiFixture.AddressB, "7878"], fields[4..9]);
        Dictionary<string, byte[]> txt = ParseAvahiTxt(fields[9]);
        Assert.Equal(["desc", "fp", "pk", "v"], txt.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("1", Encoding.ASCII.GetString(txt["v"]));
        Assert.Equal(s_ourKey, txt["pk"]);
        Assert.Equal("e0e1:e2e3:e4e5:e6e7", Encoding.ASCII.GetString(txt["fp"]));
        Assert.Equal(120, txt["desc"].Length);
        Assert.Equal(description[..119], Encoding.UTF8.GetString(txt["desc"])); // "ü" takes 2 of the 120 bytes

        await StopAsync(advertiser);
    }

    [Fact]
    public async Task Dispose_SendsGoodbye_AvahiRemovesService()
    {
        fixture.SkipIfUnavailable();
        await using ChildProcess browse = fixture.StartInA("avahi-browse", "-rp", "_opendesk._tcp");
        await using ChildProcess advertiser = fixture.StartProbeInB(
            "advertise", "--port", "7879", "--pk", Convert.ToHexStringLower(s_ourKey), "--name", "Goodbye Test", "--host", "od-goodbye");
        await advertiser.WaitForLineAsync(l => l.StartsWith("READY ", StringComparison.Ordinal), s_timeout, "the advertiser");
        var sinceReady = Stopwatch.StartNew();
        await browse.WaitForLineAsync(l => l.StartsWith("=;", StringComparison.Ordinal) && l.Contains(@";Goodbye\032Test;", StringComparison.Ordinal), s_timeout, "avahi to resolve the service");
        long resolvedMs = sinceReady.ElapsedMilliseconds;

        var sinceStop = Stopwatch.StartNew();
        await advertiser.WriteLineAsync("stop");
        await browse.WaitForLineAsync(l => l.StartsWith("-;", StringComparison.Ordinal) && l.Contains(@";Goodbye\032Test;", StringComparison.Ordinal), TimeSpan.FromSeconds(5), "avahi to drop the service after the goodbye");
        long removedMs = sinceStop.ElapsedMilliseconds;
        await advertiser.WaitForLineAsync(l => l == "STOPPED", s_timeout, "the advertiser to stop");

        // Without a goodbye avahi would keep the entry for its TTL (120 s / 4500 s); RFC 6762 §10.1 removes it after 1 s.
        Assert.InRange(removedMs, 0, 5000);
        TestContext.Current.TestOutputHelper?.WriteLine($"avahi resolved our service {resolvedMs} ms after READY; removed it {removedMs} ms after stop");
    }

    [Fact]
    public async Task DiscoverAsync_SeesServicePublishedByAvahi_DropsEntriesWithoutValid32BytePk()
    {
        fixture.SkipIfUnavailable();
        const string name = "OpenDesk A.1 Büro";
        await using ChildProcess valid = PublishValid(name, 7777, "hello wörld");
        await using ChildProcess rusty = fixture.StartInA("avahi-publish", "-s", "Rusty", "_opendesk._tcp", "47820", "ver=1", "pk=short");
        await using ChildProcess noKey = fixture.StartInA("avahi-publish", "-s", "No Key", "_opendesk._tcp", "7000", "v=1");
        foreach (ChildProcess publisher in new[] { valid, rusty, noKey })
        {
            await publisher.WaitForLineAsync(l => l.StartsWith("Established under name", StringComparison.Ordinal), s_timeout, "avahi-publish");
        }

        await using ChildProcess browser = fixture.StartProbeInB("browse", "--timeout", "2");
        string done = await browser.WaitForLineAsync(l => l.StartsWith("DONE ", StringComparison.Ordinal), s_timeout, "the browse");

        List<JsonElement> peers = [.. browser.Transcript.Split('\n').Where(l => l.StartsWith("PEER ", StringComparison.Ordinal)).Select(l => JsonDocument.Parse(l[5..]).RootElement)];
        JsonElement peer = Assert.Single(peers);
        Assert.Equal(name, peer.GetProperty("name").GetString());
        Assert.Equal(NetnsAvahiFixture.AddressA, peer.GetProperty("host").GetString());
        Assert.Equal(7777, peer.GetProperty("port").GetInt32());
        Assert.Equal(Convert.ToHexStringLower(s_avahiKey), peer.GetProperty("pk").GetString());
        Assert.Equal(PeerFingerprint.Of(s_avahiKey), peer.GetProperty("fp").GetString());
        Assert.Equal("hello wörld", peer.GetProperty("desc").GetString());
        TestContext.Current.TestOutputHelper?.WriteLine($"browse: {done}");
    }

    [Fact]
    public async Task FindAsync_KnownKey_ReturnsAsSoonAsSeen()
    {
        fixture.SkipIfUnavailable();
        await using ChildProcess valid = PublishValid("Find Me", 7780, "find me");
        await valid.WaitForLineAsync(l => l.StartsWith("Established under name", StringComparison.Ordinal), s_timeout, "avahi-publish");

        await using ChildProcess finder = fixture.StartProbeInB("find", "--pk", Convert.ToHexStringLower(s_avahiKey), "--timeout", "10");
        string found = await finder.WaitForLineAsync(l => l.StartsWith("FOUND ", StringComparison.Ordinal) || l.StartsWith("NOTFOUND", StringComparison.Ordinal), s_timeout, "the find");

        Assert.StartsWith("FOUND ", found, StringComparison.Ordinal);
        Assert.Contains("\"port\":7780", found, StringComparison.Ordinal);
        long elapsed = long.Parse(found[(found.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(elapsed, 0, 5000); // well before the 10 s timeout
        TestContext.Current.TestOutputHelper?.WriteLine($"find: {elapsed} ms");
    }

    [Fact]
    public async Task OurBrowser_SeesOurAdvertisers_SecondWithSameNameIsRenamed()
    {
        fixture.SkipIfUnavailable();
        string key = Convert.ToHexStringLower(s_ourKey);
        await using ChildProcess first = fixture.StartProbeInB("advertise", "--port", "7001", "--pk", key, "--name", "Twin", "--host", "twin-one");
        string firstReady = await first.WaitForLineAsync(l => l.StartsWith("READY ", StringComparison.Ordinal), s_timeout, "the first advertiser");
        await using ChildProcess second = fixture.StartProbeInB("advertise", "--port", "7002", "--pk", key, "--name", "Twin", "--host", "twin-two");
        string secondReady = await second.WaitForLineAsync(l => l.StartsWith("READY ", StringComparison.Ordinal), s_timeout, "the second advertiser");

        // The second one's probes were answered by the first (same namespace, multicast loopback): a conflict.
        Assert.Equal("Twin", JsonDocument.Parse(firstReady[6..]).RootElement.GetProperty("instance").GetString());
        Assert.Equal("Twin-2", JsonDocument.Parse(secondReady[6..]).RootElement.GetProperty("instance").GetString());

        await using ChildProcess browser = fixture.StartProbeInB("browse", "--timeout", "1.5");
        string done = await browser.WaitForLineAsync(l => l.StartsWith("DONE ", StringComparison.Ordinal), s_timeout, "the browse");
        List<JsonElement> peers = [.. browser.Transcript.Split('\n').Where(l => l.StartsWith("PEER ", StringComparison.Ordinal)).Select(l => JsonDocument.Parse(l[5..]).RootElement)];
        Assert.Equal(["Twin:7001", "Twin-2:7002"], peers.Select(p => $"{p.GetProperty("name").GetString()}:{p.GetProperty("port").GetInt32()}"));
        Assert.All(peers, p => Assert.Equal(NetnsAvahiFixture.AddressB, p.GetProperty("host").GetString()));
        TestContext.Current.TestOutputHelper?.WriteLine($"browse: {done}; starts: {firstReady} / {secondReady}");
        await StopAsync(second);
        await StopAsync(first);
    }

    [Fact]
    public async Task LegacyUnicastQuery_GetsUnicastReplyWithEchoedIdAndShortTtl()
    {
        fixture.SkipIfUnavailable();
        await using ChildProcess advertiser = fixture.StartProbeInB(
            "advertise", "--port", "7890", "--pk", Convert.ToHexStringLower(s_ourKey), "--name", "Legacy", "--host", "od-legacy");
        await advertiser.WaitForLineAsync(l => l.StartsWith("READY ", StringComparison.Ordinal), s_timeout, "the advertiser");

        // A one-shot querier (RFC 6762 §6.7) in namespace A: PTR query with id 0x4242 from an ephemeral port.
        byte[] query = OpenDesk.Remote.Discovery.DnsMessageCodec.Encode(OpenDesk.Remote.Discovery.DnsMessage.Query(
            [new(OpenDesk.Remote.Discovery.MdnsNames.ServiceType, OpenDesk.Remote.Discovery.DnsRecordType.Ptr)]) with { Id = 0x4242 });
        const string Script = """
            import socket, sys
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(sys.argv[1]))
            s.settimeout(10)
            s.sendto(bytes.fromhex(sys.argv[2]), ("224.0.0.251", 5353))
            data, sender = s.recvfrom(9000)
            print("REPLY", sender[0], sender[1], data.hex(), flush=True)
            """;
        await using ChildProcess querier = fixture.StartInA("python3", "-c", Script, NetnsAvahiFixture.AddressA, Convert.ToHexStringLower(query));
        string[] reply = (await querier.WaitForLineAsync(l => l.StartsWith("REPLY ", StringComparison.Ordinal), s_timeout, "a unicast reply")).Split(' ');

        Assert.Equal([NetnsAvahiFixture.AddressB, "5353"], reply[1..3]);
        Assert.True(OpenDesk.Remote.Discovery.DnsMessageCodec.TryDecode(Convert.FromHexString(reply[3]), out OpenDesk.Remote.Discovery.DnsMessage? message));
        Assert.Equal(0x4242, message.Id);
        Assert.True(message.IsResponse);
        Assert.Equal(OpenDesk.Remote.Discovery.MdnsNames.ServiceType, Assert.Single(message.Questions).Name);
        Assert.All(message.AllRecords, r => Assert.True(r.Ttl <= 10 && !r.CacheFlush));
        Assert.Contains(message.AllRecords, r => r.Data is OpenDesk.Remote.Discovery.SrvRecordData { Port: 7890 });
        await StopAsync(advertiser);
    }

    [Fact]
    public async Task SameHostAsAvahi_SharesPort5353_BothDirectionsWork()
    {
        // A Linux desktop usually runs avahi: our sockets share port 5353 with it (ReuseAddress) and multicast
        // loopback carries packets between the two on one host.
        fixture.SkipIfUnavailable();
        await using ChildProcess published = PublishValid("Neighbour", 7781, "published by avahi");
        await published.WaitForLineAsync(l => l.StartsWith("Established under name", StringComparison.Ordinal), s_timeout, "avahi-publish");
        await using ChildProcess advertiser = fixture.StartProbeInA(
            "advertise", "--port", "7782", "--pk", Convert.ToHexStringLower(s_ourKey), "--name", "Cohabit", "--host", "opendesk-c");
        await advertiser.WaitForLineAsync(l => l.StartsWith("READY ", StringComparison.Ordinal), s_timeout, "the advertiser next to avahi");

        var sinceReady = Stopwatch.StartNew();
        string[] fields = await BrowseUntilAsync("Cohabit");
        Assert.Equal(["opendesk-c.local", NetnsAvahiFixture.AddressA, "7782"], fields[6..9]);

        await using ChildProcess browser = fixture.StartProbeInA("browse", "--timeout", "1.5");
        string done = await browser.WaitForLineAsync(l => l.StartsWith("DONE ", StringComparison.Ordinal), s_timeout, "the browse next to avahi");
        TestContext.Current.TestOutputHelper?.WriteLine($"resolved by avahi {sinceReady.ElapsedMilliseconds} ms after READY (incl. browse); our browse: {done}");
        string[] names = [.. browser.Transcript.Split('\n').Where(l => l.StartsWith("PEER ", StringComparison.Ordinal)).Select(l => JsonDocument.Parse(l[5..]).RootElement.GetProperty("name").GetString()!)];
        Assert.Contains("Neighbour", names);
        Assert.Contains("Cohabit", names);
        await StopAsync(advertiser);
    }

    [Fact]
    public async Task ConflictAfterAnnouncement_AdvertiserRenamesAndReannounces()
    {
        fixture.SkipIfUnavailable();
        await using ChildProcess browse = fixture.StartInA("avahi-browse", "-rp", "_opendesk._tcp");
        await using ChildProcess advertiser = fixture.StartProbeInB(
            "advertise", "--port", "7893", "--pk", Convert.ToHexStringLower(s_ourKey), "--name", "Clash", "--host", "od-clash");
        await advertiser.WaitForLineAsync(l => l.StartsWith("READY ", StringComparison.Ordinal), s_timeout, "the advertiser");
        await browse.WaitForLineAsync(l => l.StartsWith("=;", StringComparison.Ordinal) && l.Contains(";Clash;", StringComparison.Ordinal) && l.Contains(";7893;", StringComparison.Ordinal), s_timeout, "avahi to resolve Clash");

        // Another host (a forged response from namespace A, port 5353) now claims "Clash" with other data.
        var clash = OpenDesk.Remote.Discovery.MdnsNames.ServiceType.Prepend("Clash");
        var forger = OpenDesk.Remote.Discovery.DnsName.Parse("forger.local");
        OpenDesk.Remote.Discovery.DnsRecord[] claim =
        [
            new(OpenDesk.Remote.Discovery.MdnsNames.ServiceType, OpenDesk.Remote.Discovery.DnsRecordType.Ptr, false, 4500, new OpenDesk.Remote.Discovery.PtrRecordData(clash)),
            new(clash, OpenDesk.Remote.Discovery.DnsRecordType.Srv, true, 120, new OpenDesk.Remote.Discovery.SrvRecordData(0, 0, 9999, forger)),
            new(clash, OpenDesk.Remote.Discovery.DnsRecordType.Txt, true, 4500, new OpenDesk.Remote.Discovery.TxtRecordData(["v=1"u8.ToArray()])),
            new(forger, OpenDesk.Remote.Discovery.DnsRecordType.A, true, 120, new OpenDesk.Remote.Discovery.AddressRecordData(System.Net.IPAddress.Parse(NetnsAvahiFixture.AddressA))),
        ];
        byte[] response = OpenDesk.Remote.Discovery.DnsMessageCodec.Encode(OpenDesk.Remote.Discovery.DnsMessage.Response(claim));
        byte[] goodbye = OpenDesk.Remote.Discovery.DnsMessageCodec.Encode(OpenDesk.Remote.Discovery.DnsMessage.Response([.. claim.Select(r => r.WithTtl(0))]));
        const string Script = """
            import socket, sys
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            s.bind(("0.0.0.0", 5353))
            s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(sys.argv[1]))
            s.sendto(bytes.fromhex(sys.argv[2]), ("224.0.0.251", 5353))
            print("SENT", flush=True)
            sys.stdin.readline()
            s.sendto(bytes.fromhex(sys.argv[3]), ("224.0.0.251", 5353))
            print("GOODBYE", flush=True)
            """;
        var sinceConflict = Stopwatch.StartNew();
        await using ChildProcess forgerProcess = fixture.StartInA("python3", "-c", Script, NetnsAvahiFixture.AddressA, Convert.ToHexStringLower(response), Convert.ToHexStringLower(goodbye));
        await forgerProcess.WaitForLineAsync(l => l == "SENT", s_timeout, "the forged response");

        await browse.WaitForLineAsync(l => l.StartsWith("=;", StringComparison.Ordinal) && l.Contains(";Clash-2;", StringComparison.Ordinal) && l.Contains(";7893;", StringComparison.Ordinal), s_timeout, "avahi to resolve the renamed Clash-2");
        TestContext.Current.TestOutputHelper?.WriteLine($"renamed and re-announced {sinceConflict.ElapsedMilliseconds} ms after the conflicting response");

        // The forger leaves (goodbye), so avahi's cache holds no unresolvable entry for the other tests.
        await forgerProcess.WriteLineAsync("");
        await forgerProcess.WaitForLineAsync(l => l == "GOODBYE", s_timeout, "the forger's goodbye");
        await browse.WaitForLineAsync(l => l.StartsWith("-;", StringComparison.Ordinal) && l.Contains(";Clash;", StringComparison.Ordinal), s_timeout, "avahi to drop the forged Clash");
        await StopAsync(advertiser);
    }

    /// <summary>
    /// Stops an advertiser with its goodbye, so avahi's cache keeps no entry of a dead advertiser for the other
    /// tests (disposing a ChildProcess kills it without one).
    /// </summary>
    private static async Task StopAsync(ChildProcess advertiser)
    {
        await advertiser.WriteLineAsync("stop");
        await advertiser.WaitForLineAsync(l => l == "STOPPED", s_timeout, "the advertiser to stop");
    }

    /// <summary>avahi-publish with the OpenDesk TXT keys; the raw key bytes go through bash's printf.</summary>
    private ChildProcess PublishValid(string name, int port, string description)
    {
        string escapedKey = string.Concat(s_avahiKey.Select(b => $"\\x{b:x2}"));
        return fixture.StartInA("bash", "-c",
            "exec avahi-publish -s \"$0\" _opendesk._tcp \"$1\" v=1 \"pk=$(printf \"$2\")\" \"fp=$3\" \"desc=$4\"",
            name, port.ToString(System.Globalization.CultureInfo.InvariantCulture), escapedKey, PeerFingerprint.Of(s_avahiKey), description);
    }

    /// <summary>Runs <c>avahi-browse -rtp _opendesk._tcp</c> until it resolves <paramref name="instance"/>; returns the fields of that line.</summary>
    private async Task<string[]> BrowseUntilAsync(string instance)
    {
        var deadline = Stopwatch.StartNew();
        string last = "";
        int attempts = 0;
        while (deadline.Elapsed < s_timeout)
        {
            attempts++;
            (_, last) = await ChildProcess.RunAsync("ip", ["netns", "exec", fixture.NamespaceA, "avahi-browse", "-rtp", "_opendesk._tcp"], s_timeout, fixture.AvahiEnvironment);
            foreach (string line in last.Split('\n'))
            {
                string[] fields = line.Split(';', 10);
                if (fields.Length == 10 && fields[0] == "=" && UnescapeAvahi(fields[3]) == instance)
                {
                    TestContext.Current.TestOutputHelper?.WriteLine($"avahi-browse -rtp resolved {instance} after {attempts} run(s), {deadline.ElapsedMilliseconds} ms");
                    return fields;
                }
            }
        }

        throw new TimeoutException($"avahi-browse did not resolve {instance}:\n{last}");
    }

    /// <summary>avahi's escapes: <c>\DDD</c> (a decimal byte) and <c>\c</c>.</summary>
    private static string UnescapeAvahi(string text) => Encoding.UTF8.GetString(UnescapeBytes(text));

    private static byte[] UnescapeBytes(string text)
    {
        var bytes = new List<byte>();
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] == '\\' && i + 3 < text.Length + 0 && char.IsAsciiDigit(text[i + 1]) && char.IsAsciiDigit(text[i + 2]) && char.IsAsciiDigit(text[i + 3]))
            {
                bytes.Add(byte.Parse(text.AsSpan(i + 1, 3), provider: System.Globalization.CultureInfo.InvariantCulture));
                i += 3;
            }
            else if (text[i] == '\\' && i + 1 < text.Length)
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(text[i + 1].ToString()));
                i++;
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(text[i].ToString()));
            }
        }

        return [.. bytes];
    }

    /// <summary>Parses avahi-browse's TXT field: space-separated quoted strings with avahi escapes.</summary>
    private static Dictionary<string, byte[]> ParseAvahiTxt(string field)
    {
        var result = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        int i = 0;
        while ((i = field.IndexOf('"', i)) >= 0)
        {
            int end = i + 1;
            while (end < field.Length && field[end] != '"')
            {
                end += field[end] == '\\' ? 2 : 1;
            }

            byte[] text = UnescapeBytes(field[(i + 1)..end]);
            int equals = Array.IndexOf(text, (byte)'=');
            result[Encoding.ASCII.GetString(text, 0, equals)] = text[(equals + 1)..];
            i = end + 1;
        }

        return result;
    }
}
