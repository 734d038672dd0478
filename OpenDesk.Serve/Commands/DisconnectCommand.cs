using System.CommandLine;
using OpenDesk.Remote.Server;
using OpenDesk.Remote.Trust;

namespace OpenDesk.Serve.Commands;

/// <summary>
/// <c>opendesk disconnect [ID]</c>: asks the active controller to leave (cooperative: it gets a <c>session.evicted</c>
/// push and does not reconnect; trust is kept).
/// </summary>
internal static class DisconnectCommand
{
    public static Command Create()
    {
        Option<string?> homeOption = HomeOption.Create();
        var idArgument = new Argument<string?>("id") { Description = "A session id from `opendesk sessions` (default: all).", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("disconnect", "Ask the active controller to leave (it keeps its trust).") { idArgument, homeOption };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var home = new OpenDeskHome(HomeOption.Resolve(parseResult.GetValue(homeOption)));
            try
            {
                int killed = await OpenDeskAdmin.DisconnectAsync(home, parseResult.GetValue(idArgument), cancellationToken);
                await parseResult.InvocationConfiguration.Output.WriteLineAsync(killed == 0 ? "No controller was connected." : $"Disconnected {killed} session(s).");
                return 0;
            }
            catch (IOException e)
            {
                await parseResult.InvocationConfiguration.Error.WriteLineAsync($"opendesk disconnect: {e.Message}");
                return 1;
            }
        });
        return command;
    }
}
