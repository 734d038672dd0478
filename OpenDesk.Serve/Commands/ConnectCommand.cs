using System.CommandLine;
using OpenDesk.Core;
using OpenDesk.Remote.Client;
using OpenDesk.Remote.Trust;

namespace OpenDesk.Serve.Commands;

/// <summary>
/// <c>opendesk connect [PEER] [--screenshot PATH]</c>: connects to a paired machine (by name, <c>ws://host:port#key</c>,
/// or the default peer), prints its backend, description and capabilities, and optionally saves a screenshot.
/// Exit 0 ok, 1 failure, 2 busy.
/// </summary>
internal static class ConnectCommand
{
    public static Command Create()
    {
        Option<string?> homeOption = HomeOption.Create();
        var peerArgument = new Argument<string?>("peer") { Description = "A peer name or ws://host:port#key (default: the default peer).", Arity = ArgumentArity.ZeroOrOne };
        var screenshotOption = new Option<string?>("--screenshot") { Description = "Save a screenshot of the peer to this PNG file." };
        var noMdnsOption = new Option<bool>("--no-mdns") { Description = "Do not look the peer up on the LAN." };

        var command = new Command("connect", "Connect to a paired machine and show what it can do.") { peerArgument, homeOption, screenshotOption, noMdnsOption };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            TextWriter output = parseResult.InvocationConfiguration.Output;
            TextWriter error = parseResult.InvocationConfiguration.Error;
            var home = new OpenDeskHome(HomeOption.Resolve(parseResult.GetValue(homeOption)));
            try
            {
                await using RemoteComputer remote = await OpenDeskClient.ConnectAsync(parseResult.GetValue(peerArgument),
                    new OpenDeskClientOptions { Home = home, UseMdns = !parseResult.GetValue(noMdnsOption) }, cancellationToken);
                CapabilityManifest manifest = remote.Manifest;
                await output.WriteLineAsync($"Connected to {remote.PeerName} ({remote.Fingerprint}) at {remote.Endpoint}");
                await output.WriteLineAsync($"backend: {manifest.Backend}");
                if (manifest.Description.Length > 0)
                {
                    await output.WriteLineAsync($"description: {manifest.Description}");
                }

                await output.WriteLineAsync($"capabilities: {string.Join(", ", manifest.Capabilities.Select(c => c.Name).Order(StringComparer.Ordinal))}");
                if (parseResult.GetValue(screenshotOption) is { } path)
                {
                    Pixmap shot = await remote.Display.CaptureAsync(CaptureOptions.Default, cancellationToken);
                    await File.WriteAllBytesAsync(path, shot.Data, cancellationToken);
                    await output.WriteLineAsync($"screenshot: {Path.GetFullPath(path)} ({shot.Width}x{shot.Height} {shot.Format.ToWireName()})");
                }

                return 0;
            }
            catch (BusyException e)
            {
                await error.WriteLineAsync($"opendesk connect: {e.Message}");
                return 2;
            }
            catch (OpenDeskException e)
            {
                await error.WriteLineAsync($"opendesk connect: {e.Message}");
                return 1;
            }
        });
        return command;
    }
}
