using OpenDesk.Core;
using OpenDesk.IntegrationTests.Infrastructure;
using OpenDesk.Remote.Client;
using OpenDesk.Remote.Server;
using OpenDesk.Remote.Trust;
using OpenDesk.Serve.Commands;
using static OpenDesk.IntegrationTests.Remote.RemoteSteps;

namespace OpenDesk.IntegrationTests.Remote;

public sealed class CliFormattingAndPolicyTests
{
    [Fact]
    public async Task ApproveConsole_WithoutATerminal_DeniesActions_AllowsObservation_AndSaysSo()
    {
        using var homes = new TestHomes();
        int port = FreePort();
        await PairAsync(homes["s"], homes["c"], "desk", port);
        (OpendeskProcess serve, _, _) = await StartServeAsync(homes["s"], port, "--approve", "console");
        await using (serve)
        {
            // stderr and stdout are separate pipes: the ready line on stdout does not mean stderr has been read yet.
            await WaitUntilAsync(() => serve.StandardError.Contains("will be DENIED", StringComparison.Ordinal), "the start-up warning that actions will be denied");
            await using RemoteComputer remote = await OpenDeskClient.ConnectAsync("desk", new OpenDeskClientOptions { Home = new OpenDeskHome(homes["c"]), UseMdns = false }, TestContext.Current.CancellationToken);
            Assert.NotEmpty(await remote.Display.GetDisplaysAsync(TestContext.Current.CancellationToken));
            await Assert.ThrowsAsync<PermissionDeniedException>(() => remote.Input.TypeTextAsync(new TextInput("x"), TestContext.Current.CancellationToken).AsTask());
            Assert.Contains("\"error_code\":\"permission_denied\"", AuditText(homes["s"]), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void PeersTable_MarksDefaultAndRoles()
    {
        byte[] key = Enumerable.Repeat((byte)0xab, 32).ToArray();
        string table = PeersCommand.Format(
            [
                new TrustedPeer("desk", key, "remote", DateTimeOffset.UnixEpoch, "Lab box", LastHost: "10.0.0.2", LastPort: 8423),
                new TrustedPeer("peer-abab01", key, "controller", DateTimeOffset.UnixEpoch),
            ],
            "desk");
        string[] lines = table.TrimEnd('\n').Split('\n');
        Assert.Equal(3, lines.Length);
        Assert.StartsWith("NAME", lines[0], StringComparison.Ordinal);
        Assert.Contains("desk [default]  remote", lines[1], StringComparison.Ordinal);
        Assert.Contains("abab:abab:abab:abab  10.0.0.2:8423  Lab box", lines[1], StringComparison.Ordinal);
        Assert.Contains("controls this", lines[2], StringComparison.Ordinal);
        Assert.All(lines, l => Assert.False(l.EndsWith(' '), "no trailing spaces"));
        Assert.StartsWith("No paired machines.", PeersCommand.Format([], null), StringComparison.Ordinal);
    }

    [Fact]
    public void SessionsTable_AndAuditLines_AreReadable()
    {
        string sessions = SessionsCommand.Format([new ServerSessionInfo("abcd1234", "peer-0faa68", new string('0', 64), "10.0.0.5:51000", TimeSpan.FromSeconds(75), "serve")]);
        Assert.Contains("peer-0faa68  10.0.0.5:51000  1m15s  abcd1234", sessions, StringComparison.Ordinal);
        Assert.Equal("No controller is connected.\n", SessionsCommand.Format([]));

        const string call = """{"error_code":"permission_denied","error_message":"denied","method":"input.text","outcome":"error","peer":{"fp":"0faa684ed28867b9","name":"laptop"},"session_id":"abcd1234","summary":"type 5 chars","ts":1700000000.0,"type":"call"}""";
        string? line = AuditCommand.Format(call, null);
        Assert.NotNull(line);
        Assert.Contains("call", line, StringComparison.Ordinal);
        Assert.Contains("laptop", line, StringComparison.Ordinal);
        Assert.Contains("type 5 chars → error (permission_denied: denied)", line, StringComparison.Ordinal);
        Assert.NotNull(AuditCommand.Format(call, "0faa:684e"));
        Assert.Null(AuditCommand.Format(call, "someone-else"));
        Assert.Null(AuditCommand.Format("not json", null));
    }
}
