using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using OpenDesk.Remote.Trust;

namespace OpenDesk.Serve.Commands;

/// <summary>
/// <c>opendesk audit [--date YYYY-MM-DD] [--peer NAME] [--limit N] [--follow]</c>: reads the server's audit log
/// (<c>&lt;home&gt;/audit/YYYY-MM-DD.jsonl</c>), one line per event: time, type, peer, then the summary and outcome.
/// </summary>
internal static class AuditCommand
{
    public static Command Create()
    {
        Option<string?> homeOption = HomeOption.Create();
        var dateOption = new Option<string?>("--date") { Description = "The local date to read (YYYY-MM-DD, default today)." };
        var peerOption = new Option<string?>("--peer") { Description = "Only events of this peer (name or fingerprint prefix)." };
        var limitOption = new Option<int>("--limit") { Description = "Show the last N events (default 50; 0 = all).", DefaultValueFactory = _ => 50 };
        var followOption = new Option<bool>("--follow", "-f") { Description = "Keep printing new events until Ctrl+C." };
        var command = new Command("audit", "Show what controllers did on this machine.") { homeOption, dateOption, peerOption, limitOption, followOption };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var home = new OpenDeskHome(HomeOption.Resolve(parseResult.GetValue(homeOption)));
            TextWriter output = parseResult.InvocationConfiguration.Output;
            DateOnly date = DateOnly.FromDateTime(DateTime.Now);
            if (parseResult.GetValue(dateOption) is { } text && !DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out date))
            {
                await parseResult.InvocationConfiguration.Error.WriteLineAsync("opendesk audit: --date must be YYYY-MM-DD");
                return 64;
            }

            string path = Path.Combine(home.AuditDirectory, date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + ".jsonl");
            string? peer = parseResult.GetValue(peerOption);
            int limit = parseResult.GetValue(limitOption);
            long offset = 0;
            var lines = new List<string>();
            if (File.Exists(path))
            {
                (lines, offset) = ReadFrom(path, 0);
            }

            IEnumerable<string> shown = lines.Select(l => Format(l, peer)).OfType<string>();
            if (limit > 0)
            {
                shown = shown.TakeLast(limit);
            }

            foreach (string line in shown)
            {
                await output.WriteLineAsync(line);
            }

            if (!parseResult.GetValue(followOption))
            {
                if (lines.Count == 0)
                {
                    await output.WriteLineAsync($"(no audit events on {date:yyyy-MM-dd})");
                }

                return 0;
            }

            await output.FlushAsync(cancellationToken);
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(500));
            try
            {
                while (await timer.WaitForNextTickAsync(cancellationToken))
                {
                    if (!File.Exists(path))
                    {
                        continue;
                    }

                    (List<string> fresh, offset) = ReadFrom(path, offset);
                    foreach (string line in fresh.Select(l => Format(l, peer)).OfType<string>())
                    {
                        await output.WriteLineAsync(line);
                    }

                    await output.FlushAsync(cancellationToken);
                }
            }
            catch (OperationCanceledException)
            {
            }

            return 0;
        });
        return command;
    }

    private static (List<string> Lines, long Offset) ReadFrom(string path, long offset)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        if (offset > stream.Length)
        {
            offset = 0;
        }

        stream.Seek(offset, SeekOrigin.Begin);
        using var reader = new StreamReader(stream);
        string all = reader.ReadToEnd();
        int complete = all.LastIndexOf('\n') + 1;
        var lines = all[..complete].Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
        return (lines, offset + System.Text.Encoding.UTF8.GetByteCount(all.AsSpan(0, complete)));
    }

    /// <summary>One readable line for a JSONL event, or null when filtered out or unreadable.</summary>
    internal static string? Format(string json, string? peerFilter)
    {
        try
        {
            using JsonDocument doc = JsonDocument.Parse(json);
            JsonElement e = doc.RootElement;
            string name = e.TryGetProperty("peer", out JsonElement p) && p.TryGetProperty("name", out JsonElement n) ? n.GetString() ?? "" : "";
            string fp = p.ValueKind == JsonValueKind.Object && p.TryGetProperty("fp", out JsonElement f) ? f.GetString() ?? "" : "";
            if (peerFilter is not null && name != peerFilter && !fp.StartsWith(peerFilter.Replace(":", "", StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase))
            {
                return null;
            }

            double ts = e.TryGetProperty("ts", out JsonElement t) ? t.GetDouble() : 0;
            string time = DateTimeOffset.FromUnixTimeMilliseconds((long)(ts * 1000)).ToLocalTime().ToString("HH:mm:ss", CultureInfo.InvariantCulture);
            string type = e.TryGetProperty("type", out JsonElement ty) ? ty.GetString() ?? "" : "";
            string detail = type switch
            {
                "call" => $"{Str(e, "summary")} → {Str(e, "outcome")}" + (Str(e, "error_code") is { Length: > 0 } code ? $" ({code}: {Str(e, "error_message")})" : ""),
                "session.opened" => $"from {Str(e, "remote_addr")} ({Str(e, "mode")}) session {Str(e, "session_id")}",
                "session.closed" => $"after {Str(e, "duration")} s" + (Str(e, "reason") is { Length: > 0 } r ? $" ({r})" : ""),
                "session.rejected" => $"from {Str(e, "remote_addr")}: {Str(e, "reason")}",
                _ => "",
            };
            return $"{time}  {type,-16}  {(name.Length > 0 ? name : "-"),-14}  {detail}";
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Str(JsonElement e, string key) => e.TryGetProperty(key, out JsonElement v)
        ? v.ValueKind == JsonValueKind.String ? v.GetString() ?? "" : v.ToString()
        : "";
}
