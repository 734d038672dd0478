using System.Text.Json;
using System.Text.Json.Nodes;
using OpenDesk.IntegrationTests.Infrastructure;

namespace OpenDesk.IntegrationTests.Remote;

/// <summary>kill -9 of <c>opendesk</c> while it rewrites a large <c>trusted-peers.json</c> never leaves a torn file.</summary>
public sealed class TrustFileCrashTests
{
    private const int Entries = 1500;

    [Fact]
    public async Task KillDuringTrustFileWrites_FileStaysValid_AndLaterWritesWork()
    {
        using var homes = new TestHomes();
        string home = homes["c"];
        Directory.CreateDirectory(home);
        string path = Path.Combine(home, "trusted-peers.json");
        var array = new JsonArray();
        string padding = new('x', 8000);
        for (int i = 0; i < Entries; i++)
        {
            array.Add(new JsonObject
            {
                ["description"] = padding,
                ["description_override"] = "",
                ["last_host"] = null,
                ["last_port"] = null,
                ["name"] = $"peer-{i:D6}",
                ["paired_at"] = 1700000000.5,
                ["public_key"] = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(i))),
                ["role"] = "remote",
            });
        }

        await File.WriteAllTextAsync(path, array.ToJsonString(), TestContext.Current.CancellationToken);
        var random = new Random(42);
        int killedWhileRunning = 0;
        for (int round = 0; round < 12; round++)
        {
            await using OpendeskProcess writer = OpendeskProcess.StartOpendesk("peers", "describe", "peer-000007", $"round {round}", "--home", home);
            using (var pause = new PeriodicTimer(TimeSpan.FromMilliseconds(random.Next(80, 600))))
            {
                await pause.WaitForNextTickAsync(TestContext.Current.CancellationToken);
            }

            if (!writer.HasExited)
            {
                killedWhileRunning++;
                writer.Kill();
            }

            await writer.WaitForExitAsync(RemoteSteps.Step);
            using JsonDocument doc = JsonDocument.Parse(await File.ReadAllBytesAsync(path, TestContext.Current.CancellationToken));
            Assert.Equal(Entries, doc.RootElement.GetArrayLength());
        }

        Assert.True(killedWhileRunning > 0, "at least one writer was killed while running");
        (int code, string output, string error) = await OpendeskProcess.RunOpendeskAsync(RemoteSteps.Step, "peers", "describe", "peer-000007", "final", "--home", home);
        Assert.True(code == 0, output + error);
        Assert.Equal("final", output.Trim());
    }
}
