using System.Globalization;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using OpenDesk.IntegrationTests.Infrastructure;
using static OpenDesk.IntegrationTests.Remote.RemoteSteps;

namespace OpenDesk.IntegrationTests.Mcp;

/// <summary>
/// A headless controller: <c>opendesk mcp</c> started without any <c>DISPLAY</c> that only drives a paired peer (a loopback
/// <c>opendesk serve</c> over FakeComputer) starts no Xvfb and opens no X display — this machine's desktop is opened on
/// first local use. The control: <c>opendesk mcp --virtual-display</c> does start one (so the process-tree check can see it), and stops it on exit.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class LazyLocalTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Headless_controller_driving_a_peer_starts_no_virtual_display()
    {
        Assert.SkipUnless(OpenDesk.Local.VirtualDisplay.IsAvailable, "Xvfb not installed (the control starts one)");
        using var homes = new TestHomes();
        int port = FreePort();
        await PairAsync(homes["server"], homes["controller"], "desk", port);
        (OpendeskProcess serve, _, _) = await StartServeAsync(homes["server"], port);
        await using (serve)
        {
            await using (McpClient client = await StartMcpAsync(homes["controller"]))
            {
                int mcp = FindMcpProcess(homes["controller"]);
                IList<McpClientTool> tools = await client.ListToolsAsync(cancellationToken: Ct);
                Assert.Contains(tools, t => t.Name == "screenshot");
                Assert.Contains("desk", Text(await CallAsync(client, "opendesk_peers")));
                Assert.Contains("Default peer: desk (implicit)", Text(await CallAsync(client, "opendesk_status")));
                CallToolResult shot = await CallAsync(client, "screenshot");
                Assert.StartsWith("[on desk] Screenshot", Text(shot), StringComparison.Ordinal);

                Assert.Empty(XvfbDescendants(mcp));

                // Not even an X display was opened (with no DISPLAY the old eager start also scanned /tmp/.X11-unix and
                // attached to whatever server it found there): libX11 is loaded only when the local desktop is.
                Assert.False(LoadsLibX11(mcp), "opendesk mcp opened this machine's desktop although every call went to the peer");
            }

            // Control: asked for a virtual display, the same command starts one (seen as its child) and stops it on exit.
            int xvfb;
            await using (McpClient client = await StartMcpAsync(homes["controller"], "--virtual-display"))
            {
                int mcp = FindMcpProcess(homes["controller"]);
                Assert.Contains("Default peer: desk (implicit)", Text(await CallAsync(client, "opendesk_status")));
                await WaitUntilAsync(() => XvfbDescendants(mcp).Count == 1, "the Xvfb of opendesk mcp --virtual-display");
                xvfb = XvfbDescendants(mcp)[0];
                await WaitUntilAsync(() => LoadsLibX11(mcp), "opendesk mcp --virtual-display to open its display");
            }

            await WaitUntilAsync(() => !Directory.Exists($"/proc/{xvfb}"), "the virtual display to stop with opendesk mcp");
        }
    }

    private static Task<McpClient> StartMcpAsync(string home, params string[] extra)
        => McpClient.CreateAsync(
            new StdioClientTransport(new StdioClientTransportOptions
            {
                Command = "dotnet",
                Arguments = [McpTestHost.OpendeskDll, "mcp", "--home", home, .. extra],
                EnvironmentVariables = new Dictionary<string, string?> { ["DISPLAY"] = "", ["OPENDESK_HOME"] = home },
            }),
            cancellationToken: Ct);

    /// <summary>The <c>opendesk mcp</c> process serving <paramref name="home"/> (its command line names the unique home).</summary>
    /// <summary>The newest (highest pid) <c>opendesk mcp</c> of <paramref name="home"/>: an earlier one may not be reaped yet.</summary>
    private static int FindMcpProcess(string home)
    {
        int found = 0;
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid)
                && TryRead(Path.Combine(dir, "cmdline")) is { } cmd)
            {
                string[] args = cmd.Split('\0');
                if (args.Contains("mcp") && args.Contains(home))
                {
                    found = Math.Max(found, pid);
                }
            }
        }

        return found > 0 ? found : throw new InvalidOperationException("opendesk mcp process not found");
    }

    private static bool LoadsLibX11(int pid) => TryRead($"/proc/{pid}/maps")?.Contains("/libX11.so", StringComparison.Ordinal) == true;

    /// <summary>The Xvfb processes among the descendants of <paramref name="root"/>.</summary>
    private static List<int> XvfbDescendants(int root)
    {
        var parents = new Dictionary<int, int>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid)
                && TryRead(Path.Combine(dir, "stat")) is { } stat)
            {
                // "pid (comm) state ppid ...": comm may contain spaces, so parse after the last ')'.
                string[] rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                parents[pid] = int.Parse(rest[1], CultureInfo.InvariantCulture);
            }
        }

        var result = new List<int>();
        foreach (int pid in parents.Keys)
        {
            for (int p = pid, hops = 0; parents.TryGetValue(p, out int parent) && hops < 64; p = parent, hops++)
            {
                if (parent == root)
                {
                    if (TryRead($"/proc/{pid}/comm")?.Trim() == "Xvfb")
                    {
                        result.Add(pid);
                    }

                    break;
                }
            }
        }

        return result;
    }

    private static string? TryRead(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // the process exited meanwhile
        }
    }

    private static Task<CallToolResult> CallAsync(McpClient client, string tool, params (string Key, object? Value)[] args)
        => client.CallToolAsync(tool, args.ToDictionary(a => a.Key, a => a.Value), cancellationToken: Ct).AsTask();

    private static string Text(CallToolResult r) => string.Join("\n", r.Content.OfType<TextContentBlock>().Select(t => t.Text));
}
