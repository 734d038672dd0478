using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using OpenDesk.Core;
using OpenDesk.Mcp.Catalog;

namespace OpenDesk.Mcp.Tools;

/// <summary>The admin tools (peers, discovery, default, status, describe, capabilities, disconnect) and <c>audit</c>.</summary>
internal static class AdminTools
{
    public const string Peers = "opendesk_peers";
    public const string Discover = "opendesk_discover";
    public const string Use = "opendesk_use";
    public const string Status = "opendesk_status";
    public const string Describe = "opendesk_describe";
    public const string Capabilities = "opendesk_capabilities";
    public const string Disconnect = "opendesk_disconnect";
    public const string Audit = "audit";

    public static IEnumerable<AIFunction> Create(ToolRuntime runtime)
    {
        McpSession session = runtime.Session;
        yield return new CatalogTool(
            Peers,
            "List the computers this session can drive: local and every paired (trusted) peer, with the current default and open connections. Pairing is done outside MCP (`opendesk pair`).",
            Schema.Object([], [], withPeer: false),
            (args, ct) => runtime.RunAdminAsync(args, c => PeersAsync(session, c), ct));

        yield return new CatalogTool(
            Discover,
            "Browse the local network for OpenDesk servers (mDNS) and say which are already paired.",
            Schema.Object([("timeout", Schema.Num("Seconds to listen (default 2, at most 30).", 0.1, 2))], [], withPeer: false),
            (args, ct) => runtime.RunAdminAsync(args, c => DiscoverAsync(session, args, c), ct));

        yield return new CatalogTool(
            Use,
            "Set the default computer for this session: a paired peer's name, or 'local' to go back to this machine.",
            Schema.Object([("peer", Schema.Str("A paired peer's name (see opendesk_peers), or 'local'."))], ["peer"], withPeer: false),
            (args, ct) => runtime.RunAdminAsync(args, c => UseAsync(session, args, c), ct));

        yield return new CatalogTool(
            Status,
            "Show the session's default computer and why (explicit, persistent, implicit, local), open connections and the coordinate frame of each computer.",
            Schema.Object([], [], withPeer: false),
            (args, ct) => runtime.RunAdminAsync(args, c => StatusAsync(session, c), ct));

        yield return new CatalogTool(
            Describe,
            "Describe a computer: its name, fingerprint and description (what it is for).",
            Schema.Object([("peer", Schema.Str("A paired peer's name, or 'local'."))], ["peer"], withPeer: false),
            (args, ct) => runtime.RunAdminAsync(args, c => DescribeAsync(session, args, c), ct));

        yield return new CatalogTool(
            Capabilities,
            "What a computer can do: backend, protocol, capabilities, limits, displays (ids for screenshot's display) and the screenshot image budget.",
            Schema.Object([("peer", Schema.Str("A paired peer's name or 'local'. Default: the session default."))], [], withPeer: false),
            (args, ct) => runtime.RunComputerAsync(args, (ctx, c) => CapabilitiesAsync(session, ctx, c), ct));

        yield return new CatalogTool(
            Disconnect,
            "Close the connection to a peer (or all connections when peer is omitted). The next call to that peer reconnects.",
            Schema.Object([("peer", Schema.Str("A peer name; omit to close all connections."))], [], withPeer: false),
            (args, ct) => runtime.RunAdminAsync(args, c => DisconnectAsync(session, args), ct));

        yield return new CatalogTool(
            Audit,
            "The actions this MCP session performed (local only, never routed to a peer): summary or full list.",
            Schema.Object(
                [
                    ("format", Schema.Str("summary: counts per tool and computer; full: one line per action (default).", "summary", "full")),
                    ("session_id", Schema.Str("Accepted for compatibility; this server keeps one log per MCP session.")),
                ],
                [],
                withPeer: false),
            (args, ct) => ValueTask.FromResult(AuditText(session, args)));
    }

    private static async ValueTask<IList<AIContent>> PeersAsync(McpSession session, CancellationToken ct)
    {
        IReadOnlyList<TrustedPeer> peers = await session.GetRemotePeersAsync(ct).ConfigureAwait(false);
        EffectivePeer effective = await session.GetEffectivePeerAsync(ct).ConfigureAwait(false);
        IReadOnlyList<string> open = session.OpenConnections;
        var sb = new StringBuilder();
        if (effective.Source == PeerSource.Ambiguous)
        {
            sb.Append("Warning: several peers are paired and no default is set; calls without `peer` fail until you call opendesk_use.\n");
        }

        sb.Append("Available peers:\n");
        sb.Append("  local").Append(effective.Name == McpSession.LocalPeer ? $"  [default ({Source(effective.Source)})]" : "").Append('\n');
        foreach (TrustedPeer p in peers)
        {
            var tags = new List<string>();
            if (effective.Name == p.Name)
            {
                tags.Add($"default ({Source(effective.Source)})");
            }

            if (open.Contains(p.Name))
            {
                tags.Add("active");
            }

            sb.Append("  ").Append(p.Name);
            if (tags.Count > 0)
            {
                sb.Append("  [").Append(string.Join(", ", tags)).Append(']');
            }

            sb.Append("  (").Append(p.Fingerprint).Append(")\n");
            string head = FirstLine(p.EffectiveDescription, 160);
            if (head.Length > 0)
            {
                sb.Append("      ").Append(head).Append('\n');
            }
        }

        if (session.Peers is null)
        {
            sb.Append("(this server has no peer directory: only local is available)\n");
        }

        sb.Append("Use opendesk_describe <peer> for a peer's full description; pass peer=<name> on a tool call or opendesk_use to switch.");
        return ToolRuntime.Text(sb.ToString());
    }

    private static async ValueTask<IList<AIContent>> DiscoverAsync(McpSession session, ToolArgs args, CancellationToken ct)
    {
        double timeout = args.Number("timeout", 0.1, 30) ?? 2.0;
        IPeerDirectory peers = session.Peers ?? throw new CapabilityUnsupportedException(
            "discovery is not available: this server has no peer directory", new Dictionary<string, object?> { ["capability"] = "discover" });
        IReadOnlyList<DiscoveredPeer> found = await peers.DiscoverAsync(TimeSpan.FromSeconds(timeout), ct).ConfigureAwait(false);
        var sb = new StringBuilder().Append(CultureInfo.InvariantCulture, $"Found {found.Count} peer(s) on the LAN:");
        foreach (DiscoveredPeer p in found)
        {
            sb.Append(CultureInfo.InvariantCulture, $"\n  {p.Name}  {p.Host}:{p.Port}  {p.Fingerprint}  ")
              .Append(p.PairedAs is null ? "[NOT paired]" : $"[paired as {p.PairedAs}]");
            string head = FirstLine(p.Description, 160);
            if (head.Length > 0)
            {
                sb.Append("\n      ").Append(head);
            }
        }

        if (found.Any(p => p.PairedAs is null))
        {
            sb.Append("\nTo pair a new machine, a person runs `opendesk pair` there and `opendesk pair-with` here (never through MCP).");
        }

        return ToolRuntime.Text(sb.ToString());
    }

    private static async ValueTask<IList<AIContent>> UseAsync(McpSession session, ToolArgs args, CancellationToken ct)
    {
        string peer = args.RequiredString("peer").Trim();
        await session.UseAsync(peer, ct).ConfigureAwait(false);
        return ToolRuntime.Text($"Default peer is now: {peer}");
    }

    private static async ValueTask<IList<AIContent>> StatusAsync(McpSession session, CancellationToken ct)
    {
        EffectivePeer effective = await session.GetEffectivePeerAsync(ct).ConfigureAwait(false);
        var sb = new StringBuilder();
        sb.Append(effective.Source == PeerSource.Ambiguous
            ? $"Default peer: none (ambiguous: {string.Join(", ", effective.Candidates)} are paired; call opendesk_use)"
            : $"Default peer: {effective.Name} ({Source(effective.Source)})");
        IReadOnlyList<string> open = session.OpenConnections;
        sb.Append("\nOpen connections: ").Append(open.Count == 0 ? "none" : string.Join(", ", open));
        foreach (string name in new[] { McpSession.LocalPeer }.Concat(open))
        {
            CoordinateFrame? f = session.GetFrame(name);
            sb.Append("\nFrame of ").Append(name).Append(": ").Append(f is null
                ? "none yet (coordinates are desktop pixels until the first screenshot)"
                : Frames.Inv($"{f.ImageWidth}x{f.ImageHeight} image of desktop {f.Desktop}"));
        }

        return ToolRuntime.Text(sb.ToString());
    }

    private static async ValueTask<IList<AIContent>> DescribeAsync(McpSession session, ToolArgs args, CancellationToken ct)
    {
        string name = args.RequiredString("peer").Trim();
        if (name == McpSession.LocalPeer)
        {
            PeerContext local = await session.GetContextAsync(name, ct).ConfigureAwait(false);
            EnvironmentInfo env = await local.Computer.GetEnvironmentAsync(ct).ConfigureAwait(false);
            return ToolRuntime.Text($"Peer: local (this machine)\nHost: {env.Hostname}\nOS: {env.Os} {env.OsVersion}");
        }

        IReadOnlyList<TrustedPeer> peers = await session.GetRemotePeersAsync(ct).ConfigureAwait(false);
        TrustedPeer peer = peers.FirstOrDefault(p => p.Name == name) ?? throw new NotFoundException(
            $"unknown peer '{name}'. Known: {string.Join(", ", new[] { McpSession.LocalPeer }.Concat(peers.Select(p => p.Name)))}");
        var sb = new StringBuilder();
        sb.Append("Peer: ").Append(peer.Name).Append("\nFingerprint: ").Append(peer.Fingerprint);
        if (peer.LastHost is not null)
        {
            sb.Append(CultureInfo.InvariantCulture, $"\nLast seen at: {peer.LastHost}:{peer.LastPort}");
        }

        if (!string.IsNullOrWhiteSpace(peer.DescriptionOverride))
        {
            sb.Append("\nDescription (local override):\n").Append(peer.DescriptionOverride);
        }
        else
        {
            sb.Append("\nDescription:\n").Append(string.IsNullOrWhiteSpace(peer.Description) ? "(none)" : peer.Description);
        }

        return ToolRuntime.Text(sb.ToString());
    }

    private static async ValueTask<IList<AIContent>> CapabilitiesAsync(McpSession session, PeerContext context, CancellationToken ct)
    {
        CapabilityManifest manifest = await context.Computer.GetCapabilitiesAsync(ct).ConfigureAwait(false);
        IReadOnlyList<Display> displays = await context.GetDisplaysAsync(true, ct).ConfigureAwait(false);
        var sb = new StringBuilder();
        sb.Append("Peer: ").Append(context.Name)
          .Append("\nBackend: ").Append(manifest.Backend)
          .Append("\nProtocol: ").Append(manifest.ProtocolVersion);
        if (!string.IsNullOrWhiteSpace(manifest.Description))
        {
            sb.Append("\nDescription: ").Append(FirstLine(manifest.Description, 300));
        }

        sb.Append("\nCapabilities: ").Append(string.Join(", ", manifest.Capabilities.Select(c => c.Name).Order(StringComparer.Ordinal)));
        sb.Append("\nLimits: ").Append(LimitsJson(manifest.Limits));
        sb.Append("\nDisplays:");
        for (int i = 0; i < displays.Count; i++)
        {
            Display d = displays[i];
            (int w, int h) = CoordinateFrame.FitSize((int)d.Bounds.Width, (int)d.Bounds.Height, session.Options.MaxImageLongEdge, session.Options.MaxImagePixels);
            sb.Append(CultureInfo.InvariantCulture, $"\n  {d.Id}{(d.Primary ? " (primary)" : "")}{(d.Name is null ? "" : " " + d.Name)}: {d.Bounds}, scale {d.ScaleFactor:0.##}, screenshot {w}x{h}");
        }

        sb.Append(CultureInfo.InvariantCulture,
            $"\nScreenshot budget: long edge <= {session.Options.MaxImageLongEdge} px, <= {session.Options.MaxImagePixels} pixels, {session.Options.ImageFormat.ToWireName()} by default; never upscaled.");
        sb.Append("\nOCR on this server: ").Append(session.Options.OcrEngine is null ? "not available" : "available");
        return ToolRuntime.Text(sb.ToString());
    }

    private static async ValueTask<IList<AIContent>> DisconnectAsync(McpSession session, ToolArgs args)
    {
        string? name = args.String("peer");
        name = string.IsNullOrWhiteSpace(name) ? null : name.Trim();
        IReadOnlyList<string> closed = await session.DisconnectAsync(name).ConfigureAwait(false);
        return ToolRuntime.Text(name is null
            ? $"Closed {closed.Count} connection(s)."
            : closed.Count == 1 ? $"Closed connection to {name}." : $"No open connection to {name}.");
    }

    private static IList<AIContent> AuditText(McpSession session, ToolArgs args)
    {
        args.RejectUnknown();
        string format = args.Enum("format", ["summary", "full"], "full");
        _ = args.String("session_id");
        IReadOnlyList<AuditEntry> log = session.AuditLog;
        var sb = new StringBuilder();
        if (log.Count == 0)
        {
            return ToolRuntime.Text("No actions recorded in this session yet.");
        }

        if (format == "summary")
        {
            sb.Append(CultureInfo.InvariantCulture, $"{log.Count} action(s) in this session, {log.Count(e => e.Error is not null)} failed.");
            foreach (var g in log.GroupBy(e => (e.Peer, e.Tool)).OrderBy(g => g.Key.Peer, StringComparer.Ordinal).ThenBy(g => g.Key.Tool, StringComparer.Ordinal))
            {
                sb.Append(CultureInfo.InvariantCulture, $"\n  {g.Key.Peer} {g.Key.Tool}: {g.Count()}");
                int failed = g.Count(e => e.Error is not null);
                if (failed > 0)
                {
                    sb.Append(CultureInfo.InvariantCulture, $" ({failed} failed)");
                }
            }

            return ToolRuntime.Text(sb.ToString());
        }

        foreach (AuditEntry e in log)
        {
            sb.Append(CultureInfo.InvariantCulture, $"[{e.At.ToLocalTime():yyyy-MM-dd HH:mm:ss}] {e.Peer} {e.Tool}{(e.Action is null ? "" : "." + e.Action)}  {e.Arguments}");
            if (e.Error is not null)
            {
                sb.Append("  ERROR: ").Append(e.Error);
            }

            sb.Append('\n');
        }

        return ToolRuntime.Text(sb.ToString().TrimEnd());
    }

    private static string Source(PeerSource source) => source.ToString().ToLowerInvariant();

    private static string FirstLine(string text, int max)
    {
        string line = (text ?? "").Trim().Split('\n')[0].Trim();
        return line.Length <= max ? line : line[..max] + "…";
    }

    private static string LimitsJson(IReadOnlyDictionary<string, IReadOnlyDictionary<string, object?>> limits)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            foreach (var (cap, map) in limits.OrderBy(k => k.Key, StringComparer.Ordinal))
            {
                writer.WriteStartObject(cap);
                foreach (var (key, value) in map.OrderBy(k => k.Key, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(key);
                    WriteValue(writer, value);
                }

                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void WriteValue(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case null: writer.WriteNullValue(); break;
            case bool b: writer.WriteBooleanValue(b); break;
            case string s: writer.WriteStringValue(s); break;
            case int i: writer.WriteNumberValue(i); break;
            case long l: writer.WriteNumberValue(l); break;
            case double d: writer.WriteNumberValue(d); break;
            case float f: writer.WriteNumberValue(f); break;
            case System.Collections.IEnumerable e when value is not string:
                writer.WriteStartArray();
                foreach (object? item in e)
                {
                    WriteValue(writer, item);
                }

                writer.WriteEndArray();
                break;
            default: writer.WriteStringValue(Convert.ToString(value, CultureInfo.InvariantCulture)); break;
        }
    }
}
