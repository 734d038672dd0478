using System.CommandLine;

namespace OpenDesk.Serve.Commands;

/// <summary><c>opendesk version</c>: prints the version (same as <c>opendesk --version</c>).</summary>
internal static class VersionCommand
{
    public static Command Create()
    {
        var command = new Command("version", "Print the OpenDesk version.");
        command.SetAction(parseResult =>
        {
            parseResult.InvocationConfiguration.Output.WriteLine(Cli.Version);
            return 0;
        });
        return command;
    }
}
