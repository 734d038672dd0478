using System.Globalization;
using Microsoft.Extensions.Logging;

namespace OpenDesk.Serve.Logging;

/// <summary>
/// Writes log lines to the command's error stream as <c>opendesk serve: message</c> (what users and tests read on
/// stderr). The command's own category shows from Information; the server's (<c>opendesk.server</c>: sessions) only
/// from Warning, so a busy server does not flood the terminal. Thread-safe.
/// </summary>
internal sealed class TerminalLoggerProvider(TextWriter writer, string prefix, string commandCategory) : ILoggerProvider
{
    private readonly object _gate = new();

    public ILogger CreateLogger(string categoryName)
        => new LineLogger(categoryName, categoryName == commandCategory ? LogLevel.Information : LogLevel.Warning, (level, category, line) =>
        {
            lock (_gate)
            {
                writer.WriteLine(prefix + ": " + line);
                writer.Flush();
            }
        });

    public void Dispose()
    {
    }
}

/// <summary>
/// Appends every Information-or-above event to a file (<c>--log-file</c>): one line each,
/// <c>2026-11-23T06:50:00.123Z info  opendesk.server: message</c>. The file is created 0600 if missing and opened for
/// append (a restarted server adds to it). Thread-safe; each line is flushed.
/// </summary>
internal sealed class FileLoggerProvider : ILoggerProvider
{
    private readonly object _gate = new();
    private readonly StreamWriter _writer;
    private readonly TimeProvider _time;

    private FileLoggerProvider(StreamWriter writer, TimeProvider time)
    {
        _writer = writer;
        _time = time;
    }

    /// <summary>Opens (creating 0600) <paramref name="path"/> for append.</summary>
    /// <exception cref="IOException">The file or its folder cannot be opened.</exception>
    public static FileLoggerProvider Open(string path, TimeProvider? time = null)
    {
        string full = Path.GetFullPath(path);
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.Append, Access = FileAccess.Write, Share = FileShare.ReadWrite };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            var stream = new FileStream(full, options);
            return new FileLoggerProvider(new StreamWriter(stream, new System.Text.UTF8Encoding(false)), time ?? TimeProvider.System);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new IOException($"cannot open the log file {full}: {e.Message}", e);
        }
    }

    public ILogger CreateLogger(string categoryName) => new LineLogger(categoryName, LogLevel.Information, Write);

    private void Write(LogLevel level, string category, string line)
    {
        string stamp = _time.GetUtcNow().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        lock (_gate)
        {
            try
            {
                _writer.Write($"{stamp} {LevelName(level),-5} {category}: {line}\n");
                _writer.Flush();
            }
            catch (IOException)
            {
                // A full disk must not take the server down; the event is lost.
            }
            catch (ObjectDisposedException)
            {
                // Logged after shutdown.
            }
        }
    }

    private static string LevelName(LogLevel level) => level switch
    {
        LogLevel.Trace => "trace",
        LogLevel.Debug => "debug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "error",
        _ => "crit",
    };

    public void Dispose()
    {
        lock (_gate)
        {
            _writer.Dispose();
        }
    }
}

/// <summary>A logger that formats each enabled event (message, then the exception's message) into one line.</summary>
internal sealed class LineLogger(string category, LogLevel minimum, Action<LogLevel, string, string> write) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None && logLevel >= minimum;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
        {
            return;
        }

        string line = formatter(state, exception);
        if (exception is not null)
        {
            line += " (" + exception.GetType().Name + ": " + exception.Message + ")";
        }

        write(logLevel, category, line);
    }
}
