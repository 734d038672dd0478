using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using OpenDesk.IntegrationTests.Infrastructure;
using static OpenDesk.IntegrationTests.Remote.RemoteSteps;

namespace OpenDesk.IntegrationTests.Remote;

/// <summary>
/// Interop with <c>../shared/interop/refpeer</c>, an independent Python implementation of protocol v1: refpeer pairs
/// with and drives our <c>opendesk serve</c> (and runs its conformance probes), and our CLI pairs with and drives a
/// refpeer server. Skipped when refpeer or python3 with <c>cryptography</c> is missing.
/// </summary>
public sealed partial class InteropTests
{
    private static string? RefpeerDirectory => FindRefpeer(AppContext.BaseDirectory) ?? FindRefpeer(SourceDirectory());

    private static string SourceDirectory([System.Runtime.CompilerServices.CallerFilePath] string path = "") => Path.GetDirectoryName(path) ?? ".";

    private static string? FindRefpeer(string start)
    {
        {
            for (DirectoryInfo? dir = new(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "shared", "interop");
                if (File.Exists(Path.Combine(candidate, "refpeer.py")))
                {
                    return candidate;
                }
            }

            return null;
        }
    }

    private static async Task<string> RequireRefpeerAsync()
    {
        string? dir = RefpeerDirectory;
        if (dir is null)
        {
            Assert.Skip("refpeer (../shared/interop) not found");
        }

        await using OpendeskProcess probe = OpendeskProcess.Start("python3", ["-c", "import cryptography"]);
        if (await probe.WaitForExitAsync(Step) != 0)
        {
            Assert.Skip("python3 with the cryptography package is not available");
        }

        return dir!;
    }

    private static OpendeskProcess Refpeer(string dir, params string[] args) => OpendeskProcess.Start("python3", ["refpeer.py", .. args], workingDirectory: dir);

    [Fact]
    public async Task Refpeer_AsController_PairsWithOurServer_Calls_AndPassesTheProbes()
    {
        string dir = await RequireRefpeerAsync();
        using var homes = new TestHomes();
        int port = FreePort();
        string portText = port.ToString(CultureInfo.InvariantCulture);
        await using (OpendeskProcess pair = OpendeskProcess.StartOpendesk("pair", "--home", homes["s"], "--host", "127.0.0.1", "--port", portText, "--no-mdns", "--code", "135790"))
        {
            await pair.WaitForLineAsync(l => l.StartsWith("opendesk pair listening on", StringComparison.Ordinal), Step);
            await using OpendeskProcess client = Refpeer(dir, "pair-client", "127.0.0.1", portText, "135790", "--home", homes["r"], "--check");
            Assert.True(await client.WaitForExitAsync(Step) == 0, client.StandardOutput + client.StandardError);
            Assert.Contains("paired with", client.StandardOutput, StringComparison.Ordinal);
            Assert.Equal(0, await pair.WaitForExitAsync(Step));
        }

        (OpendeskProcess serve, _, _) = await StartServeAsync(homes["s"], port);
        await using (serve)
        {
            await using (OpendeskProcess call = Refpeer(dir, "call", "127.0.0.1", portText, "--home", homes["r"], "display.capture", "--check"))
            {
                Assert.True(await call.WaitForExitAsync(Step) == 0, call.StandardOutput + call.StandardError);
                Assert.Contains("\"format\": \"png\"", call.StandardOutput, StringComparison.Ordinal);
            }

            await using OpendeskProcess probes = Refpeer(dir, "probe", "127.0.0.1", portText, "--home", homes["r"]);
            int code = await probes.WaitForExitAsync(TimeSpan.FromMinutes(2));
            Match summary = Summary().Match(probes.StandardOutput);
            Assert.True(summary.Success && summary.Groups[2].Value == "0" && code == 0, probes.StandardOutput + probes.StandardError);
        }
    }

    [Fact]
    public async Task OurCli_PairsWithAndDrivesARefpeerServer()
    {
        string dir = await RequireRefpeerAsync();
        using var homes = new TestHomes();
        await using OpendeskProcess server = Refpeer(dir, "serve", "--port", "0", "--home", homes["r"], "--pair-code", "864200", "--description", "refpeer box");
        string line = await server.WaitForLineAsync(l => l.StartsWith("listening on", StringComparison.Ordinal), Step);
        string port = line.Split(' ')[2].Split(':')[1];

        (int code, string output, string error) = await OpendeskProcess.RunOpendeskAsync(Step, "pair-with", "127.0.0.1", "864200", "--port", port, "--name", "ref", "--home", homes["c"]);
        Assert.True(code == 0, output + error);
        string shot = Path.Combine(homes.Root, "ref.png");
        (code, output, error) = await OpendeskProcess.RunOpendeskAsync(Step, "connect", "ref", "--home", homes["c"], "--no-mdns", "--screenshot", shot);
        Assert.True(code == 0, output + error);
        Assert.Contains("description: refpeer box", output, StringComparison.Ordinal);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(shot)[..4]);
        await server.WaitForLineAsync(l => l.StartsWith("call ", StringComparison.Ordinal) && l.Contains("display.capture", StringComparison.Ordinal), Step);

        // refpeer reports a session's protocol violations in its closing line: wait for both sessions (pair-with, connect).
        static string[] Closed(OpendeskProcess p) => [.. p.StandardOutput.Split('\n').Where(l => l.StartsWith("session ", StringComparison.Ordinal) && l.Contains("\"closed\"", StringComparison.Ordinal))];
        await WaitUntilAsync(() => Closed(server).Length >= 2, "refpeer to log both sessions closed");
        foreach (string closed in Closed(server))
        {
            using JsonDocument json = JsonDocument.Parse(closed["session ".Length..]);
            Assert.Equal(0, json.RootElement.GetProperty("violations").GetArrayLength());
        }
    }

    [GeneratedRegex(@"(\d+) passed, (\d+) failed")]
    private static partial Regex Summary();
}
