using System.CommandLine;
using System.Globalization;
using System.Text;
using OpenDesk.Core;
using OpenDesk.Remote.Client;
using OpenDesk.Remote.Trust;

namespace OpenDesk.Serve.Commands;

/// <summary>
/// <c>opendesk peers [list]</c>, <c>peers remove TARGET</c> (same as <c>unpair</c>), <c>peers rename TARGET NEW</c>,
/// <c>peers default [NAME] [--clear]</c>, <c>peers describe NAME [TEXT] [--clear]</c>.
/// </summary>
internal static class PeersCommand
{
    private static readonly string[] s_header = ["NAME", "ROLE", "FINGERPRINT", "LAST ENDPOINT", "DESCRIPTION"];

    public static Command Create()
    {
        Option<string?> homeOption = HomeOption.Create();
        var command = new Command("peers", "List and manage paired machines.") { homeOption };
        command.SetAction(parseResult => List(parseResult, homeOption));

        var list = new Command("list", "List paired machines.") { homeOption };
        list.SetAction(parseResult => List(parseResult, homeOption));
        command.Subcommands.Add(list);

        var removeTarget = new Argument<string>("target") { Description = "A peer name or public key (hex)." };
        var remove = new Command("remove", "Revoke trust in a peer (and disconnect it if it is connected here).") { removeTarget, homeOption };
        remove.SetAction((parseResult, ct) => UnpairCommand.RunAsync(parseResult, homeOption, parseResult.GetValue(removeTarget)!, ct));
        command.Subcommands.Add(remove);

        var renameTarget = new Argument<string>("target") { Description = "A peer name or public key (hex)." };
        var renameNew = new Argument<string>("new-name") { Description = "The new name." };
        var rename = new Command("rename", "Rename a peer.") { renameTarget, renameNew, homeOption };
        rename.SetAction(parseResult =>
        {
            PeerDirectory directory = Directory(parseResult, homeOption);
            try
            {
                directory.Rename(parseResult.GetValue(renameTarget)!, parseResult.GetValue(renameNew)!);
                parseResult.InvocationConfiguration.Output.WriteLine($"renamed {parseResult.GetValue(renameTarget)} → {parseResult.GetValue(renameNew)}");
                return 0;
            }
            catch (OpenDeskException e)
            {
                parseResult.InvocationConfiguration.Error.WriteLine($"opendesk peers rename: {e.Message}");
                return 1;
            }
        });
        command.Subcommands.Add(rename);

        var defaultName = new Argument<string?>("name") { Description = "The peer to use when none is named.", Arity = ArgumentArity.ZeroOrOne };
        var clearDefault = new Option<bool>("--clear") { Description = "Clear the default peer." };
        var defaultCommand = new Command("default", "Show or set the default peer.") { defaultName, clearDefault, homeOption };
        defaultCommand.SetAction(async (parseResult, ct) =>
        {
            PeerDirectory directory = Directory(parseResult, homeOption);
            TextWriter output = parseResult.InvocationConfiguration.Output;
            try
            {
                if (parseResult.GetValue(clearDefault))
                {
                    await directory.SetDefaultPeerAsync(null, ct);
                    await output.WriteLineAsync("default peer cleared");
                }
                else if (parseResult.GetValue(defaultName) is { } name)
                {
                    await directory.SetDefaultPeerAsync(name, ct);
                    await output.WriteLineAsync($"default peer: {name}");
                }
                else
                {
                    await output.WriteLineAsync(await directory.GetDefaultPeerAsync(ct) ?? "(no default peer)");
                }

                return 0;
            }
            catch (OpenDeskException e)
            {
                await parseResult.InvocationConfiguration.Error.WriteLineAsync($"opendesk peers default: {e.Message}");
                return 1;
            }
        });
        command.Subcommands.Add(defaultCommand);

        var describeName = new Argument<string>("name") { Description = "The peer." };
        var describeText = new Argument<string?>("text") { Description = "Your own description of it.", Arity = ArgumentArity.ZeroOrOne };
        var clearDescription = new Option<bool>("--clear") { Description = "Clear your description (use the peer's own)." };
        var describe = new Command("describe", "Show or override a peer's description.") { describeName, describeText, clearDescription, homeOption };
        describe.SetAction(async (parseResult, ct) =>
        {
            PeerDirectory directory = Directory(parseResult, homeOption);
            TextWriter output = parseResult.InvocationConfiguration.Output;
            string name = parseResult.GetValue(describeName)!;
            try
            {
                if (parseResult.GetValue(clearDescription) || parseResult.GetValue(describeText) is not null)
                {
                    await directory.SetDescriptionOverrideAsync(name, parseResult.GetValue(clearDescription) ? null : parseResult.GetValue(describeText), ct);
                }

                TrustedPeer peer = directory.Find(name) ?? throw new NotFoundException($"no trusted peer named '{name}'");
                await output.WriteLineAsync(peer.EffectiveDescription.Length > 0 ? peer.EffectiveDescription : "(no description)");
                return 0;
            }
            catch (OpenDeskException e)
            {
                await parseResult.InvocationConfiguration.Error.WriteLineAsync($"opendesk peers describe: {e.Message}");
                return 1;
            }
        });
        command.Subcommands.Add(describe);
        return command;
    }

    private static PeerDirectory Directory(ParseResult parseResult, Option<string?> homeOption)
        => new(new OpenDeskHome(HomeOption.Resolve(parseResult.GetValue(homeOption))));

    private static int List(ParseResult parseResult, Option<string?> homeOption)
    {
        PeerDirectory directory = Directory(parseResult, homeOption);
        TextWriter output = parseResult.InvocationConfiguration.Output;
        IReadOnlyList<TrustedPeer> peers;
        try
        {
            peers = directory.GetAllPeers();
        }
        catch (InvalidDataException e)
        {
            parseResult.InvocationConfiguration.Error.WriteLine($"opendesk peers: {e.Message}");
            return 1;
        }

        output.Write(Format(peers, directory.Home.ReadDefaultPeerName()));
        return 0;
    }

    internal static string Format(IReadOnlyList<TrustedPeer> peers, string? defaultPeer)
    {
        if (peers.Count == 0)
        {
            return "No paired machines. Pair with `opendesk pair-with HOST CODE` (controller) or `opendesk pair` (this machine).\n";
        }

        var rows = new List<string[]> { s_header };
        foreach (TrustedPeer p in peers)
        {
            string role = p.Role switch { "controller" => "controls this", "remote" => "remote", _ => "-" };
            string endpoint = p.LastHost is null ? "-" : string.Create(CultureInfo.InvariantCulture, $"{p.LastHost}:{p.LastPort}");
            string name = p.Name == defaultPeer ? p.Name + " [default]" : p.Name;
            string description = p.EffectiveDescription.Length > 50 ? p.EffectiveDescription[..49] + "…" : p.EffectiveDescription;
            rows.Add([name, role, p.Fingerprint, endpoint, description]);
        }

        int[] widths = [.. Enumerable.Range(0, 5).Select(i => rows.Max(r => r[i].Length))];
        var text = new StringBuilder();
        foreach (string[] row in rows)
        {
            text.Append(string.Join("  ", row.Select((cell, i) => cell.PadRight(widths[i]))).TrimEnd()).Append('\n');
        }

        return text.ToString();
    }
}
