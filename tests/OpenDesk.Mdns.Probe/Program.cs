using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using OpenDesk.Core;
using OpenDesk.Remote.Discovery;

// Test helper for tests/OpenDesk.Remote.Tests/Discovery: runs the real advertiser or browser in a network namespace.
//   advertise --port P --pk HEX [--desc TEXT] [--name NAME] [--host LABEL]
//       prints "READY <json>" once announced, then waits for "stop" (or end of input) on stdin,
//       sends the goodbye and prints "STOPPED".
//   browse --timeout SECONDS           prints one "PEER <json>" line per server, then "DONE <count> <ms>".
//   find --pk HEX --timeout SECONDS [--repeat N]   prints "FOUND <json> <ms>" or "NOTFOUND <ms>" (N times).
if (args.Length == 0)
{
    Console.Error.WriteLine("usage: probe advertise|browse|find [options]");
    return 2;
}

Dictionary<string, string> options = [];
for (int i = 1; i + 1 < args.Length; i += 2)
{
    options[args[i].TrimStart('-')] = args[i + 1];
}

string Get(string key, string fallback) => options.TryGetValue(key, out string? value) ? value : fallback;
TimeSpan Timeout() => TimeSpan.FromSeconds(double.Parse(Get("timeout", "2"), CultureInfo.InvariantCulture));
string Json(DiscoveredPeer p) => JsonSerializer.Serialize(new Dictionary<string, object>
{
    ["name"] = p.Name,
    ["host"] = p.Host,
    ["port"] = p.Port,
    ["pk"] = Convert.ToHexStringLower(p.PublicKey),
    ["fp"] = p.Fingerprint,
    ["desc"] = p.Description,
});

switch (args[0])
{
    case "advertise":
    {
        var advertisement = new MdnsAdvertisement(
            int.Parse(Get("port", "8423"), CultureInfo.InvariantCulture),
            Convert.FromHexString(Get("pk", "")),
            Get("desc", ""))
        {
            InstanceName = options.GetValueOrDefault("name"),
            HostLabel = options.GetValueOrDefault("host"),
        };
        var stopwatch = Stopwatch.StartNew();
        await using (MdnsAdvertiser advertiser = await MdnsAdvertiser.StartAsync(advertisement))
        {
            Console.WriteLine("READY " + JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["instance"] = advertiser.InstanceName,
                ["host"] = advertiser.HostName,
                ["interfaces"] = advertiser.Interfaces,
                ["startMs"] = stopwatch.ElapsedMilliseconds,
            }));
            while (Console.ReadLine() is { } line && line.Trim() != "stop")
            {
            }
        }

        Console.WriteLine("STOPPED");
        return 0;
    }

    case "browse":
    {
        var stopwatch = Stopwatch.StartNew();
        IReadOnlyList<DiscoveredPeer> peers = await MdnsBrowser.DiscoverAsync(Timeout());
        foreach (DiscoveredPeer peer in peers)
        {
            Console.WriteLine("PEER " + Json(peer));
        }

        Console.WriteLine($"DONE {peers.Count} {stopwatch.ElapsedMilliseconds}");
        return 0;
    }

    case "find":
    {
        // --repeat N looks N times in one process: the first includes JIT and interface enumeration.
        for (int i = int.Parse(Get("repeat", "1"), CultureInfo.InvariantCulture); i > 0; i--)
        {
            var stopwatch = Stopwatch.StartNew();
            DiscoveredPeer? peer = await MdnsBrowser.FindAsync(Convert.FromHexString(Get("pk", "")), Timeout());
            Console.WriteLine(peer is null ? $"NOTFOUND {stopwatch.ElapsedMilliseconds}" : $"FOUND {Json(peer)} {stopwatch.ElapsedMilliseconds}");
        }

        return 0;
    }

    default:
        Console.Error.WriteLine("unknown command " + args[0]);
        return 2;
}
