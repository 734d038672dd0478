using System.CommandLine;
using OpenDesk.Core;
using OpenDesk.Remote.Client;
using OpenDesk.Remote.Discovery;
using OpenDesk.Remote.Trust;

namespace OpenDesk.Serve.Commands;

/// <summary>
/// <c>opendesk pair-with HOST CODE [--port 8423] [--name NAME]</c>: pairs this controller with a machine running
/// <c>opendesk pair</c> and stores it as a trusted peer. HOST may also be the instance name the machine advertises
/// over mDNS (see <see cref="PairingHostResolver"/>; the discovered port wins over <c>--port</c>).
/// Exit 0 paired, 2 wrong code or refused, 3 unreachable.
/// </summary>
internal static class PairWithCommand
{
    public static Command Create()
    {
        Option<string?> homeOption = HomeOption.Create();
        var hostArgument = new Argument<string>("host") { Description = "The machine running `opendesk pair`: IP, host name, or the name `opendesk discover` shows." };
        var codeArgument = new Argument<string>("code") { Description = "The 6-digit code it shows." };
        var portOption = new Option<int>("--port") { Description = "Its port (default 8423).", DefaultValueFactory = _ => 8423 };
        var nameOption = new Option<string?>("--name") { Description = "Local name for it (default peer-<6 hex>)." };

        var command = new Command("pair-with", "Pair with a machine that runs `opendesk pair`.")
        {
            hostArgument, codeArgument, homeOption, portOption, nameOption,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            TextWriter output = parseResult.InvocationConfiguration.Output;
            TextWriter error = parseResult.InvocationConfiguration.Error;
            var home = new OpenDeskHome(HomeOption.Resolve(parseResult.GetValue(homeOption)));
            string host = parseResult.GetValue(hostArgument)!;
            int port = parseResult.GetValue(portOption);
            try
            {
                // HOST may be an instance name seen by `opendesk discover`: mDNS is a hint, the code decides trust.
                ResolvedPairingHost resolved = await PairingHostResolver.ResolveAsync(host, port, PairingHostResolver.DefaultMdnsTimeout, cancellationToken);
                if (resolved.Discovered is { } seen)
                {
                    await output.WriteLineAsync($"Found {seen.Name} on the LAN (mDNS) at {resolved.Host}:{resolved.Port}, fingerprint {seen.Fingerprint}");
                    (host, port) = (resolved.Host, resolved.Port);
                }

                await using RemoteComputer remote = await OpenDeskClient.PairWithAsync(host, parseResult.GetValue(codeArgument)!, port,
                    parseResult.GetValue(nameOption), new OpenDeskClientOptions { Home = home, UseMdns = false }, cancellationToken);
                await output.WriteLineAsync($"✓ Paired with {remote.PeerName} ({remote.Fingerprint}) at {host}:{port}");
                if (remote.Manifest.Description.Length > 0)
                {
                    await output.WriteLineAsync($"  {remote.Manifest.Description}");
                }

                return 0;
            }
            catch (PermissionDeniedException e)
            {
                await error.WriteLineAsync($"opendesk pair-with: {e.Message}");
                return 2;
            }
            catch (ProtocolException e)
            {
                await error.WriteLineAsync($"opendesk pair-with: {e.Message}");
                return 2;
            }
            catch (Exception e) when (e is IOException or System.Net.WebSockets.WebSocketException or System.Net.Sockets.SocketException or TimeoutException or HttpRequestException)
            {
                await error.WriteLineAsync($"opendesk pair-with: cannot reach {host}:{port}: {e.Message}");
                return 3;
            }
        });
        return command;
    }
}
