using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using OpenDesk.Core;
using OpenDesk.IntegrationTests.Infrastructure;
using OpenDesk.Remote.Tests.Discovery.Netns;
using OpenDesk.Remote.Trust;

namespace OpenDesk.IntegrationTests.Discovery;

/// <summary>
/// Issue 6: the <c>opendesk</c> CLI itself (the built opendesk.dll, FakeComputer switch) against a real avahi peer,
/// reusing <see cref="NetnsAvahiFixture"/> (linked from OpenDesk.Remote.Tests): avahi-daemon in namespace A,
/// opendesk in namespace B, nothing in the root namespace. <c>avahi-browse</c> sees <c>opendesk serve</c> with the
/// right TXT; <c>opendesk discover</c> lists a service published by <c>avahi-publish</c>; a SIGTERM'd serve sends a
/// goodbye that removes it from avahi's view. Every wait is on a line or an exit, with a timeout; processes are
/// stopped by PID. Skips without root or avahi.
/// </summary>
[Collection(NetnsAvahiCollection.Name)]
public sealed class CliAvahiTests(NetnsAvahiFixture fixture) : IDisposable
{
    private const string Listening = "opendesk serve listening on ";
    private const string Advertised = "opendesk serve: advertised on the LAN as ";
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    // 32 raw key bytes, all >= 0x80 (binary, and safe for printf in the avahi-publish command line).
    private static readonly byte[] s_avahiKey = [.. Enumerable.Range(0x90, 32).Select(i => (byte)i)];

    private readonly TestHomes _homes = new();

    public void Dispose() => _homes.Dispose();

    [Fact]
    public async Task AvahiBrowse_SeesOpendeskServe_WithVersionFingerprintAndKey()
    {
        fixture.SkipIfUnavailable();
        await using ChildProcess serve = StartServeInB(8431);
        (string name, string fingerprint) = await WaitForServeAsync(serve);

        string[] fields = await BrowseUntilAsync(name);
        Assert.Equal("IPv4", fields[2]);
        Assert.Equal([NetnsAvahiFixture.AddressB, "8431"], fields[7..9]);
        Dictionary<string, byte[]> txt = ParseAvahiTxt(fields[9]);
        Assert.Equal("1", Encoding.ASCII.GetString(txt["v"]));
        Assert.Equal(fingerprint, Encoding.ASCII.GetString(txt["fp"]));
        Assert.Equal(32, txt["pk"].Length);
        Assert.Equal(fingerprint, PeerFingerprint.Of(txt["pk"]));

        await StopServeAsync(serve); // with its goodbye, so avahi's cache keeps nothing for the other tests
    }

    [Fact]
    public async Task Discover_ListsServicePublishedByAvahi_NotPaired()
    {
        fixture.SkipIfUnavailable();
        string escapedKey = string.Concat(s_avahiKey.Select(b => $"\\x{b:x2}"));
        string fingerprint = PeerFingerprint.Of(s_avahiKey);
        await using ChildProcess publish = fixture.StartInA("bash", "-c",
            "exec avahi-publish -s \"$0\" _opendesk._tcp \"$1\" v=1 \"pk=$(printf \"$2\")\" \"fp=$3\" \"desc=$4\"",
            "Avahi Desk", "7791", escapedKey, fingerprint, "published by avahi");
        await publish.WaitForLineAsync(l => l.StartsWith("Established under name", StringComparison.Ordinal), s_timeout, "avahi-publish");

        var stopwatch = Stopwatch.StartNew();
        (int code, string table) = await ChildProcess.RunAsync(
            "ip", ["netns", "exec", fixture.NamespaceB, NetnsAvahiFixture.DotnetHost, OpendeskProcess.OpendeskDll, "discover", "--timeout", "2", "--home", _homes["b"]], s_timeout);
        Assert.True(code == 0, $"discover failed ({code}):\n{table}");
        string row = table.Split('\n').SingleOrDefault(l => l.StartsWith("Avahi Desk", StringComparison.Ordinal))
            ?? throw new Xunit.Sdk.XunitException($"discover did not list the avahi-published service:\n{table}");
        Assert.Contains($"{NetnsAvahiFixture.AddressA}:7791", row, StringComparison.Ordinal);
        Assert.Contains(fingerprint, row, StringComparison.Ordinal);
        Assert.Contains("NOT PAIRED", row, StringComparison.Ordinal);
        Assert.Contains("published by avahi", row, StringComparison.Ordinal);
        TestContext.Current.TestOutputHelper?.WriteLine($"discover --timeout 2 took {stopwatch.ElapsedMilliseconds} ms:\n{table}");
    }

    [Fact]
    public async Task ServeStopped_SendsGoodbye_AvahiNoLongerListsIt()
    {
        fixture.SkipIfUnavailable();
        await using ChildProcess browse = fixture.StartInA("avahi-browse", "-rp", "_opendesk._tcp");
        await using ChildProcess serve = StartServeInB(8432);
        (string name, _) = await WaitForServeAsync(serve);
        string escaped = EscapeAvahi(name);
        await browse.WaitForLineAsync(l => l.StartsWith("=;", StringComparison.Ordinal) && l.Contains($";{escaped};", StringComparison.Ordinal), s_timeout, $"avahi to resolve {name}");

        var sinceStop = Stopwatch.StartNew();
        await StopServeAsync(serve);
        await browse.WaitForLineAsync(l => l.StartsWith("-;", StringComparison.Ordinal) && l.Contains($";{escaped};", StringComparison.Ordinal), TimeSpan.FromSeconds(5), "avahi to drop the service after the goodbye");
        long removedMs = sinceStop.ElapsedMilliseconds;

        // A fresh browse of avahi's cache no longer lists it (without the goodbye it would stay for the record TTL).
        (_, string after) = await ChildProcess.RunAsync("ip", ["netns", "exec", fixture.NamespaceA, "avahi-browse", "-rtp", "_opendesk._tcp"], s_timeout, fixture.AvahiEnvironment);
        Assert.DoesNotContain($";{escaped};", after, StringComparison.Ordinal);
        TestContext.Current.TestOutputHelper?.WriteLine($"avahi dropped {name} {removedMs} ms after SIGTERM (incl. the graceful exit)");
    }

    /// <summary><c>opendesk serve</c> in namespace B, with a home that has one paired controller.</summary>
    private ChildProcess StartServeInB(int port)
    {
        string home = _homes["serve-" + port.ToString(CultureInfo.InvariantCulture)];
        var openDeskHome = new OpenDeskHome(home);
        openDeskHome.EnsureExists();
        string key = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        File.WriteAllText(openDeskHome.TrustedPeersPath, $$"""
            [{"public_key": "{{key}}", "name": "controller", "paired_at": 1767225600.0, "role": "controller",
              "description": "", "description_override": "", "last_host": null, "last_port": null}]
            """);
        return ChildProcess.Start(
            "ip",
            ["netns", "exec", fixture.NamespaceB, NetnsAvahiFixture.DotnetHost, OpendeskProcess.OpendeskDll, "serve", "--port", port.ToString(CultureInfo.InvariantCulture), "--home", home],
            new Dictionary<string, string> { ["OPENDESK_TEST_COMPUTER"] = OpendeskProcess.FakeComputerSwitch });
    }

    /// <summary>The advertised instance name (stderr) and the fingerprint (stdout), in whichever order they arrive.</summary>
    private static async Task<(string Name, string Fingerprint)> WaitForServeAsync(ChildProcess serve)
    {
        string? name = null;
        string? fingerprint = null;
        while (name is null || fingerprint is null)
        {
            string line = await serve.WaitForLineAsync(l => l.StartsWith(Listening, StringComparison.Ordinal) || l.StartsWith(Advertised, StringComparison.Ordinal), s_timeout, "opendesk serve to listen and advertise");
            if (line.StartsWith(Listening, StringComparison.Ordinal))
            {
                fingerprint = line.Split(' ').Single(w => w.StartsWith("fp=", StringComparison.Ordinal))[3..];
            }
            else
            {
                name = line[Advertised.Length..].Replace(" (mDNS)", "", StringComparison.Ordinal);
            }
        }

        return (name, fingerprint);
    }

    /// <summary>SIGTERM by PID (<c>ip netns exec</c> keeps the PID of dotnet): serve stops gracefully and exits 0.</summary>
    private static async Task StopServeAsync(ChildProcess serve)
    {
        (int killed, string output) = await ChildProcess.RunAsync("kill", ["-TERM", serve.Pid.ToString(CultureInfo.InvariantCulture)], s_timeout);
        Assert.True(killed == 0, $"kill -TERM {serve.Pid} failed: {output}");
        int code = await serve.WaitForExitAsync(s_timeout);
        Assert.True(code == 0, $"opendesk serve exited with {code} after SIGTERM:\n{serve.Transcript}");
        Assert.Contains("opendesk serve: stopping", serve.Transcript, StringComparison.Ordinal);
    }

    /// <summary>Runs <c>avahi-browse -rtp _opendesk._tcp</c> in A until it resolves <paramref name="instance"/>; returns that line's fields.</summary>
    private async Task<string[]> BrowseUntilAsync(string instance)
    {
        var deadline = Stopwatch.StartNew();
        string last = "";
        string escaped = EscapeAvahi(instance);
        while (deadline.Elapsed < s_timeout)
        {
            (_, last) = await ChildProcess.RunAsync("ip", ["netns", "exec", fixture.NamespaceA, "avahi-browse", "-rtp", "_opendesk._tcp"], s_timeout, fixture.AvahiEnvironment);
            foreach (string line in last.Split('\n'))
            {
                string[] fields = line.Split(';', 10);
                if (fields.Length == 10 && fields[0] == "=" && fields[3] == escaped)
                {
                    TestContext.Current.TestOutputHelper?.WriteLine($"avahi-browse -rtp resolved {instance} after {deadline.ElapsedMilliseconds} ms: {line}");
                    return fields;
                }
            }
        }

        throw new TimeoutException($"avahi-browse did not resolve {instance}:\n{last}");
    }

    /// <summary>avahi-browse -p's escaping of an instance label: <c>.</c>, <c>\</c> and bytes outside printable ASCII as <c>\DDD</c>.</summary>
    private static string EscapeAvahi(string label)
    {
        var text = new StringBuilder();
        foreach (byte b in Encoding.UTF8.GetBytes(label))
        {
            text.Append(b is (byte)'.' or (byte)'\\' or (byte)' ' or < 0x20 or >= 0x7f ? $"\\{b:D3}" : ((char)b).ToString());
        }

        return text.ToString();
    }

    /// <summary>Parses avahi-browse's TXT field: space-separated quoted strings with <c>\DDD</c> escapes.</summary>
    private static Dictionary<string, byte[]> ParseAvahiTxt(string field)
    {
        var result = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        int i = 0;
        while ((i = field.IndexOf('"', i)) >= 0)
        {
            var bytes = new List<byte>();
            int end = i + 1;
            for (; end < field.Length && field[end] != '"'; end++)
            {
                if (field[end] == '\\' && end + 3 < field.Length && char.IsAsciiDigit(field[end + 1]) && char.IsAsciiDigit(field[end + 2]) && char.IsAsciiDigit(field[end + 3]))
                {
                    bytes.Add(byte.Parse(field.AsSpan(end + 1, 3), provider: CultureInfo.InvariantCulture));
                    end += 3;
                }
                else
                {
                    if (field[end] == '\\' && end + 1 < field.Length)
                    {
                        end++;
                    }

                    bytes.AddRange(Encoding.UTF8.GetBytes(field[end].ToString()));
                }
            }

            byte[] text = [.. bytes];
            int equals = Array.IndexOf(text, (byte)'=');
            result[Encoding.ASCII.GetString(text, 0, equals)] = text[(equals + 1)..];
            i = end + 1;
        }

        return result;
    }
}
