using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace OpenDesk.Serve.Commands;

/// <summary>
/// <c>opendesk install [--client claude|cursor] [--scope user|project] [--print]</c>: registers <c>opendesk mcp</c> with an
/// MCP client. Claude Code: <c>claude mcp add</c> when the CLI exists, else writes the project's <c>.mcp.json</c> (project
/// scope) or prints the command (user scope). Cursor: merges <c>~/.cursor/mcp.json</c> or <c>./.cursor/mcp.json</c>.
/// </summary>
internal static class InstallCommand
{
    private const string ServerName = "opendesk";

    public static Command Create()
    {
        Option<string?> homeOption = HomeOption.Create();
        var clientOption = new Option<string>("--client")
        {
            Description = "The MCP client: claude (Claude Code, default) or cursor.",
            DefaultValueFactory = _ => "claude",
        };
        clientOption.AcceptOnlyFromAmong("claude", "cursor");
        var scopeOption = new Option<string>("--scope")
        {
            Description = "user (all projects, default) or project (the current directory).",
            DefaultValueFactory = _ => "user",
        };
        scopeOption.AcceptOnlyFromAmong("user", "project");
        var printOption = new Option<bool>("--print")
        {
            Description = "Only print the configuration; change nothing.",
        };
        var command = new Command("install", "Register `opendesk mcp` with Claude Code or Cursor.")
        {
            homeOption, clientOption, scopeOption, printOption,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            TextWriter output = parseResult.InvocationConfiguration.Output;
            string client = parseResult.GetValue(clientOption)!;
            string scope = parseResult.GetValue(scopeOption)!;
            string? home = parseResult.GetValue(homeOption);
            (string cmd, List<string> args) = ServerCommand(home is null ? null : HomeOption.Resolve(home));
            JsonObject entry = Entry(cmd, args);
            if (parseResult.GetValue(printOption))
            {
                output.WriteLine(Config(entry).ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
                output.WriteLine();
                output.WriteLine($"Claude Code: {ClaudeAddLine(scope, cmd, args)}");
                return 0;
            }

            return client == "cursor"
                ? WriteConfig(output, CursorConfigPath(scope), entry)
                : await InstallClaudeAsync(output, scope, cmd, args, entry, cancellationToken);
        });
        return command;
    }

    /// <summary>The command line that starts this OpenDesk's MCP server: the apphost, or <c>dotnet opendesk.dll</c>.</summary>
    internal static (string Command, List<string> Args) ServerCommand(string? home)
    {
        string? process = Environment.ProcessPath;
        string dll = typeof(InstallCommand).Assembly.Location;
        List<string> args;
        string cmd;
        if (process is not null && !Path.GetFileNameWithoutExtension(process).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            cmd = process;
            args = [];
        }
        else
        {
            cmd = process ?? "dotnet";
            args = [dll];
        }

        args.Add("mcp");
        if (home is not null)
        {
            args.Add("--home");
            args.Add(home);
        }

        return (cmd, args);
    }

    internal static JsonObject Entry(string cmd, IEnumerable<string> args)
        => new()
        {
            ["type"] = "stdio",
            ["command"] = cmd,
            ["args"] = new JsonArray([.. args.Select(a => (JsonNode?)JsonValue.Create(a))]),
        };

    private static JsonObject Config(JsonObject entry) => new() { ["mcpServers"] = new JsonObject { [ServerName] = entry.DeepClone() } };

    private static string CursorConfigPath(string scope)
        => scope == "project"
            ? Path.Combine(Environment.CurrentDirectory, ".cursor", "mcp.json")
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cursor", "mcp.json");

    private static string ClaudeAddLine(string scope, string cmd, IEnumerable<string> args)
        => $"claude mcp add {ServerName} --scope {scope} -- {string.Join(' ', new[] { cmd }.Concat(args).Select(Quote))}";

    private static string Quote(string s) => s.Any(c => char.IsWhiteSpace(c) || c is '\'' or '"' or '$') ? "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'" : s;

    private static async Task<int> InstallClaudeAsync(TextWriter output, string scope, string cmd, List<string> args, JsonObject entry, CancellationToken ct)
    {
        string? claude = FindOnPath("claude");
        if (claude is null)
        {
            if (scope == "project")
            {
                output.WriteLine("The claude CLI was not found; writing the project configuration instead.");
                return WriteConfig(output, Path.Combine(Environment.CurrentDirectory, ".mcp.json"), entry);
            }

            output.WriteLine("The claude CLI was not found. Install Claude Code, then run:");
            output.WriteLine($"  {ClaudeAddLine(scope, cmd, args)}");
            output.WriteLine("or use --scope project to write ./.mcp.json, or --print for the JSON.");
            return 1;
        }

        // Replace an existing registration (ignore "not found").
        await RunAsync(claude, ["mcp", "remove", ServerName, "--scope", scope], ct);
        (int code, string text) = await RunAsync(claude, ["mcp", "add", ServerName, "--scope", scope, "--", cmd, .. args], ct);
        output.WriteLine(text.TrimEnd());
        output.WriteLine(code == 0 ? $"Registered '{ServerName}' with Claude Code ({scope} scope)." : "claude mcp add failed.");
        return code == 0 ? 0 : 1;
    }

    private static int WriteConfig(TextWriter output, string path, JsonObject entry)
    {
        JsonObject root;
        try
        {
            root = File.Exists(path) ? JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? new JsonObject() : new JsonObject();
        }
        catch (JsonException e)
        {
            output.WriteLine($"{path} is not valid JSON ({e.Message}); not changed. Fix it or use --print.");
            return 1;
        }

        if (root["mcpServers"] is not JsonObject servers)
        {
            servers = new JsonObject();
            root["mcpServers"] = servers;
        }

        servers[ServerName] = entry.DeepClone();
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        string temp = path + ".tmp";
        File.WriteAllText(temp, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        File.Move(temp, path, overwrite: true);
        output.WriteLine($"Wrote '{ServerName}' to {path}.");
        return 0;
    }

    private static string? FindOnPath(string name)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static async Task<(int Code, string Output)> RunAsync(string file, IEnumerable<string> args, CancellationToken ct)
    {
        var psi = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using Process p = Process.Start(psi)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync(ct);
        Task<string> stderr = p.StandardError.ReadToEndAsync(ct);
        await p.WaitForExitAsync(ct);
        return (p.ExitCode, await stdout + await stderr);
    }
}
