using System.Globalization;
using System.Text.Json;
using OpenDesk.IntegrationTests.Infrastructure;
using OpenDesk.IntegrationTests.Mcp;
using OpenDesk.Local;
using static OpenDesk.IntegrationTests.Remote.RemoteSteps;

namespace OpenDesk.IntegrationTests.Adapters;

/// <summary>
/// Issue 9: <c>peer</c> routing through LangChain.js. A LangChain.js agent (<c>langchain</c> createAgent +
/// <c>@langchain/mcp-adapters</c> + a scripted chat model, <c>tests/langchain/peer-agent.mjs</c>) drives
/// <c>opendesk mcp</c> over stdio; its controller home is paired through the CLI with a real <c>opendesk serve</c> on
/// loopback that serves a private Xvfb desktop (1920x1080, so screenshots are scaled) with a Tk entry field on it.
/// The agent first makes this machine the default (<c>opendesk_use local</c>), so only the per-call <c>peer: desk2</c> of
/// the screenshot, click and type calls can send them to the peer: their results must start with <c>[on desk2]</c>, the click (computed by the
/// model from the screenshot's geometry, in image pixels) must land on the entry on the peer's desktop, the typed text
/// must arrive in it, the server's audit log must hold the calls, and a last screenshot without <c>peer</c> must be of this
/// machine's desktop.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class LangChainPeerRoutingTests
{
    private const string PeerName = "desk2";
    private const string Typed = "hello langchain";
    private static readonly TimeSpan s_agentTimeout = TimeSpan.FromMinutes(3);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string LangChainDir => Path.Combine(McpTestHost.RepoRoot, "tests", "langchain");

    [Fact]
    public async Task LangChain_agent_over_opendesk_mcp_acts_on_a_paired_loopback_opendesk_serve()
    {
        Assert.SkipUnless(VirtualDisplay.IsAvailable && File.Exists("/usr/bin/python3"), "Xvfb or python3 not installed");
        Assert.SkipUnless(FindOnPath("node") is not null, "node not installed");
        Assert.SkipUnless(
            Directory.Exists(Path.Combine(LangChainDir, "node_modules", "@langchain", "mcp-adapters")),
            "the LangChain.js packages are missing: run tests/langchain/setup.sh");

        using VirtualDisplay peerDesktop = McpTestHost.StartDesktop(1920, 1080);
        using VirtualDisplay localDesktop = McpTestHost.StartDesktop(1280, 800);
        using var homes = new TestHomes();
        (TestProcess target, int x, int y, int w, int h) = await TypingTarget.StartAsync(peerDesktop.Environment, 1500, 900, 240, 48, Ct);
        using (target)
        {
            int port = FreePort();
            await PairAsync(homes["server"], homes["controller"], PeerName, port);
            await using OpendeskProcess serve = await StartDesktopServeAsync(homes["server"], port, peerDesktop);

            await using OpendeskProcess agent = OpendeskProcess.Start(
                "node",
                [
                    "peer-agent.mjs", "--home", homes["controller"], "--peer", PeerName,
                    "--target", string.Create(CultureInfo.InvariantCulture, $"{x},{y},{w},{h}"),
                    "--text", Typed, "--display", localDesktop.DisplayName,
                ],
                new Dictionary<string, string?>
                {
                    ["OPENDESK_DLL"] = OpendeskProcess.OpendeskDll,

                    // node needs no display; one inherited from another test's desktop would get it killed when that desktop stops.
                    ["DISPLAY"] = "",
                    ["XAUTHORITY"] = "",
                    ["DBUS_SESSION_BUS_ADDRESS"] = "",
                },
                LangChainDir);
            string json = await agent.WaitForLineAsync(l => l.StartsWith('{'), s_agentTimeout);
            Assert.True(await agent.WaitForExitAsync(TimeSpan.FromSeconds(30)) == 0, agent.StandardError);
            TestContext.Current.TestOutputHelper?.WriteLine(json);

            using JsonDocument doc = JsonDocument.Parse(json);
            JsonElement root = doc.RootElement;
            Assert.Equal("All done.", root.GetProperty("final").GetString());
            Assert.Equal(6, root.GetProperty("modelCalls").GetInt32());
            string[] offered = [.. root.GetProperty("tools").EnumerateArray().Select(t => t.GetString()!)];
            Assert.Contains("screenshot", offered);
            Assert.Contains("opendesk_peers", offered);

            JsonElement[] all = [.. root.GetProperty("toolMessages").EnumerateArray()];
            Assert.Equal(["opendesk_use", "screenshot", "mouse", "keyboard", "screenshot"], all.Select(r => r.GetProperty("name").GetString()));
            Assert.All(all, r => Assert.True(r.GetProperty("status").GetString() == "success", r.GetProperty("text").GetString()));

            // This machine was made the default, so only the per-call peer sent the three middle calls to desk2; the
            // last screenshot (no peer) is of this machine's 1280x800 desktop.
            Assert.Equal("Default peer is now: local", all[0].GetProperty("text").GetString());
            Assert.StartsWith("Screenshot 1280x800 (jpeg) of the desktop: desktop 1280x800", all[4].GetProperty("text").GetString(), StringComparison.Ordinal);
            JsonElement[] results = all[1..4];
            foreach (JsonElement r in results)
            {
                Assert.StartsWith($"[on {PeerName}] ", r.GetProperty("text").GetString(), StringComparison.Ordinal);
            }

            // The screenshot is the peer's (1920x1080 desktop, scaled) and reaches the model as a JPEG image block.
            string shot = results[0].GetProperty("text").GetString()!;
            Assert.Matches(@"^\[on desk2\] Screenshot \d+x\d+ \(jpeg\) of the desktop: desktop 1920x1080 at \(0, 0\), 1 image px = [\d.]+ desktop px", shot);
            JsonElement image = Assert.Single(results[0].GetProperty("images").EnumerateArray());
            Assert.Equal("image", image.GetProperty("type").GetString());
            Assert.Equal("image/jpeg", image.GetProperty("mimeType").GetString());
            Assert.StartsWith("ffd8ff", image.GetProperty("head").GetString(), StringComparison.Ordinal);
            string click = results[1].GetProperty("text").GetString()!;
            System.Text.RegularExpressions.Match desktopPoint = System.Text.RegularExpressions.Regex.Match(
                click, @"^\[on desk2\] Clicked at image \(\d+, \d+\) = desktop \((\d+), (\d+)\)");
            Assert.True(desktopPoint.Success, click);

            // The effect landed on the peer's desktop: the click hit the entry, and the text was typed into it.
            string clicked = await target.WaitForLineAsync(l => l.StartsWith("clicked ", StringComparison.Ordinal), TimeSpan.FromSeconds(15), Ct);
            int[] at = [.. clicked.Split(' ').Skip(1).Select(s => int.Parse(s, CultureInfo.InvariantCulture))];
            Assert.InRange(at[0], x, x + w - 1);
            Assert.InRange(at[1], y, y + h - 1);
            _ = await target.WaitForLineAsync(l => l == "text " + Typed, TimeSpan.FromSeconds(15), Ct);

            // The serving side recorded the calls (the audit log never holds the typed text itself).
            (int code, string audit, string error) = await OpendeskProcess.RunOpendeskAsync(Step, "audit", "--home", homes["server"], "--limit", "0");
            Assert.True(code == 0, audit + error);
            TestContext.Current.TestOutputHelper?.WriteLine(audit);
            Assert.Contains("capture the screen → ok", audit, StringComparison.Ordinal);
            Assert.Contains($"send pointer left down at ({desktopPoint.Groups[1].Value}, {desktopPoint.Groups[2].Value}) → ok", audit, StringComparison.Ordinal);
            Assert.Contains($"type {Typed.Length} chars → ok", audit, StringComparison.Ordinal);
            Assert.DoesNotContain(Typed, AuditText(homes["server"]), StringComparison.Ordinal);
        }
    }

    /// <summary><c>opendesk serve</c> on the given private desktop (a real LocalComputer, not the test FakeComputer).</summary>
    private static async Task<OpendeskProcess> StartDesktopServeAsync(string serverHome, int port, VirtualDisplay desktop)
    {
        var env = desktop.Environment.ToDictionary(kv => kv.Key, kv => (string?)kv.Value);
        env["OPENDESK_TEST_COMPUTER"] = "";
        OpendeskProcess serve = OpendeskProcess.Start(
            "dotnet",
            [OpendeskProcess.OpendeskDll, "serve", "--home", serverHome, "--host", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture), "--no-mdns", "--display", desktop.DisplayName],
            env);
        try
        {
            _ = await serve.WaitForLineAsync(l => l.StartsWith("opendesk serve listening on", StringComparison.Ordinal), Step);
            return serve;
        }
        catch
        {
            await serve.DisposeAsync();
            throw;
        }
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, name))
            .FirstOrDefault(File.Exists);

    /// <summary>
    /// A Tk entry field at a fixed desktop position on a bare X display. Prints <c>clicked X Y</c> when clicked (and takes
    /// the keyboard focus), and <c>text CONTENT</c> after each key.
    /// </summary>
    private static class TypingTarget
    {
        private const string Script = """
import sys, tkinter as tk
x, y, w, h = map(int, sys.argv[1:5])
root = tk.Tk()
root.overrideredirect(True)
root.geometry(f"{w}x{h}+{x}+{y}")
entry = tk.Entry(root, font=("TkFixedFont", 16))
entry.place(x=0, y=0, width=w, height=h)
def clicked(e):
    entry.focus_force()
    print(f"clicked {e.x_root} {e.y_root}", flush=True)
def typed(e):
    print("text " + entry.get(), flush=True)
entry.bind("<ButtonRelease-1>", clicked)
entry.bind("<KeyRelease>", typed)
root.wait_visibility(root)
root.update_idletasks()
print(f"ready {root.winfo_rootx()} {root.winfo_rooty()} {root.winfo_width()} {root.winfo_height()}", flush=True)
root.mainloop()
""";

        public static async Task<(TestProcess Process, int X, int Y, int W, int H)> StartAsync(
            IReadOnlyDictionary<string, string> env, int x, int y, int w, int h, CancellationToken ct)
        {
            var p = TestProcess.Start("python3", ["-c", Script, $"{x}", $"{y}", $"{w}", $"{h}"], environment: env);
            try
            {
                string ready = await p.WaitForLineAsync(l => l.StartsWith("ready ", StringComparison.Ordinal), TimeSpan.FromSeconds(20), ct);
                int[] r = [.. ready.Split(' ').Skip(1).Select(s => int.Parse(s, CultureInfo.InvariantCulture))];
                return (p, r[0], r[1], r[2], r[3]);
            }
            catch
            {
                p.Dispose();
                throw;
            }
        }
    }
}
