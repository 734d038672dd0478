using OpenDesk.Core;

namespace OpenDesk.Remote.Client;

/// <summary>
/// The server ended this controller's session with a <c>session.evicted</c> push (admin disconnect, unpair, another
/// connection of the same controller, or server shutdown). A <see cref="RemoteComputer"/> does not reconnect after it;
/// every later call throws this exception. Code <c>protocol</c>.
/// </summary>
public sealed class SessionEvictedException : ProtocolException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="reason">The reason the server gave, e.g. <c>admin_disconnect</c>.</param>
    public SessionEvictedException(string reason)
        : base($"session evicted by server: {reason}", new Dictionary<string, object?> { ["reason"] = reason })
    {
        Reason = reason;
    }

    /// <summary>The reason the server gave.</summary>
    public string Reason { get; }
}
