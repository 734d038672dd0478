using System.CommandLine;
using System.Reflection;
using OpenDesk.Serve.Commands;

namespace OpenDesk.Serve;

/// <summary>The <c>opendesk</c> command line: one place that builds the command tree.</summary>
internal static class Cli
{
    public static string Version { get; } =
        typeof(Cli).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? "0.0.0";

    public static RootCommand Build()
    {
        var root = new RootCommand(
            "OpenDesk: a computer-use server for AI agents. Drive this desktop or paired machines on the LAN over MCP, "
            + "Semantic Kernel or OpenAI function calling.");

        // One line per command; each command lives in Commands/<Name>Command.cs with a static Create().
        root.Subcommands.Add(VersionCommand.Create());
        root.Subcommands.Add(CheckCommand.Create());
        root.Subcommands.Add(McpCommand.Create());
        root.Subcommands.Add(InstallCommand.Create());
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(DiscoverCommand.Create());
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(PairCommand.Create());
        root.Subcommands.Add(PairWithCommand.Create());
        root.Subcommands.Add(ConnectCommand.Create());
        root.Subcommands.Add(PeersCommand.Create());
        root.Subcommands.Add(SessionsCommand.Create());
        root.Subcommands.Add(DisconnectCommand.Create());
        root.Subcommands.Add(UnpairCommand.Create());
        root.Subcommands.Add(DescribeCommand.Create());
        root.Subcommands.Add(AuditCommand.Create());
        root.Subcommands.Add(ServiceCommand.CreateInstall());
        root.Subcommands.Add(ServiceCommand.CreateUninstall());

        return root;
    }

    public static Task<int> InvokeAsync(string[] args) => Build().Parse(args).InvokeAsync();
}
