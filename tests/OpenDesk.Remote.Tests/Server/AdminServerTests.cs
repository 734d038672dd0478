using OpenDesk.Remote.Server;
using OpenDesk.Remote.Tests.Trust;

namespace OpenDesk.Remote.Tests.Server;

public sealed class AdminServerTests
{
    private sealed class Target : IAdminTarget
    {
        public List<string?> Killed { get; } = [];

        public IReadOnlyList<Dictionary<string, object?>> ListSessions() =>
        [
            new() { ["id"] = "abcd1234", ["peer_name"] = "laptop", ["peer_pubkey_hex"] = new string('0', 64), ["remote_addr"] = "127.0.0.1:1", ["started_at"] = 1.5, ["age_seconds"] = 2.0, ["mode"] = "serve" },
        ];

        public Task<int> KillAsync(string? sessionId, string reason)
        {
            Killed.Add(sessionId);
            return Task.FromResult(sessionId is null or "abcd1234" ? 1 : 0);
        }
    }

    [Fact]
    public async Task ListKillKillAll_OverTheSocket_Mode0600()
    {
        using var temp = new TempHome();
        temp.Home.EnsureExists();
        var target = new Target();
        await using AdminServer server = AdminServer.Start(temp.Home.AdminSocketPath, target);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(temp.Home.AdminSocketPath));
        }

        CancellationToken ct = TestContext.Current.CancellationToken;
        Dictionary<string, object?> list = await AdminIpc.RequestAsync(temp.Home.AdminSocketPath, new() { ["op"] = "list" }, ct);
        Assert.Equal(true, list["ok"]);
        var session = Assert.IsType<Dictionary<string, object?>>(Assert.Single(Assert.IsType<List<object?>>(list["sessions"])));
        Assert.Equal("laptop", session["peer_name"]);

        Dictionary<string, object?> kill = await AdminIpc.RequestAsync(temp.Home.AdminSocketPath, new() { ["op"] = "kill", ["id"] = "abcd1234" }, ct);
        Assert.Equal(true, kill["ok"]);
        Dictionary<string, object?> missing = await AdminIpc.RequestAsync(temp.Home.AdminSocketPath, new() { ["op"] = "kill", ["id"] = "zzz" }, ct);
        Assert.Equal(false, missing["ok"]);
        Dictionary<string, object?> all = await AdminIpc.RequestAsync(temp.Home.AdminSocketPath, new() { ["op"] = "kill_all" }, ct);
        Assert.Equal(true, all["ok"]);
        Dictionary<string, object?> bad = await AdminIpc.RequestAsync(temp.Home.AdminSocketPath, new() { ["op"] = "reboot" }, ct);
        Assert.Equal(false, bad["ok"]);
        Assert.Equal(["abcd1234", "zzz", null], target.Killed);
    }

    [Fact]
    public async Task Start_StaleSocketFile_IsReplaced_LiveOneRefused()
    {
        using var temp = new TempHome();
        temp.Home.EnsureExists();
        File.WriteAllText(temp.Home.AdminSocketPath, "stale");
        await using AdminServer server = AdminServer.Start(temp.Home.AdminSocketPath, new Target());
        Assert.Throws<IOException>(() => AdminServer.Start(temp.Home.AdminSocketPath, new Target()));
    }

    [Fact]
    public async Task Request_NoServer_ThrowsIOException()
    {
        using var temp = new TempHome();
        temp.Home.EnsureExists();
        await Assert.ThrowsAsync<IOException>(() => AdminIpc.RequestAsync(temp.Home.AdminSocketPath, new() { ["op"] = "list" }, TestContext.Current.CancellationToken));
    }
}
