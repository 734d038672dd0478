using System.CommandLine;
using OpenDesk.Core;
using OpenDesk.Remote.Server;
using OpenDesk.Serve.Logging;

namespace OpenDesk.Serve.Commands;

/// <summary>
/// <c>opendesk serve [--port 8423] [--host 0.0.0.0] [--no-mdns] [--approve auto|console] [--no-audit]
/// [--virtual-display] [--display :N] [--log-file PATH]</c>: lets paired controllers drive this desktop. Prints one
/// ready line on stdout (<c>opendesk serve listening on ws://HOST:PORT fp=XXXX:XXXX:XXXX:XXXX</c>); refuses to start
/// (exit 2) while no controller is paired. For tests, <c>OPENDESK_TEST_COMPUTER=&lt;assembly path&gt;!&lt;type&gt;</c>
/// replaces the local computer with any <see cref="IComputer"/> that has a public parameterless constructor (e.g.
/// FakeComputer).
/// </summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var shared = new ServerCommandOptions();
        var approveOption = new Option<string>("--approve")
        {
            Description = "Approval of controller calls: auto (allow all, default) or console (ask here before each action).",
            DefaultValueFactory = _ => "auto",
        };
        approveOption.AcceptOnlyFromAmong("auto", "console");
        var noAuditOption = new Option<bool>("--no-audit") { Description = "Do not write the audit log." };

        var command = new Command("serve", "Let paired controllers drive this desktop over the LAN (protocol v1).");
        shared.AddTo(command);
        command.Options.Add(approveOption);
        command.Options.Add(noAuditOption);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            TextWriter output = parseResult.InvocationConfiguration.Output;
            var settings = new ServerStartSettings(
                "serve",
                EnableAdmin: true,
                EnableAudit: !parseResult.GetValue(noAuditOption),
                Approval: parseResult.GetValue(approveOption) == "console" ? ApprovalMode.Console : ApprovalMode.AllowAll,
                RequireController: true);
            (ServerStartup? startup, int exitCode) = await ServerStartup.StartAsync(parseResult, shared, settings, cancellationToken);
            if (startup is null)
            {
                return exitCode;
            }

            await using (startup)
            {
                await output.WriteLineAsync($"opendesk serve listening on ws://{startup.Host}:{startup.Server.Port} fp={startup.Server.Fingerprint}");
                await output.FlushAsync(cancellationToken);
                startup.ReportAdvertisement();
                try
                {
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                }

                CliLog.Stopping(startup.Log);
            }

            return 0;
        });
        return command;
    }
}
