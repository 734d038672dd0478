using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using OpenDesk.IntegrationTests.Infrastructure;

namespace OpenDesk.IntegrationTests.Remote;

/// <summary>Steps shared by the remote CLI tests: free ports, pairing through the CLI, starting <c>opendesk serve</c>.</summary>
internal static partial class RemoteSteps
{
    public static readonly TimeSpan Step = TimeSpan.FromSeconds(60);

    /// <summary>
    /// A loopback port that is free now, for a test that must start serve on the same port more than once (pair, then
    /// serve; kill, then restart). It is picked below the kernel's ephemeral range: a port from that range (what bind(0)
    /// hands out) can be taken by any outgoing connection on the machine before serve binds it.
    /// </summary>
    public static int FreePort()
    {
        int ephemeralLow = 32768;
        try
        {
            ephemeralLow = int.Parse(File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries)[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
        }

        for (int attempt = 0; ; attempt++)
        {
            int port = Random.Shared.Next(Math.Max(1024, ephemeralLow - 12000), ephemeralLow);
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException) when (attempt < 50)
            {
            }
        }
    }

    /// <summary>Runs <c>opendesk pair</c> on <paramref name="serverHome"/> and <c>opendesk pair-with</c> from <paramref name="controllerHome"/>.</summary>
    public static async Task PairAsync(string serverHome, string controllerHome, string name, int port)
    {
        await using OpendeskProcess pair = OpendeskProcess.StartOpendesk("pair", "--home", serverHome, "--host", "127.0.0.1", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--no-mdns", "--code", "246810", "--timeout", "60");
        await pair.WaitForLineAsync(l => l.StartsWith("opendesk pair listening on", StringComparison.Ordinal), Step);
        (int code, string output, string error) = await OpendeskProcess.RunOpendeskAsync(Step, "pair-with", "127.0.0.1", "246810", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--name", name, "--home", controllerHome);
        Assert.True(code == 0, $"pair-with failed ({code}): {output}{error}");
        Assert.Contains($"✓ Paired with {name}", output, StringComparison.Ordinal);
        Assert.Equal(0, await pair.WaitForExitAsync(Step));
    }

    /// <summary>Starts <c>opendesk serve</c> and waits for its ready line.</summary>
    public static async Task<(OpendeskProcess Process, int Port, string Fingerprint)> StartServeAsync(string serverHome, int port, params string[] extra)
    {
        OpendeskProcess serve = OpendeskProcess.StartOpendesk(["serve", "--home", serverHome, "--host", "127.0.0.1", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--no-mdns", .. extra]);
        string line = await serve.WaitForLineAsync(l => l.StartsWith("opendesk serve listening on", StringComparison.Ordinal), Step);
        Match m = ReadyLine().Match(line);
        Assert.True(m.Success, line);
        return (serve, int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture), m.Groups[3].Value);
    }

    /// <summary>Waits for a condition that another process makes true (polling a cheap check; 15 s cap).</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        DateTime end = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        using var tick = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
        while (!condition())
        {
            if (DateTime.UtcNow > end)
            {
                throw new TimeoutException("timed out waiting for " + what);
            }

            await tick.WaitForNextTickAsync();
        }
    }

    public static string AuditText(string home)
    {
        string dir = Path.Combine(home, "audit");
        return !Directory.Exists(dir) ? "" : string.Concat(Directory.GetFiles(dir).Select(f =>
        {
            using var s = new FileStream(f, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var r = new StreamReader(s);
            return r.ReadToEnd();
        }));
    }

    [GeneratedRegex(@"^opendesk serve listening on ws://([^\s:]+):(\d+) fp=([0-9a-f]{4}(?::[0-9a-f]{4}){3})$")]
    private static partial Regex ReadyLine();
}
