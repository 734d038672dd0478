using System.Globalization;
using System.Text.Json;
using OpenDesk.Core;
using OpenDesk.IntegrationTests.Infrastructure;

namespace OpenDesk.IntegrationTests.Discovery;

/// <summary>
/// Issue 6, end to end: real <c>opendesk</c> processes (the built opendesk.dll, FakeComputer switch) in two network
/// namespaces made for each test and joined by a veth pair (A = the server, B = the controller), so all multicast
/// stays off the root namespace. (a) <c>pair-with</c> by the instance name <c>discover</c> shows; (b) <c>connect</c>
/// re-finds a paired server by key over mDNS after its address changed. Processes are killed by PID and the
/// namespaces deleted at the end; every wait is on an output line or an exit, with a timeout. Skips without root.
/// </summary>
public sealed class MdnsEndToEndTests : IAsyncLifetime
{
    private const string Subnet = "10.253.88.";
    private const string Code = "123456";
    private const int Port = 8423;
    private static readonly TimeSpan s_step = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan s_command = TimeSpan.FromSeconds(20);

    private readonly string _id = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray().AsSpan(0, 3));
    private readonly List<string> _namespaces = [];
    private readonly TestHomes _homes = new();
    private string? _skip;

    private string NamespaceA => $"odlan-{_id}-a";

    private string NamespaceB => $"odlan-{_id}-b";

    private string DeviceA => $"odlA{_id}";

    private string HomeA => _homes["a"];

    private string HomeB => _homes["b"];

    private static string Dotnet =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    public async ValueTask InitializeAsync()
    {
        if (!OperatingSystem.IsLinux())
        {
            _skip = "network namespaces need Linux";
            return;
        }

        (int code, string output) = await RunAsync("ip", "netns", "add", NamespaceA);
        if (code != 0)
        {
            _skip = $"'ip netns add' failed (needs root / CAP_NET_ADMIN): {output}";
            return;
        }

        _namespaces.Add(NamespaceA);
        try
        {
            await Ip("netns", "add", NamespaceB);
            _namespaces.Add(NamespaceB);

            // The veth ends are created directly inside the namespaces: nothing appears in the root namespace.
            await Ip("link", "add", DeviceA, "netns", NamespaceA, "type", "veth", "peer", "name", $"odlB{_id}", "netns", NamespaceB);
            foreach ((string ns, string dev, string address) in new[] { (NamespaceA, DeviceA, Subnet + "1"), (NamespaceB, $"odlB{_id}", Subnet + "2") })
            {
                await Ip("-n", ns, "addr", "add", address + "/24", "dev", dev);
                await Ip("-n", ns, "link", "set", "lo", "up");
                await Ip("-n", ns, "link", "set", dev, "up");
                await Ip("-n", ns, "route", "add", "224.0.0.0/4", "dev", dev);
            }
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (string ns in _namespaces)
        {
            await RunAsync("ip", "netns", "del", ns);
        }

        _namespaces.Clear();
        _homes.Dispose();
    }

    [Fact]
    public async Task PairWith_AdvertisedInstanceName_PairsAndTrustsTheServersKey()
    {
        SkipIfUnavailable();

        (string name, string fingerprint) = await PairByNameAsync(wrongCodeFirst: true);

        TrustedEntry entry = ReadTrustedPeer(HomeB, "desk-a");
        Assert.Equal(fingerprint, PeerFingerprint.Of(Convert.FromHexString(entry.PublicKey)));
        Assert.Equal(Subnet + "1", entry.LastHost);
        Assert.Equal(Port, entry.LastPort);
        TestContext.Current.TestOutputHelper?.WriteLine($"paired with {name} ({fingerprint}) by its mDNS name");
    }

    [Fact]
    public async Task Connect_ServerAddressChanged_RefindsItByKeyOverMdns()
    {
        SkipIfUnavailable();
        (_, string fingerprint) = await PairByNameAsync();

        await using (OpendeskProcess serve = await StartServeAsync())
        {
            (int code, string output, string error) = await RunInAsync(NamespaceB, "connect", "desk-a", "--home", HomeB);
            Assert.True(code == 0, $"connect at the first address failed ({code}):\n{output}\n{error}");
            Assert.Contains($"Connected to desk-a ({fingerprint}) at {Subnet}1:{Port}", output, StringComparison.Ordinal);
        } // killed by PID (no goodbye): B learns nothing about the move

        // A moves to another address in the same subnet; the cached endpoint in B's trusted-peers.json is now dead.
        string moved = Subnet + "77";
        await Ip("-n", NamespaceA, "addr", "flush", "dev", DeviceA);
        await Ip("-n", NamespaceA, "addr", "add", moved + "/24", "dev", DeviceA);
        await Ip("-n", NamespaceA, "route", "replace", "224.0.0.0/4", "dev", DeviceA);
        Assert.Equal(Subnet + "1", ReadTrustedPeer(HomeB, "desk-a").LastHost);

        await using OpendeskProcess restarted = await StartServeAsync();
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        (int exit, string connected, string failure) = await RunInAsync(NamespaceB, "connect", "desk-a", "--home", HomeB);
        Assert.True(exit == 0, $"connect after the move failed ({exit}):\n{connected}\n{failure}");
        Assert.Contains($"Connected to desk-a ({fingerprint}) at {moved}:{Port}", connected, StringComparison.Ordinal);
        Assert.Equal(moved, ReadTrustedPeer(HomeB, "desk-a").LastHost); // the next connect goes straight to the new address
        TestContext.Current.TestOutputHelper?.WriteLine($"re-found at {moved} by key in {stopwatch.ElapsedMilliseconds} ms (incl. the failed cached endpoint and process start)");
    }

    /// <summary>
    /// <c>opendesk pair</c> in A (mDNS on), <c>opendesk discover</c> in B to learn the advertised instance name, then
    /// <c>opendesk pair-with NAME CODE --name desk-a</c> in B (after a refused wrong code if <paramref name="wrongCodeFirst"/>).
    /// Returns the instance name and the server fingerprint.
    /// </summary>
    private async Task<(string Name, string Fingerprint)> PairByNameAsync(bool wrongCodeFirst = false)
    {
        await using OpendeskProcess pair = StartIn(NamespaceA, "pair", "--code", Code, "--port", Port.ToString(CultureInfo.InvariantCulture), "--timeout", "120", "--home", HomeA);
        string ready = await pair.WaitForLineAsync(l => l.StartsWith("opendesk pair listening on ", StringComparison.Ordinal), s_step);
        string fingerprint = ready.Split(' ').Single(w => w.StartsWith("fp=", StringComparison.Ordinal))[3..];

        (int code, string table, string error) = await RunInAsync(NamespaceB, "discover", "--timeout", "3", "--home", HomeB);
        Assert.True(code == 0, $"discover failed ({code}):\n{table}\n{error}");
        string row = table.Split('\n').SingleOrDefault(l => l.Contains(fingerprint, StringComparison.Ordinal))
            ?? throw new Xunit.Sdk.XunitException($"discover in B did not list the pairing server {fingerprint}:\n{table}\n{error}");
        Assert.Contains("NOT PAIRED", row, StringComparison.Ordinal);
        Assert.Contains($"{Subnet}1:{Port}", row, StringComparison.Ordinal);
        string name = row.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0]; // <hostname>-<6 hex>: no spaces

        if (wrongCodeFirst)
        {
            // The name resolves over mDNS, but only the code decides trust: a wrong one pairs nothing.
            (code, string refused, error) = await RunInAsync(NamespaceB, "pair-with", name, "654321", "--name", "desk-a", "--home", HomeB);
            Assert.True(code == 2, $"pair-with with a wrong code: expected exit 2, got {code}:\n{refused}\n{error}");
            Assert.Contains($"Found {name} on the LAN (mDNS)", refused, StringComparison.Ordinal);
            Assert.Contains("wrong code", error, StringComparison.Ordinal);
            Assert.False(File.Exists(Path.Combine(HomeB, "trusted-peers.json")) && File.ReadAllText(Path.Combine(HomeB, "trusted-peers.json")).Contains("desk-a", StringComparison.Ordinal));
        }

        (code, string output, error) = await RunInAsync(NamespaceB, "pair-with", name, Code, "--name", "desk-a", "--home", HomeB);
        Assert.True(code == 0, $"pair-with {name} failed ({code}):\n{output}\n{error}");
        Assert.Contains($"Found {name} on the LAN (mDNS) at {Subnet}1:{Port}, fingerprint {fingerprint}", output, StringComparison.Ordinal);
        Assert.Contains($"✓ Paired with desk-a ({fingerprint}) at {Subnet}1:{Port}", output, StringComparison.Ordinal);

        // The pairing server ends once the controller (which leaves at once) has gone.
        Assert.Equal(0, await pair.WaitForExitAsync(s_step));
        Assert.Contains($"opendesk pair: advertised on the LAN as {name} (mDNS)", pair.StandardError, StringComparison.Ordinal);
        return (name, fingerprint);
    }

    private async Task<OpendeskProcess> StartServeAsync()
    {
        OpendeskProcess serve = StartIn(NamespaceA, "serve", "--port", Port.ToString(CultureInfo.InvariantCulture), "--home", HomeA);
        try
        {
            await serve.WaitForLineAsync(l => l.StartsWith("opendesk serve listening on ", StringComparison.Ordinal), s_step);
            return serve;
        }
        catch
        {
            await serve.DisposeAsync();
            throw;
        }
    }

    /// <summary><c>ip netns exec NS dotnet opendesk.dll ARGS</c>: exec keeps the PID, so dispose kills opendesk itself.</summary>
    private static OpendeskProcess StartIn(string ns, params string[] args) =>
        OpendeskProcess.Start("ip", ["netns", "exec", ns, Dotnet, OpendeskProcess.OpendeskDll, .. args],
            new Dictionary<string, string?> { ["OPENDESK_TEST_COMPUTER"] = OpendeskProcess.FakeComputerSwitch });

    private static async Task<(int ExitCode, string Output, string Error)> RunInAsync(string ns, params string[] args)
    {
        await using OpendeskProcess process = StartIn(ns, args);
        int code = await process.WaitForExitAsync(s_step);
        return (code, process.StandardOutput, process.StandardError);
    }

    private void SkipIfUnavailable()
    {
        if (_skip is not null)
        {
            Assert.Skip(_skip);
        }
    }

    private static TrustedEntry ReadTrustedPeer(string home, string name)
    {
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(Path.Combine(home, "trusted-peers.json")));
        JsonElement peer = document.RootElement.EnumerateArray().Single(p => p.GetProperty("name").GetString() == name);
        return new TrustedEntry(
            peer.GetProperty("public_key").GetString()!,
            peer.TryGetProperty("last_host", out JsonElement host) && host.ValueKind == JsonValueKind.String ? host.GetString() : null,
            peer.TryGetProperty("last_port", out JsonElement port) && port.ValueKind == JsonValueKind.Number ? port.GetInt32() : null);
    }

    private static async Task Ip(params string[] args)
    {
        (int code, string output) = await RunAsync("ip", args);
        if (code != 0)
        {
            throw new InvalidOperationException($"ip {string.Join(' ', args)} failed: {output}");
        }
    }

    private static async Task<(int Code, string Output)> RunAsync(string program, params string[] args)
    {
        await using OpendeskProcess process = OpendeskProcess.Start(program, args);
        int code = await process.WaitForExitAsync(s_command);
        return (code, process.StandardOutput + process.StandardError);
    }

    private sealed record TrustedEntry(string PublicKey, string? LastHost, int? LastPort);
}
