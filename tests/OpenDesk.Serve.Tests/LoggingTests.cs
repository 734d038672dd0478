using Microsoft.Extensions.Logging;
using OpenDesk.Remote.Server;
using OpenDesk.Serve.Logging;

namespace OpenDesk.Serve.Tests;

/// <summary>The serve/pair log sinks: the terminal (stderr) lines and <c>--log-file</c>.</summary>
public sealed partial class LoggingTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "od-log-" + Guid.NewGuid().ToString("N")[..8]);

    public LoggingTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void LogFile_IsCreated0600_AndAppendsAcrossOpens_OneStampedLinePerEvent()
    {
        string path = Path.Combine(_dir, "serve.log");
        var time = new FixedTime(new DateTimeOffset(2026, 11, 23, 6, 50, 1, 234, TimeSpan.Zero));
        using (var loggers = new LoggerFactory([FileLoggerProvider.Open(path, time)]))
        {
            CliLog.Listening(loggers.CreateLogger("opendesk.serve"), "127.0.0.1", 8423, "abcd:ef01:2345:6789");
            TestLog.SessionOpened(loggers.CreateLogger(OpenDeskServer.LogCategory), "1a2b3c4d");
        }

        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }

        using (var loggers = new LoggerFactory([FileLoggerProvider.Open(path, time)]))
        {
            CliLog.Stopping(loggers.CreateLogger("opendesk.serve"));
            TestLog.Detail(loggers.CreateLogger(OpenDeskServer.LogCategory));
        }

        Assert.Equal(
            [
                "2026-11-23T06:50:01.234Z info  opendesk.serve: listening on ws://127.0.0.1:8423 fp=abcd:ef01:2345:6789",
                "2026-11-23T06:50:01.234Z info  opendesk.server: session 1a2b3c4d opened",
                "2026-11-23T06:50:01.234Z info  opendesk.serve: stopping",
            ],
            File.ReadAllLines(path));
    }

    [Fact]
    public void LogFile_InAMissingFolder_IsAClearError()
    {
        string path = Path.Combine(_dir, "no", "such", "dir", "serve.log");
        var e = Assert.Throws<IOException>(() => FileLoggerProvider.Open(path));
        Assert.StartsWith($"cannot open the log file {path}: ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Terminal_ShowsTheCommandFromInformation_TheServerOnlyFromWarning()
    {
        var writer = new StringWriter();
        using (var loggers = new LoggerFactory([new TerminalLoggerProvider(writer, "opendesk serve", "opendesk.serve")]))
        {
            ILogger server = loggers.CreateLogger(OpenDeskServer.LogCategory);
            CliLog.Advertised(loggers.CreateLogger("opendesk.serve"), "desk._opendesk._tcp.local");
            TestLog.SessionOpened(server, "1a2b3c4d");
            TestLog.Problem(server, "mDNS advertising is off: no multicast interface");
        }

        Assert.Equal(
            "opendesk serve: advertised on the LAN as desk._opendesk._tcp.local (mDNS)\n"
            + "opendesk serve: mDNS advertising is off: no multicast interface\n",
            writer.ToString().ReplaceLineEndings("\n"));
    }

    private static partial class TestLog
    {
        [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "session {SessionId} opened")]
        public static partial void SessionOpened(ILogger logger, string sessionId);

        [LoggerMessage(EventId = 2, Level = LogLevel.Debug, Message = "not written: below Information")]
        public static partial void Detail(ILogger logger);

        [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "{Problem}")]
        public static partial void Problem(ILogger logger, string problem);
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
