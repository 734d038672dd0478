using System.Globalization;
using OpenDesk.Remote.Peering;
using OpenDesk.Remote.Protocol;

namespace OpenDesk.Remote.Server;

/// <summary>One authenticated controller connection (Python <c>SessionInfo</c>).</summary>
internal sealed class ServerSession
{
    private readonly TaskCompletionSource _opening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _killRequested = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _killed;

    public ServerSession(Peer peer, string peerName, byte[] publicKey, string remoteAddress, string mode, DateTimeOffset startedAt)
    {
        Peer = peer;
        PeerName = peerName;
        PublicKey = publicKey;
        RemoteAddress = remoteAddress;
        Mode = mode;
        StartedAt = startedAt;
        Id = Guid.NewGuid().ToString("N")[..8];
    }

    public string Id { get; }

    public Peer Peer { get; }

    public string PeerName { get; }

    public byte[] PublicKey { get; }

    public string PublicKeyHex => Convert.ToHexStringLower(PublicKey);

    public string RemoteAddress { get; }

    public string Mode { get; }

    public DateTimeOffset StartedAt { get; }

    /// <summary>Why the server ended the session ("" when the controller left or the connection dropped).</summary>
    public string CloseReason { get; private set; } = "";

    /// <summary>Completes when a kill was asked for (tests).</summary>
    internal Task KillRequested => _killRequested.Task;

    /// <summary>
    /// Ends the opening: the HELLO exchange is done, the peer reads and <c>session.opened</c> is audited, or the opening
    /// failed. A kill waits for this, so it never cuts into the HELLO exchange. Idempotent.
    /// </summary>
    public void EndOpening() => _opening.TrySetResult();

    public bool SameKey(ReadOnlySpan<byte> key) => PublicKey.AsSpan().SequenceEqual(key);

    public Dictionary<string, object?> ToAdminMap(DateTimeOffset now) => new()
    {
        ["id"] = Id,
        ["peer_name"] = PeerName,
        ["peer_pubkey_hex"] = PublicKeyHex,
        ["remote_addr"] = RemoteAddress,
        ["started_at"] = StartedAt.ToUnixTimeMilliseconds() / 1000.0,
        ["age_seconds"] = Math.Round((now - StartedAt).TotalSeconds, 3),
        ["mode"] = Mode,
    };

    /// <summary>
    /// Waits for the opening to end (<see cref="EndOpening"/>; bounded by the server's HELLO timeout), sends
    /// <c>session.evicted {reason}</c> (at most 2 s), then closes the connection. Idempotent.
    /// </summary>
    /// <remarks>
    /// A session is listed (and can be killed) from the moment it holds the controller slot, before its HELLO exchange
    /// ends. Killing it there used to close the connection under the exchange: the server then audited a rejected
    /// HELLO instead of <c>session.closed</c>, and the push preceded the HELLO the controller waits for.
    /// </remarks>
    public async Task KillAsync(string reason)
    {
        if (Interlocked.Exchange(ref _killed, 1) != 0)
        {
            return;
        }

        CloseReason = "evicted: " + reason;
        _killRequested.TrySetResult();
        await _opening.Task.ConfigureAwait(false);
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2)))
        {
            try
            {
                await Peer.SendPushAsync(PushFrame.SessionEvicted, new Dictionary<string, object?> { ["reason"] = reason }, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OpenDesk.Core.OpenDeskException or OperationCanceledException or IOException)
            {
                // Already gone: closing is all that is left.
            }
        }

        await Peer.DisposeAsync().ConfigureAwait(false);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"session {Id} ({PeerName} from {RemoteAddress})");
}
