using System.CommandLine;
using System.Globalization;
using System.Text;
using OpenDesk.Remote.Server;
using OpenDesk.Remote.Trust;

namespace OpenDesk.Serve.Commands;

/// <summary><c>opendesk sessions</c>: the active controller of the running server (table PEER, FROM, AGE, ID; 0 or 1 row).</summary>
internal static class SessionsCommand
{
    private static readonly string[] s_header = ["PEER", "FROM", "AGE", "ID"];

    public static Command Create()
    {
        Option<string?> homeOption = HomeOption.Create();
        var command = new Command("sessions", "Show who controls this machine right now.") { homeOption };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var home = new OpenDeskHome(HomeOption.Resolve(parseResult.GetValue(homeOption)));
            try
            {
                IReadOnlyList<ServerSessionInfo> sessions = await OpenDeskAdmin.ListSessionsAsync(home, cancellationToken);
                await parseResult.InvocationConfiguration.Output.WriteAsync(Format(sessions));
                return 0;
            }
            catch (IOException e)
            {
                await parseResult.InvocationConfiguration.Error.WriteLineAsync($"opendesk sessions: {e.Message}");
                return 1;
            }
        });
        return command;
    }

    internal static string Format(IReadOnlyList<ServerSessionInfo> sessions)
    {
        if (sessions.Count == 0)
        {
            return "No controller is connected.\n";
        }

        var rows = new List<string[]> { s_header };
        rows.AddRange(sessions.Select(s => new[] { s.PeerName + (s.Mode == "pair" ? " (pairing)" : ""), s.RemoteAddress, Age(s.Age), s.Id }));
        int[] widths = [.. Enumerable.Range(0, 4).Select(i => rows.Max(r => r[i].Length))];
        var text = new StringBuilder();
        foreach (string[] row in rows)
        {
            text.AppendJoin("  ", row.Select((cell, i) => i == 3 ? cell : cell.PadRight(widths[i]))).Append('\n');
        }

        return text.ToString();
    }

    private static string Age(TimeSpan age) => age.TotalHours >= 1
        ? string.Create(CultureInfo.InvariantCulture, $"{(int)age.TotalHours}h{age.Minutes:00}m")
        : age.TotalMinutes >= 1 ? string.Create(CultureInfo.InvariantCulture, $"{(int)age.TotalMinutes}m{age.Seconds:00}s")
        : string.Create(CultureInfo.InvariantCulture, $"{(int)age.TotalSeconds}s");
}
