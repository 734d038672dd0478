using System.Diagnostics;
using Microsoft.Extensions.AI;
using OpenDesk.Core;
using OpenDesk.Mcp.Catalog;

namespace OpenDesk.Mcp.Tools;

/// <summary>Shared plumbing of the computer tools: peer resolution, connection loss, <c>[on peer]</c>, audit.</summary>
internal sealed class ToolRuntime(McpSession session)
{
    public McpSession Session { get; } = session;

    public OpenDeskToolOptions Options => Session.Options;

    public async ValueTask<IList<AIContent>> RunComputerAsync(
        ToolArgs args,
        Func<PeerContext, CancellationToken, ValueTask<IList<AIContent>>> body,
        CancellationToken cancellationToken)
    {
        DateTimeOffset at = Options.TimeProvider.GetUtcNow();
        long started = Stopwatch.GetTimestamp();
        string? action = TryGetAction(args);
        string peerName = "?";
        PeerContext? context = null;
        try
        {
            peerName = await Session.ResolveAsync(args.String("peer"), cancellationToken).ConfigureAwait(false);
            context = await Session.GetContextAsync(peerName, cancellationToken).ConfigureAwait(false);
            IList<AIContent> result;
            try
            {
                result = await body(context, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (!context.IsLocal && IsConnectionLoss(e, cancellationToken))
            {
                await Session.DropAsync(context).ConfigureAwait(false);
                throw new ProtocolException(
                    $"the connection to peer '{peerName}' was lost ({e.Message}). It has been dropped; the next call reconnects. "
                    + "If another controller took over the peer, it stays busy until that controller disconnects.",
                    null,
                    e);
            }

            if (!context.IsLocal)
            {
                PrefixPeer(result, peerName);
            }

            Session.Record(new AuditEntry(at, peerName, args.Tool, action, args.Summary(), null, Stopwatch.GetElapsedTime(started)));
            return result;
        }
        catch (OpenDeskException e)
        {
            Session.Record(new AuditEntry(at, peerName, args.Tool, action, args.Summary(), e.Message, Stopwatch.GetElapsedTime(started)));
            if (context is { IsLocal: false } && !e.Message.StartsWith("[on ", StringComparison.Ordinal))
            {
                throw OpenDeskException.FromCode(e.Code, $"[on {peerName}] {e.Message}", e.Details);
            }

            throw;
        }
    }

    public async ValueTask<IList<AIContent>> RunAdminAsync(
        ToolArgs args,
        Func<CancellationToken, ValueTask<IList<AIContent>>> body,
        CancellationToken cancellationToken)
    {
        DateTimeOffset at = Options.TimeProvider.GetUtcNow();
        long started = Stopwatch.GetTimestamp();
        try
        {
            IList<AIContent> result = await body(cancellationToken).ConfigureAwait(false);
            Session.Record(new AuditEntry(at, McpSession.LocalPeer, args.Tool, null, args.Summary(), null, Stopwatch.GetElapsedTime(started)));
            return result;
        }
        catch (OpenDeskException e)
        {
            Session.Record(new AuditEntry(at, McpSession.LocalPeer, args.Tool, null, args.Summary(), e.Message, Stopwatch.GetElapsedTime(started)));
            throw;
        }
    }

    public static IList<AIContent> Text(string text) => [new TextContent(text)];

    private static string? TryGetAction(ToolArgs args)
    {
        try
        {
            return args.String("action");
        }
        catch (InvalidArgumentException)
        {
            return null;
        }
    }

    private static bool IsConnectionLoss(Exception e, CancellationToken cancellationToken)
        => e is ProtocolException or ObjectDisposedException or IOException
           || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested);

    private static void PrefixPeer(IList<AIContent> result, string peer)
    {
        string prefix = $"[on {peer}] ";
        for (int i = 0; i < result.Count; i++)
        {
            if (result[i] is TextContent t)
            {
                result[i] = new TextContent(prefix + t.Text);
                return;
            }
        }

        result.Insert(0, new TextContent(prefix.TrimEnd()));
    }
}
