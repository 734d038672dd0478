using System.Text.Json.Nodes;

namespace OpenDesk.IntegrationTests.Mcp;

/// <summary><c>opendesk install</c> as a process: Cursor config merge, and Claude Code through a fake <c>claude</c> CLI.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class InstallCommandTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Cursor_user_scope_merges_into_existing_config()
    {
        string home = McpTestHost.NewHome();
        Directory.CreateDirectory(Path.Combine(home, ".cursor"));
        await File.WriteAllTextAsync(Path.Combine(home, ".cursor", "mcp.json"), """{"mcpServers":{"other":{"command":"x"}},"keep":1}""", Ct);
        using var p = TestProcess.Start("dotnet", [McpTestHost.OpendeskDll, "install", "--client", "cursor"], home, new Dictionary<string, string> { ["HOME"] = home });
        Assert.Equal(0, await p.WaitForExitAsync(TimeSpan.FromSeconds(60), Ct));
        var json = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(home, ".cursor", "mcp.json"), Ct))!;
        Assert.Equal("x", (string?)json["mcpServers"]!["other"]!["command"]);
        Assert.Equal(1, (int?)json["keep"]);
        JsonNode entry = json["mcpServers"]!["opendesk"]!;
        Assert.Equal("mcp", (string?)entry["args"]!.AsArray()[^1]);
    }

    [Fact]
    public async Task Claude_uses_claude_mcp_add_when_the_cli_exists()
    {
        string dir = McpTestHost.NewHome();
        string log = Path.Combine(dir, "claude.log");
        string fake = Path.Combine(dir, "claude");
        await File.WriteAllTextAsync(fake, $"#!/bin/sh\necho \"$@\" >> '{log}'\n", Ct);
        File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        string path = dir + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH");
        using var p = TestProcess.Start("dotnet", [McpTestHost.OpendeskDll, "install", "--scope", "project", "--home", Path.Combine(dir, "h")], dir, new Dictionary<string, string> { ["PATH"] = path });
        Assert.Equal(0, await p.WaitForExitAsync(TimeSpan.FromSeconds(60), Ct));
        string[] calls = await File.ReadAllLinesAsync(log, Ct);
        Assert.Equal("mcp remove opendesk --scope project", calls[0]);
        Assert.StartsWith("mcp add opendesk --scope project -- ", calls[1], StringComparison.Ordinal);
        Assert.EndsWith($"opendesk.dll mcp --home {Path.Combine(dir, "h")}", calls[1], StringComparison.Ordinal);
    }
}
