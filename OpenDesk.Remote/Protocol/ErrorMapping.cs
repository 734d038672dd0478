using OpenDesk.Core;

namespace OpenDesk.Remote.Protocol;

/// <summary>The one place where wire <see cref="ErrorInfo"/> and <see cref="OpenDeskException"/> meet (spec §9).</summary>
internal static class ErrorMapping
{
    /// <summary>The exception for a received error: <see cref="OpenDeskException.FromCode"/> of its code (unknown codes → <c>internal</c>).</summary>
    public static OpenDeskException ToException(ErrorInfo error)
    {
        ArgumentNullException.ThrowIfNull(error);
        // Unknown codes map to internal (TryParse leaves ErrorCode.Internal).
        ErrorCode code = ErrorCodes.TryParse(error.Code, out ErrorCode parsed) ? parsed : ErrorCode.Internal;
        return OpenDeskException.FromCode(code, error.Message, error.Details);
    }

    /// <summary>
    /// The error to send for a handler failure: <see cref="OpenDeskException"/> → its code, message and details;
    /// <see cref="OperationCanceledException"/> → <c>cancelled</c>; <see cref="ArgumentException"/>/<see cref="FormatException"/>
    /// → <c>invalid_argument</c>; <see cref="FileNotFoundException"/>/<see cref="DirectoryNotFoundException"/> → <c>not_found</c>;
    /// <see cref="TimeoutException"/> → <c>timeout</c>; <see cref="UnauthorizedAccessException"/> → <c>permission_denied</c>;
    /// anything else → <c>internal</c> with the exception's message (or its type name).
    /// </summary>
    public static ErrorInfo FromException(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception switch
        {
            OpenDeskException o => new ErrorInfo(o.Code.ToWireName(), o.Message, o.Details),
            OperationCanceledException => new ErrorInfo(ErrorCode.Cancelled.ToWireName(), "cancelled"),
            ArgumentException or FormatException => new ErrorInfo(ErrorCode.InvalidArgument.ToWireName(), exception.Message),
            FileNotFoundException or DirectoryNotFoundException => new ErrorInfo(ErrorCode.NotFound.ToWireName(), exception.Message),
            TimeoutException => new ErrorInfo(ErrorCode.Timeout.ToWireName(), exception.Message),
            UnauthorizedAccessException => new ErrorInfo(ErrorCode.PermissionDenied.ToWireName(), exception.Message),
            _ => new ErrorInfo(ErrorCode.Internal.ToWireName(), string.IsNullOrEmpty(exception.Message) ? exception.GetType().Name : exception.Message),
        };
    }
}
