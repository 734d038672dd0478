namespace OpenDesk.Remote.Protocol;

/// <summary>Why a handshake failed (spec §4–§5 <c>AuthFailure</c> reasons, plus <see cref="Timeout"/>).</summary>
internal enum HandshakeFailure
{
    /// <summary><c>wrong_code</c>: the pairing codes differ (a pairing ciphertext did not decrypt).</summary>
    WrongCode,

    /// <summary><c>untrusted_peer</c>: (server) the client's static key is not trusted.</summary>
    UntrustedPeer,

    /// <summary><c>unexpected_peer</c>: (client) the server is not the one expected, or it does not trust us (deliberately ambiguous).</summary>
    UnexpectedPeer,

    /// <summary><c>protocol</c>: a malformed, unexpected or truncated message, or the connection closed.</summary>
    Protocol,

    /// <summary>The handshake did not finish within its timeout.</summary>
    Timeout,
}

/// <summary>A failed handshake. The transport has been closed.</summary>
internal sealed class HandshakeException : Exception
{
    public HandshakeException(HandshakeFailure reason, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Reason = reason;
    }

    /// <summary>Why it failed.</summary>
    public HandshakeFailure Reason { get; }

    /// <summary>The wire/audit name of <see cref="Reason"/>: <c>wrong_code</c>, <c>untrusted_peer</c>, <c>unexpected_peer</c>, <c>protocol</c> or <c>timeout</c>.</summary>
    public string ReasonName => Reason switch
    {
        HandshakeFailure.WrongCode => "wrong_code",
        HandshakeFailure.UntrustedPeer => "untrusted_peer",
        HandshakeFailure.UnexpectedPeer => "unexpected_peer",
        HandshakeFailure.Timeout => "timeout",
        _ => "protocol",
    };
}
