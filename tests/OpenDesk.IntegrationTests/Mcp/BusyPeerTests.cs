using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using OpenDesk.IntegrationTests.Infrastructure;
using static OpenDesk.IntegrationTests.Remote.RemoteSteps;

namespace OpenDesk.IntegrationTests.Mcp;

/// <summary>
/// BUSY end to end through MCP: two controller homes paired (through the CLI) with one <c>opendesk serve</c> on loopback
/// (serving a FakeComputer through <c>OPENDESK_TEST_COMPUTER</c>; the two <c>opendesk mcp</c> share one private Xvfb as their local desktop). Controller 1's <c>opendesk mcp</c> holds the
/// session; controller 2's <c>opendesk mcp</c> calling <c>screenshot</c> on the peer gets an isError result that names the
/// busy peer and the active controller and says what to do. Controller 1 keeps working.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class BusyPeerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Second_controller_mcp_gets_a_clear_busy_error_while_the_first_holds_the_session()
    {
        Assert.SkipUnless(OpenDesk.Local.VirtualDisplay.IsAvailable, "Xvfb not installed (opendesk mcp needs a local desktop)");
        using OpenDesk.Local.VirtualDisplay desktop = McpTestHost.StartDesktop(1280, 800);
        using var homes = new TestHomes();
        int port = FreePort();
        await PairAsync(homes["server"], homes["c1"], "desk", port);
        await PairAsync(homes["server"], homes["c2"], "desk", port);
        (OpendeskProcess serve, _, _) = await StartServeAsync(homes["server"], port);
        await using (serve)
        {
            await using McpClient first = await StartMcpAsync(homes["c1"], desktop);
            await using McpClient second = await StartMcpAsync(homes["c2"], desktop);

            CallToolResult held = await CallAsync(first, "screenshot", ("peer", "desk"));
            Assert.True(held.IsError != true, Text(held));
            Assert.StartsWith("[on desk] Screenshot", Text(held), StringComparison.Ordinal);

            CallToolResult busy = await CallAsync(second, "screenshot", ("peer", "desk"));
            string message = Text(busy);
            TestContext.Current.TestOutputHelper?.WriteLine("busy: " + message);
            Assert.True(busy.IsError == true, message);
            Assert.Contains("peer 'desk' is busy", message, StringComparison.Ordinal);
            Assert.Contains("server is busy: peer-", message, StringComparison.Ordinal); // the active controller, as the server knows it
            Assert.Contains("is the active controller", message, StringComparison.Ordinal);
            Assert.Contains("Ask the active controller to disconnect", message, StringComparison.Ordinal);
            Assert.DoesNotContain("take over", message, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", message, StringComparison.Ordinal); // no stack trace

            // The holder is unaffected; the rejection is in the server's audit log.
            CallToolResult still = await CallAsync(first, "screenshot", ("peer", "desk"));
            Assert.True(still.IsError != true, Text(still));
            Assert.Contains("\"reason\":\"busy: server is busy", AuditText(homes["server"]), StringComparison.Ordinal);
        }
    }

    private static Task<McpClient> StartMcpAsync(string controllerHome, OpenDesk.Local.VirtualDisplay desktop)
        => McpClient.CreateAsync(
            new StdioClientTransport(new StdioClientTransportOptions
            {
                Command = "dotnet",
                Arguments = [McpTestHost.OpendeskDll, "mcp", "--home", controllerHome],
                // `opendesk mcp` always opens this machine's desktop (without DISPLAY it starts its own Xvfb, which races with
                // the other tests' displays): both share a private one. Only the peer is used here.
                EnvironmentVariables = new Dictionary<string, string?>(desktop.Environment.ToDictionary(kv => kv.Key, kv => (string?)kv.Value))
                {
                    ["OPENDESK_HOME"] = controllerHome,
                    ["OPENDESK_TEST_COMPUTER"] = OpendeskProcess.FakeComputerSwitch,
                },
            }),
            cancellationToken: Ct);

    private static Task<CallToolResult> CallAsync(McpClient client, string tool, params (string Key, object? Value)[] args)
        => client.CallToolAsync(tool, args.ToDictionary(a => a.Key, a => a.Value), cancellationToken: Ct).AsTask();

    private static string Text(CallToolResult r) => string.Join("\n", r.Content.OfType<TextContentBlock>().Select(t => t.Text));
}
