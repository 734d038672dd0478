using OpenDesk.Core;
using OpenDesk.IntegrationTests.Infrastructure;
using OpenDesk.Remote.Client;
using OpenDesk.Remote.Trust;
using static OpenDesk.IntegrationTests.Remote.RemoteSteps;

namespace OpenDesk.IntegrationTests.Remote;

/// <summary>Real <c>opendesk</c> processes on loopback with temporary homes (the served computer is a FakeComputer).</summary>
public sealed class RemoteCliTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static OpenDeskClientOptions Client(string home) => new() { Home = new OpenDeskHome(home), UseMdns = false, ReconnectBudget = TimeSpan.FromSeconds(30) };

    [Fact]
    public async Task Serve_WithNoTrustedPeers_Exits2_AndSaysHowToPair()
    {
        using var homes = new TestHomes();
        (int code, _, string error) = await OpendeskProcess.RunOpendeskAsync(Step, "serve", "--home", homes["s"], "--port", "0", "--no-mdns");
        Assert.Equal(2, code);
        Assert.Contains("opendesk pair", error, StringComparison.Ordinal);
        Assert.Contains("pair-with", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pair_Serve_Connect_Calls_Sessions_Disconnect_Unpair()
    {
        using var homes = new TestHomes();
        int port = FreePort();
        await PairAsync(homes["s"], homes["c"], "desk", port);
        (OpendeskProcess serve, int boundPort, string fp) = await StartServeAsync(homes["s"], port);
        await using (serve)
        {
            Assert.Equal(port, boundPort);
            string shot = Path.Combine(homes.Root, "shot.png");
            (int code, string output, string error) = await OpendeskProcess.RunOpendeskAsync(Step, "connect", "desk", "--home", homes["c"], "--no-mdns", "--screenshot", shot);
            Assert.True(code == 0, output + error);
            Assert.Contains($"Connected to desk ({fp})", output, StringComparison.Ordinal);
            Assert.Contains("backend: fake", output, StringComparison.Ordinal);
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(shot)[..4]);

            await using RemoteComputer remote = await OpenDeskClient.ConnectAsync("desk", Client(homes["c"]), Ct);
            await remote.Input.TypeTextAsync(new TextInput("hello"), Ct);
            Assert.NotEmpty(await remote.Windows.ListAsync(Ct));

            (code, output, _) = await OpendeskProcess.RunOpendeskAsync(Step, "sessions", "--home", homes["s"]);
            Assert.Equal(0, code);
            Assert.Contains("peer-", output, StringComparison.Ordinal);
            Assert.Contains("127.0.0.1:", output, StringComparison.Ordinal);

            (code, output, _) = await OpendeskProcess.RunOpendeskAsync(Step, "disconnect", "--home", homes["s"]);
            Assert.Equal(0, code);
            Assert.Contains("Disconnected 1 session(s).", output, StringComparison.Ordinal);
            await WaitUntilAsync(() => remote.IsEvicted, "the eviction push");
            await Assert.ThrowsAsync<SessionEvictedException>(() => remote.Windows.ListAsync(Ct).AsTask());

            // Trust is kept after a disconnect: connect again, then unpair (enforced) while connected.
            await using RemoteComputer again = await OpenDeskClient.ConnectAsync("desk", Client(homes["c"]), Ct);
            string controller = new PeerDirectory(new OpenDeskHome(homes["s"])).GetAllPeers().Single().Name;
            (code, output, _) = await OpendeskProcess.RunOpendeskAsync(Step, "unpair", controller, "--home", homes["s"]);
            Assert.Equal(0, code);
            Assert.Contains("its session was disconnected", output, StringComparison.Ordinal);
            await WaitUntilAsync(() => again.IsEvicted, "the eviction push after unpair");

            (code, _, error) = await OpendeskProcess.RunOpendeskAsync(Step, "connect", "desk", "--home", homes["c"], "--no-mdns");
            Assert.Equal(1, code);
            Assert.Contains("refused this controller", error, StringComparison.Ordinal);

            (code, output, _) = await OpendeskProcess.RunOpendeskAsync(Step, "audit", "--home", homes["s"], "--limit", "0");
            Assert.Equal(0, code);
            Assert.Contains("type 5 chars → ok", output, StringComparison.Ordinal);
            Assert.Contains("evicted: admin_disconnect", output, StringComparison.Ordinal);
            Assert.Contains("auth_failed: untrusted_peer", output, StringComparison.Ordinal);
            Assert.DoesNotContain("hello", AuditText(homes["s"]), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Serve_LogFile_IsCreated0600_WithTheSessions_AndAppendedToByTheNextRun()
    {
        using var homes = new TestHomes();
        int port = FreePort();
        await PairAsync(homes["s"], homes["c"], "desk", port);
        string log = Path.Combine(homes.Root, "serve.log");
        for (int run = 1; run <= 2; run++)
        {
            (OpendeskProcess serve, _, string fp) = await StartServeAsync(homes["s"], port, "--log-file", log);
            await using (serve)
            {
                await using (RemoteComputer remote = await OpenDeskClient.ConnectAsync("desk", Client(homes["c"]), Ct))
                {
                    Assert.NotEmpty(await remote.Windows.ListAsync(Ct));
                }

                // Each line is flushed as it is logged: the close shows up while serve still runs.
                await WaitUntilAsync(() => ReadShared(log).Split('\n').Count(l => l.Contains(" closed: ", StringComparison.Ordinal)) == run, "session closed in the log file");
                string text = ReadShared(log);
                Assert.Contains($"info  opendesk.serve: listening on ws://127.0.0.1:{port} fp={fp}", text, StringComparison.Ordinal);
                Assert.Matches(@"info  opendesk\.server: session [0-9a-f]{8} opened: peer-[0-9a-f]{6} from 127\.0\.0\.1:\d+ \(serve\)", text);
                Assert.Matches(@"info  opendesk\.server: session [0-9a-f]{8} closed: peer-[0-9a-f]{6} after [0-9.]+ s \(the controller left\)", text);
                // Sessions go to the file only; the terminal keeps to start-up lines and problems.
                Assert.DoesNotContain(" opened: ", serve.StandardError, StringComparison.Ordinal);
            }
        }

        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(log));
        }

        string[] lines = File.ReadAllLines(log);
        Assert.Equal(2, lines.Count(l => l.Contains("opendesk.serve: listening on", StringComparison.Ordinal)));
        Assert.All(lines, l => Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (info |warn |error) opendesk\.(serve|server): ", l));

        (int code, _, string error) = await OpendeskProcess.RunOpendeskAsync(Step, "serve", "--home", homes["s"], "--port", "0", "--no-mdns", "--log-file", Path.Combine(homes.Root, "missing", "serve.log"));
        Assert.Equal(1, code);
        Assert.Contains("opendesk serve: cannot open the log file ", error, StringComparison.Ordinal);
    }

    private static string ReadShared(string path)
    {
        if (!File.Exists(path))
        {
            return "";
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    [Fact]
    public async Task SecondController_IsBusy_SameControllerBumps()
    {
        using var homes = new TestHomes();
        int port = FreePort();
        await PairAsync(homes["s"], homes["c1"], "desk", port);
        await PairAsync(homes["s"], homes["c2"], "desk", port);
        (OpendeskProcess serve, _, _) = await StartServeAsync(homes["s"], port);
        await using (serve)
        {
            await using RemoteComputer first = await OpenDeskClient.ConnectAsync("desk", Client(homes["c1"]), Ct);
            (int code, _, string error) = await OpendeskProcess.RunOpendeskAsync(Step, "connect", "desk", "--home", homes["c2"], "--no-mdns");
            Assert.Equal(2, code);
            Assert.Contains("server is busy: peer-", error, StringComparison.Ordinal);
            Assert.Contains("is the active controller. Disconnect them to take over.", error, StringComparison.Ordinal);
            Assert.NotEmpty(await first.Display.GetDisplaysAsync(Ct));

            await using RemoteComputer bumper = await OpenDeskClient.ConnectAsync("desk", Client(homes["c1"]), Ct);
            await WaitUntilAsync(() => first.IsEvicted, "the bump eviction");
            Assert.Equal("admin_disconnect", first.EvictionReason);
            Assert.NotEmpty(await bumper.Display.GetDisplaysAsync(Ct));
            Assert.Contains("\"reason\":\"busy: server is busy", AuditText(homes["s"]), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ServerKilledMidSession_ClientReconnectsWhenItIsBack_ReplaysObservation_NotActions()
    {
        using var homes = new TestHomes();
        int port = FreePort();
        await PairAsync(homes["s"], homes["c"], "desk", port);
        (OpendeskProcess serve, _, _) = await StartServeAsync(homes["s"], port);
        await using RemoteComputer remote = await OpenDeskClient.ConnectAsync("desk", Client(homes["c"]), Ct);
        Assert.NotEmpty(await remote.Windows.ListAsync(Ct));

        serve.Kill();
        await serve.WaitForExitAsync(Step);
        await serve.DisposeAsync();
        Task<IReadOnlyList<Window>> observation = remote.Windows.ListAsync(Ct).AsTask();
        (serve, _, _) = await StartServeAsync(homes["s"], port);
        await using (serve)
        {
            Assert.NotEmpty(await observation);
            Assert.Equal(1, remote.ReconnectCount);

            serve.Kill();
            await serve.WaitForExitAsync(Step);
            Task action = remote.Input.TypeTextAsync(new TextInput("secret"), Ct).AsTask();
            await using OpendeskProcess restarted = (await StartServeAsync(homes["s"], port)).Process;
            await Assert.ThrowsAsync<PeerDisconnectedException>(() => action);
            Assert.Equal(2, remote.ReconnectCount);
            Assert.NotEmpty(await remote.Windows.ListAsync(Ct));
            Assert.DoesNotContain("\"method\":\"input.text\"", AuditText(homes["s"]), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Describe_IsSentInHello_AndCachedByTheController()
    {
        using var homes = new TestHomes();
        int port = FreePort();
        await PairAsync(homes["s"], homes["c"], "desk", port);
        Assert.Equal(0, (await OpendeskProcess.RunOpendeskAsync(Step, "describe", "Build box in the lab", "--home", homes["s"])).ExitCode);
        (OpendeskProcess serve, _, _) = await StartServeAsync(homes["s"], port);
        await using (serve)
        {
            (int code, string output, _) = await OpendeskProcess.RunOpendeskAsync(Step, "connect", "--home", homes["c"], "--no-mdns");
            Assert.Equal(1, code); // no default peer yet
            Assert.Equal(0, (await OpendeskProcess.RunOpendeskAsync(Step, "peers", "default", "desk", "--home", homes["c"])).ExitCode);
            (code, output, _) = await OpendeskProcess.RunOpendeskAsync(Step, "connect", "--home", homes["c"], "--no-mdns");
            Assert.Equal(0, code);
            Assert.Contains("description: Build box in the lab", output, StringComparison.Ordinal);
            (_, output, _) = await OpendeskProcess.RunOpendeskAsync(Step, "peers", "--home", homes["c"]);
            Assert.Contains("desk [default]", output, StringComparison.Ordinal);
            Assert.Contains("Build box in the lab", output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Pair_ThreeWrongCodes_ClosesPairing()
    {
        using var homes = new TestHomes();
        await using OpendeskProcess pair = OpendeskProcess.StartOpendesk("pair", "--home", homes["s"], "--host", "127.0.0.1", "--port", "0", "--no-mdns", "--code", "111111");
        string line = await pair.WaitForLineAsync(l => l.StartsWith("opendesk pair listening on", StringComparison.Ordinal), Step);
        string port = line.Split(' ')[4].Split(':')[2];
        for (int i = 0; i < 3; i++)
        {
            (int code, _, string error) = await OpendeskProcess.RunOpendeskAsync(Step, "pair-with", "127.0.0.1", "999999", "--port", port, "--home", homes["c"]);
            Assert.Equal(2, code);
            Assert.Contains("wrong code", error, StringComparison.Ordinal);
        }

        Assert.Equal(1, await pair.WaitForExitAsync(Step));
        Assert.Contains("3 wrong codes", pair.StandardError, StringComparison.Ordinal);
    }
}
