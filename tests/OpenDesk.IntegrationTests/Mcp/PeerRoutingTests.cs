using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using OpenDesk.Local;
using OpenDesk.Serve.Demo;

namespace OpenDesk.IntegrationTests.Mcp;

/// <summary>
/// `opendesk mcp` routing to a paired `opendesk serve` on loopback (paired through the CLI): implicit default, `[on peer]`,
/// a click in the peer's image space landing on the peer's desktop, `peer: local`, and eviction → dropped and reopened.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class PeerRoutingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Mcp_routes_to_a_paired_loopback_peer_and_recovers_from_eviction()
    {
        Assert.SkipUnless(VirtualDisplay.IsAvailable && File.Exists("/usr/bin/python3"), "Xvfb or python3 not installed");
        using VirtualDisplay localDesktop = McpTestHost.StartDesktop(1280, 800);
        using VirtualDisplay peerDesktop = McpTestHost.StartDesktop(1920, 1080);
        string root = McpTestHost.NewHome();
        (TestProcess target, int x, int y, int w, int h) = await ClickTarget.StartAsync(peerDesktop.Environment, 1500, 900, 80, 40, Ct);
        using (target)
        {
            var exe = OpenDeskExe.FromDll(McpTestHost.OpendeskDll);
            await using PeerLink link = await PeerLink.CreateAsync(
                exe, ToNullable(peerDesktop.Environment), ToNullable(localDesktop.Environment), "desk2", root, Ct);

            var env = ToNullable(localDesktop.Environment);
            env["OPENDESK_HOME"] = link.ControllerHome;
            await using McpClient client = await McpClient.CreateAsync(
                new StdioClientTransport(new StdioClientTransportOptions
                {
                    Command = "dotnet",
                    Arguments = [McpTestHost.OpendeskDll, "mcp", "--home", link.ControllerHome],
                    EnvironmentVariables = env,
                }),
                cancellationToken: Ct);

            Assert.Contains("desk2", await TextAsync(client, "opendesk_peers"));
            Assert.Contains("Default peer: desk2 (implicit)", await TextAsync(client, "opendesk_status"));

            string shot = await TextAsync(client, "screenshot");
            Assert.StartsWith("[on desk2] Screenshot 1429x804 (jpeg) of the desktop: desktop 1920x1080", shot);
            Assert.StartsWith("Screenshot 1280x800", await TextAsync(client, "screenshot", ("peer", "local")));

            double s = 1429.0 / 1920;
            string click = await TextAsync(client, "mouse", ("action", "click"), ("x", (int)Math.Round((x + (w / 2.0)) * s)), ("y", (int)Math.Round((y + (h / 2.0)) * s)));
            Assert.StartsWith("[on desk2] Clicked at image", click);
            string landed = await target.WaitForLineAsync(l => l.StartsWith("clicked", StringComparison.Ordinal), TimeSpan.FromSeconds(15), Ct);
            int[] at = [.. landed.Split(' ').Skip(1).Select(int.Parse)];
            Assert.InRange(at[0], x, x + w - 1);
            Assert.InRange(at[1], y, y + h - 1);

            // Evict the controller on the serving side; the next call reports it, the one after reconnects.
            (int code, string stdout, string stderr) = await ChildProcess.RunAsync(
                exe.File, exe.Args("disconnect", "--home", link.ServerHome), PeerLink.WithHome(ToNullable(peerDesktop.Environment), link.ServerHome), TimeSpan.FromSeconds(30), cancellationToken: Ct);
            Assert.True(code == 0, stdout + stderr);
            // The eviction push arrives asynchronously: exactly one call (this one or the next) reports the lost connection,
            // then the session reconnects.
            int lostReports = 0;
            CallToolResult again = await CallAsync(client, "screenshot");
            for (int attempt = 0; attempt < 2 && again.IsError == true; attempt++)
            {
                string message = Assert.IsType<TextContentBlock>(again.Content[0]).Text;
                Assert.Contains("[on desk2] the connection to peer 'desk2' was lost", message);
                TestContext.Current.TestOutputHelper?.WriteLine("after eviction: " + message);
                lostReports++;
                again = await CallAsync(client, "screenshot");
            }

            Assert.True(lostReports <= 1, "reported the lost connection more than once");
            Assert.NotEqual(true, again.IsError);
            Assert.StartsWith("[on desk2] Screenshot", Assert.IsType<TextContentBlock>(again.Content[0]).Text);
        }
    }

    private static Dictionary<string, string?> ToNullable(IReadOnlyDictionary<string, string> env)
        => env.ToDictionary(kv => kv.Key, kv => (string?)kv.Value);

    private static Task<CallToolResult> CallAsync(McpClient client, string tool, params (string Key, object? Value)[] args)
        => client.CallToolAsync(tool, args.ToDictionary(a => a.Key, a => a.Value), cancellationToken: Ct).AsTask();

    private static async Task<string> TextAsync(McpClient client, string tool, params (string Key, object? Value)[] args)
    {
        CallToolResult r = await CallAsync(client, tool, args);
        string text = string.Join("\n", r.Content.OfType<TextContentBlock>().Select(t => t.Text));
        Assert.True(r.IsError != true, text);
        return text;
    }
}
