using Microsoft.Extensions.Logging;

namespace OpenDesk.Remote.Server;

/// <summary>
/// The server's log events (source-generated, category <see cref="Category"/>). Sessions are Information; problems
/// that leave the server running are Warning. The audit log stays the record of what controllers did; this log is for
/// the operator (<c>opendesk serve --log-file</c>).
/// </summary>
internal static partial class ServerLog
{
    /// <summary>The logger category of <see cref="OpenDeskServer"/>.</summary>
    public const string Category = OpenDeskServer.LogCategory;

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "{Notice}")]
    public static partial void PolicyNotice(ILogger logger, string notice);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "mDNS advertising is off: {Reason}")]
    public static partial void MdnsOff(ILogger logger, string reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "the computer did not report its capabilities: {Reason}")]
    public static partial void CapabilitiesUnavailable(ILogger logger, string reason);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "cannot read trusted peers: {Reason}")]
    public static partial void TrustUnreadable(ILogger logger, string reason);

    [LoggerMessage(EventId = 10, Level = LogLevel.Information, Message = "session {SessionId} opened: {Peer} from {RemoteAddress} ({Mode})")]
    public static partial void SessionOpened(ILogger logger, string sessionId, string peer, string remoteAddress, string mode);

    [LoggerMessage(EventId = 11, Level = LogLevel.Information, Message = "session {SessionId} closed: {Peer} after {Seconds} s ({Reason})")]
    public static partial void SessionClosed(ILogger logger, string sessionId, string peer, double seconds, string reason);

    [LoggerMessage(EventId = 12, Level = LogLevel.Information, Message = "connection from {RemoteAddress} ({Peer}) rejected: {Reason}")]
    public static partial void SessionRejected(ILogger logger, string remoteAddress, string peer, string reason);

    [LoggerMessage(EventId = 13, Level = LogLevel.Information, Message = "paired with {Peer} ({Fingerprint}) from {RemoteAddress}")]
    public static partial void Paired(ILogger logger, string peer, string fingerprint, string remoteAddress);
}
