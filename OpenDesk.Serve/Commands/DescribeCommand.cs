using System.CommandLine;
using OpenDesk.Remote.Trust;

namespace OpenDesk.Serve.Commands;

/// <summary><c>opendesk describe [TEXT] [--clear]</c>: this machine's description (sent to controllers in HELLO).</summary>
internal static class DescribeCommand
{
    public static Command Create()
    {
        Option<string?> homeOption = HomeOption.Create();
        var textArgument = new Argument<string?>("text") { Description = "What this machine is, for controllers and agents.", Arity = ArgumentArity.ZeroOrOne };
        var clearOption = new Option<bool>("--clear") { Description = "Remove the description." };
        var command = new Command("describe", "Show or set this machine's description.") { textArgument, clearOption, homeOption };
        command.SetAction(parseResult =>
        {
            var home = new OpenDeskHome(HomeOption.Resolve(parseResult.GetValue(homeOption)));
            TextWriter output = parseResult.InvocationConfiguration.Output;
            if (parseResult.GetValue(clearOption))
            {
                home.WriteDescription(null);
                output.WriteLine("description cleared");
            }
            else if (parseResult.GetValue(textArgument) is { } text)
            {
                home.WriteDescription(text);
                output.WriteLine(home.ReadDescription());
            }
            else
            {
                string current = home.ReadDescription();
                output.WriteLine(current.Length > 0 ? current : "(no description; set one with `opendesk describe \"TEXT\"`)");
            }

            return 0;
        });
        return command;
    }
}
