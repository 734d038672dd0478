namespace OpenDesk.Core;

/// <summary>The protocol-v1 error codes (wire names in <see cref="ErrorCodes"/>), one <see cref="OpenDeskException"/> subclass each.</summary>
public enum ErrorCode
{
    /// <summary><c>internal</c>: anything else.</summary>
    Internal,
    /// <summary><c>capability_unsupported</c>: the backend lacks the capability, or the method is unknown.</summary>
    CapabilityUnsupported,
    /// <summary><c>permission_denied</c>: a policy denied the call.</summary>
    PermissionDenied,
    /// <summary><c>invalid_argument</c>: bad parameters.</summary>
    InvalidArgument,
    /// <summary><c>not_found</c>: a missing file or object.</summary>
    NotFound,
    /// <summary><c>timeout</c>: the operation timed out.</summary>
    Timeout,
    /// <summary><c>cancelled</c>: the call was cancelled.</summary>
    Cancelled,
    /// <summary><c>protocol</c>: a protocol violation or a lost connection.</summary>
    Protocol,
    /// <summary><c>busy</c>: another controller is active.</summary>
    Busy,
}

/// <summary>Wire names of <see cref="ErrorCode"/>.</summary>
public static class ErrorCodes
{
    /// <summary>The protocol-v1 wire name of <paramref name="code"/>, e.g. <c>capability_unsupported</c>.</summary>
    /// <param name="code">The code.</param>
    public static string ToWireName(this ErrorCode code) => code switch
    {
        ErrorCode.CapabilityUnsupported => "capability_unsupported",
        ErrorCode.PermissionDenied => "permission_denied",
        ErrorCode.InvalidArgument => "invalid_argument",
        ErrorCode.NotFound => "not_found",
        ErrorCode.Timeout => "timeout",
        ErrorCode.Cancelled => "cancelled",
        ErrorCode.Protocol => "protocol",
        ErrorCode.Busy => "busy",
        _ => "internal",
    };

    /// <summary>Parses a wire name; unknown names give <see cref="ErrorCode.Internal"/> and <c>false</c>.</summary>
    /// <param name="wireName">The wire name, e.g. <c>not_found</c>.</param>
    /// <param name="code">The parsed code, or <see cref="ErrorCode.Internal"/>.</param>
    public static bool TryParse(string? wireName, out ErrorCode code)
    {
        code = wireName switch
        {
            "capability_unsupported" => ErrorCode.CapabilityUnsupported,
            "permission_denied" => ErrorCode.PermissionDenied,
            "invalid_argument" => ErrorCode.InvalidArgument,
            "not_found" => ErrorCode.NotFound,
            "timeout" => ErrorCode.Timeout,
            "cancelled" => ErrorCode.Cancelled,
            "protocol" => ErrorCode.Protocol,
            "busy" => ErrorCode.Busy,
            _ => ErrorCode.Internal,
        };
        return code != ErrorCode.Internal || wireName == "internal";
    }
}

/// <summary>
/// An operational failure with a protocol-v1 error code. One subclass per <see cref="ErrorCode"/>; the message is
/// safe to show to a model or a remote peer (never secrets or raw key bytes).
/// </summary>
public abstract class OpenDeskException : Exception
{
    private protected OpenDeskException(string message, IReadOnlyDictionary<string, object?>? details, Exception? innerException)
        : base(message, innerException)
    {
        Details = details ?? new Dictionary<string, object?>();
    }

    /// <summary>The wire error code of this failure.</summary>
    public abstract ErrorCode Code { get; }

    /// <summary>Structured details sent with the error (protocol-v1 <c>ErrorInfo.details</c>); never null.</summary>
    public IReadOnlyDictionary<string, object?> Details { get; }

    /// <summary>Creates the exception subclass that matches <paramref name="code"/>.</summary>
    /// <param name="code">The error code.</param>
    /// <param name="message">The message.</param>
    /// <param name="details">Optional details.</param>
    public static OpenDeskException FromCode(ErrorCode code, string message, IReadOnlyDictionary<string, object?>? details = null) => code switch
    {
        ErrorCode.CapabilityUnsupported => new CapabilityUnsupportedException(message, details),
        ErrorCode.PermissionDenied => new PermissionDeniedException(message, details),
        ErrorCode.InvalidArgument => new InvalidArgumentException(message, details),
        ErrorCode.NotFound => new NotFoundException(message, details),
        ErrorCode.Timeout => new OperationTimedOutException(message, details),
        ErrorCode.Cancelled => new CallCancelledException(message, details),
        ErrorCode.Protocol => new ProtocolException(message, details),
        ErrorCode.Busy => new BusyException(message, details),
        _ => new InternalErrorException(message, details),
    };
}

/// <summary><c>capability_unsupported</c>: the backend lacks a capability, or the method is unknown.</summary>
public sealed class CapabilityUnsupportedException : OpenDeskException
{
    /// <summary>Creates the exception with <c>details = {capability, backend}</c>.</summary>
    /// <param name="capability">The capability or method that is not supported.</param>
    /// <param name="backend">The backend name, e.g. <c>local/linux</c>.</param>
    public CapabilityUnsupportedException(string capability, string backend)
        : this($"capability '{capability}' is not supported by backend '{backend}'",
               new Dictionary<string, object?> { ["capability"] = capability, ["backend"] = backend })
    {
    }

    /// <summary>Creates the exception with a message and details as received.</summary>
    /// <param name="message">The message.</param>
    /// <param name="details">The details, usually <c>{capability, backend}</c>.</param>
    public CapabilityUnsupportedException(string message, IReadOnlyDictionary<string, object?>? details)
        : base(message, details, null)
    {
    }

    /// <inheritdoc />
    public override ErrorCode Code => ErrorCode.CapabilityUnsupported;
}

/// <summary><c>permission_denied</c>: a policy denied the call.</summary>
/// <param name="message">The message.</param>
/// <param name="details">Optional details.</param>
public sealed class PermissionDeniedException(string message, IReadOnlyDictionary<string, object?>? details = null)
    : OpenDeskException(message, details, null)
{
    /// <inheritdoc />
    public override ErrorCode Code => ErrorCode.PermissionDenied;
}

/// <summary><c>invalid_argument</c>: bad parameters.</summary>
/// <param name="message">The message, naming the bad argument.</param>
/// <param name="details">Optional details.</param>
public sealed class InvalidArgumentException(string message, IReadOnlyDictionary<string, object?>? details = null)
    : OpenDeskException(message, details, null)
{
    /// <inheritdoc />
    public override ErrorCode Code => ErrorCode.InvalidArgument;
}

/// <summary><c>not_found</c>: a missing file, window, app, element or peer.</summary>
/// <param name="message">The message, naming what is missing.</param>
/// <param name="details">Optional details.</param>
public sealed class NotFoundException(string message, IReadOnlyDictionary<string, object?>? details = null)
    : OpenDeskException(message, details, null)
{
    /// <inheritdoc />
    public override ErrorCode Code => ErrorCode.NotFound;
}

/// <summary><c>timeout</c>: the operation timed out.</summary>
/// <param name="message">The message.</param>
/// <param name="details">Optional details.</param>
public sealed class OperationTimedOutException(string message, IReadOnlyDictionary<string, object?>? details = null)
    : OpenDeskException(message, details, null)
{
    /// <inheritdoc />
    public override ErrorCode Code => ErrorCode.Timeout;
}

/// <summary><c>cancelled</c>: the remote side cancelled the call.</summary>
/// <param name="message">The message.</param>
/// <param name="details">Optional details.</param>
public sealed class CallCancelledException(string message, IReadOnlyDictionary<string, object?>? details = null)
    : OpenDeskException(message, details, null)
{
    /// <inheritdoc />
    public override ErrorCode Code => ErrorCode.Cancelled;
}

/// <summary><c>internal</c>: any other failure.</summary>
/// <param name="message">The message.</param>
/// <param name="details">Optional details.</param>
/// <param name="innerException">The cause, if any.</param>
public sealed class InternalErrorException(string message, IReadOnlyDictionary<string, object?>? details = null, Exception? innerException = null)
    : OpenDeskException(message, details, innerException)
{
    /// <inheritdoc />
    public override ErrorCode Code => ErrorCode.Internal;
}

/// <summary><c>protocol</c>: a protocol violation. Subclassed for a lost connection (transient).</summary>
public class ProtocolException : OpenDeskException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="details">Optional details.</param>
    /// <param name="innerException">The cause, if any.</param>
    public ProtocolException(string message, IReadOnlyDictionary<string, object?>? details = null, Exception? innerException = null)
        : base(message, details, innerException)
    {
    }

    /// <inheritdoc />
    public override ErrorCode Code => ErrorCode.Protocol;
}

/// <summary>The connection to a peer closed while a call was in flight (code <c>protocol</c>, transient).</summary>
/// <param name="message">The message, e.g. why the connection closed.</param>
/// <param name="innerException">The cause, if any.</param>
public sealed class PeerDisconnectedException(string message, Exception? innerException = null)
    : ProtocolException(message, null, innerException);

/// <summary><c>busy</c>: another controller is active on the peer.</summary>
/// <param name="message">The message, naming the active controller.</param>
/// <param name="details">Optional details.</param>
public sealed class BusyException(string message, IReadOnlyDictionary<string, object?>? details = null)
    : OpenDeskException(message, details, null)
{
    /// <inheritdoc />
    public override ErrorCode Code => ErrorCode.Busy;
}
