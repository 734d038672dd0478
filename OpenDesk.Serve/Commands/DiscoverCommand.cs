using System.CommandLine;
using System.Globalization;
using System.Text;
using OpenDesk.Core;
using OpenDesk.Remote.Client;
using OpenDesk.Remote.Trust;

namespace OpenDesk.Serve.Commands;

/// <summary>
/// <c>opendesk discover [--timeout 2]</c>: browses the LAN for OpenDesk servers over mDNS
/// (<c>_opendesk._tcp.local</c>) and prints a table NAME, ADDR, FINGERPRINT, PAIRED AS, DESCRIPTION. "PAIRED AS" is
/// the local name of a <c>trusted-peers.json</c> entry with the same key, else <c>NOT PAIRED</c>. The table is a hint:
/// keys are checked in the handshake.
/// </summary>
internal static class DiscoverCommand
{
    private const int DescriptionColumnWidth = 60;

    public static Command Create()
    {
        Option<string?> homeOption = HomeOption.Create();
        var timeoutOption = new Option<double>("--timeout")
        {
            Description = "Seconds to listen for answers (default 2).",
            DefaultValueFactory = _ => 2.0,
        };
        timeoutOption.Validators.Add(result =>
        {
            double value = result.GetValueOrDefault<double>();
            if (value is <= 0 or > 600 || double.IsNaN(value))
            {
                result.AddError("--timeout must be between 0 and 600 seconds.");
            }
        });

        var command = new Command("discover", "Find OpenDesk servers on the LAN (mDNS) and show which are paired.")
        {
            homeOption, timeoutOption,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            TextWriter output = parseResult.InvocationConfiguration.Output;
            var directory = new PeerDirectory(new OpenDeskHome(HomeOption.Resolve(parseResult.GetValue(homeOption))));
            TimeSpan timeout = TimeSpan.FromSeconds(parseResult.GetValue(timeoutOption));
            IReadOnlyList<DiscoveredPeer> peers = await directory.DiscoverAsync(timeout, cancellationToken);
            output.Write(Format(peers, timeout));
            return 0;
        });
        return command;
    }

    /// <summary>The table (or a "none found" line) for <paramref name="peers"/>.</summary>
    internal static string Format(IReadOnlyList<DiscoveredPeer> peers, TimeSpan timeout)
    {
        if (peers.Count == 0)
        {
            return string.Create(CultureInfo.InvariantCulture, $"No OpenDesk servers found on the LAN (listened {timeout.TotalSeconds:0.#} s).\n");
        }

        string[] header = ["NAME", "ADDR", "FINGERPRINT", "PAIRED AS", "DESCRIPTION"];
        List<string[]> rows =
        [
            header,
            .. peers.Select(p => new[]
            {
                OneLine(p.Name),
                p.Host.Contains(':', StringComparison.Ordinal) ? $"[{p.Host}]:{p.Port}" : $"{p.Host}:{p.Port}",
                p.Fingerprint,
                p.PairedAs is null ? "NOT PAIRED" : OneLine(p.PairedAs),
                Shorten(OneLine(p.Description), DescriptionColumnWidth),
            }),
        ];
        int[] widths = [.. Enumerable.Range(0, header.Length).Select(c => rows.Max(r => r[c].Length))];
        var text = new StringBuilder();
        foreach (string[] row in rows)
        {
            string line = string.Concat(row.Select((cell, c) => c == row.Length - 1 ? cell : cell.PadRight(widths[c] + 2)));
            text.Append(line.TrimEnd()).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>Advertised text is untrusted: control characters (newlines, escapes) become spaces.</summary>
    private static string OneLine(string text) =>
        string.Concat(text.Select(c => char.IsControl(c) ? ' ' : c)).Trim();

    private static string Shorten(string text, int max)
    {
        if (text.Length <= max)
        {
            return text;
        }

        int cut = char.IsHighSurrogate(text[max - 2]) ? max - 2 : max - 1;
        return text[..cut] + "…";
    }
}
