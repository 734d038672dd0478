using System.CommandLine;
using OpenDesk.Core;
using OpenDesk.Remote.Client;
using OpenDesk.Remote.Server;
using OpenDesk.Remote.Trust;

namespace OpenDesk.Serve.Commands;

/// <summary>
/// <c>opendesk unpair NAME</c>: revokes trust in a peer (enforced), then, if a server runs for this home and that peer
/// is connected, evicts its session over the admin socket. Its next connection fails authentication.
/// </summary>
internal static class UnpairCommand
{
    public static Command Create()
    {
        Option<string?> homeOption = HomeOption.Create();
        var target = new Argument<string>("name") { Description = "A peer name or public key (hex)." };
        var command = new Command("unpair", "Revoke trust in a peer and disconnect it.") { target, homeOption };
        command.SetAction((parseResult, ct) => RunAsync(parseResult, homeOption, parseResult.GetValue(target)!, ct));
        return command;
    }

    public static async Task<int> RunAsync(ParseResult parseResult, Option<string?> homeOption, string target, CancellationToken cancellationToken)
    {
        var home = new OpenDeskHome(HomeOption.Resolve(parseResult.GetValue(homeOption)));
        TextWriter output = parseResult.InvocationConfiguration.Output;
        TrustedPeer? removed = new PeerDirectory(home).Remove(target);
        if (removed is null)
        {
            await parseResult.InvocationConfiguration.Error.WriteLineAsync($"opendesk unpair: no trusted peer named '{target}'");
            return 1;
        }

        int kicked = await OpenDeskAdmin.DisconnectPeerAsync(home, removed.PublicKey, cancellationToken);
        await output.WriteLineAsync($"unpaired {removed.Name} ({removed.Fingerprint})" + (kicked > 0 ? "; its session was disconnected" : ""));
        return 0;
    }
}
