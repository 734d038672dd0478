using Microsoft.Extensions.Logging;

namespace OpenDesk.Serve.Logging;

/// <summary>The log events of <c>opendesk serve</c> and <c>opendesk pair</c> (source-generated).</summary>
internal static partial class CliLog
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "listening on ws://{Host}:{Port} fp={Fingerprint}")]
    public static partial void Listening(ILogger logger, string host, int port, string fingerprint);

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "advertised on the LAN as {Name} (mDNS)")]
    public static partial void Advertised(ILogger logger, string name);

    [LoggerMessage(EventId = 102, Level = LogLevel.Information, Message = "stopping")]
    public static partial void Stopping(ILogger logger);

    [LoggerMessage(EventId = 103, Level = LogLevel.Error, Message = "{Reason}")]
    public static partial void CannotStart(ILogger logger, string reason);

    [LoggerMessage(EventId = 104, Level = LogLevel.Error, Message = "no controller is paired with this machine yet, so nobody could connect.\n"
        + "  Pair one first: run `opendesk pair` here, then `opendesk pair-with <this machine's IP> <CODE>` on the controller.")]
    public static partial void NoController(ILogger logger);

    [LoggerMessage(EventId = 105, Level = LogLevel.Information, Message = "serving the test computer {Type}")]
    public static partial void TestComputer(ILogger logger, string type);

    [LoggerMessage(EventId = 106, Level = LogLevel.Error, Message = "{Variable} must be <assembly path>!<type name>")]
    public static partial void BadTestComputer(ILogger logger, string variable);

    [LoggerMessage(EventId = 107, Level = LogLevel.Information, Message = "started a private virtual display {Display}")]
    public static partial void VirtualDisplayStarted(ILogger logger, string display);

    [LoggerMessage(EventId = 108, Level = LogLevel.Error, Message = "cannot open this desktop: {Reason}")]
    public static partial void CannotOpenDesktop(ILogger logger, string reason);

    [LoggerMessage(EventId = 109, Level = LogLevel.Information, Message = "pairing open with code {Code} for {Seconds} s")]
    public static partial void PairingOpen(ILogger logger, string code, double seconds);

    [LoggerMessage(EventId = 110, Level = LogLevel.Error, Message = "{Reason}")]
    public static partial void PairingEnded(ILogger logger, string reason);
}
