using System.Globalization;
using System.Text;
using System.Text.Json;
using OpenDesk.Core;
using OpenDesk.Remote.Trust;

namespace OpenDesk.Remote.Server;

/// <summary>
/// The server's audit log: append-only JSONL, one file per local date (<c>&lt;home&gt;/audit/YYYY-MM-DD.jsonl</c>,
/// folder 0700, files 0600), sorted keys, one flushed line per event. Lines are <c>session.opened</c>,
/// <c>session.closed</c>, <c>session.rejected</c> and <c>call</c>, as in Python opendesk; parameters appear only as a
/// <see cref="CallSummary"/>. A disabled log (<c>--no-audit</c>) writes nothing. Thread-safe.
/// </summary>
internal sealed class AuditLog : IDisposable
{
    private readonly object _gate = new();
    private readonly string? _directory;
    private readonly TimeProvider _time;
    private string? _currentPath;
    private FileStream? _stream;

    public AuditLog(OpenDeskHome? home, bool enabled = true, TimeProvider? time = null)
    {
        _directory = enabled && home is not null ? home.AuditDirectory : null;
        _time = time ?? TimeProvider.System;
    }

    public static AuditLog Disabled { get; } = new(null, enabled: false);

    public bool Enabled => _directory is not null;

    /// <summary>The file for a local date.</summary>
    public static string FileFor(OpenDeskHome home, DateOnly date)
        => Path.Combine(home.AuditDirectory, date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + ".jsonl");

    public void SessionOpened(string sessionId, string peerName, ReadOnlySpan<byte> peerKey, string remoteAddress, string mode)
        => Write("session.opened", peerName, peerKey, new()
        {
            ["session_id"] = sessionId,
            ["remote_addr"] = remoteAddress,
            ["mode"] = mode,
        });

    public void SessionClosed(string sessionId, string peerName, ReadOnlySpan<byte> peerKey, TimeSpan duration, string reason)
        => Write("session.closed", peerName, peerKey, new()
        {
            ["session_id"] = sessionId,
            ["duration"] = Math.Round(duration.TotalSeconds, 3),
            ["reason"] = reason,
        });

    public void SessionRejected(string? peerName, ReadOnlySpan<byte> peerKey, string remoteAddress, string reason)
        => Write("session.rejected", peerName, peerKey, new()
        {
            ["remote_addr"] = remoteAddress,
            ["reason"] = reason,
        });

    public void Call(string sessionId, string peerName, ReadOnlySpan<byte> peerKey, string method, string summary, Exception? error)
    {
        var fields = new SortedDictionary<string, object?>(StringComparer.Ordinal)
        {
            ["session_id"] = sessionId,
            ["method"] = method,
            ["summary"] = summary,
            ["outcome"] = error is null ? "ok" : "error",
        };
        if (error is not null)
        {
            fields["error_code"] = error is OpenDeskException ode ? ode.Code.ToWireName() : error is OperationCanceledException ? "cancelled" : "internal";
            string message = error.Message;
            fields["error_message"] = message.Length <= 200 ? message : message[..200];
        }

        Write("call", peerName, peerKey, fields);
    }

    private void Write(string type, string? peerName, ReadOnlySpan<byte> peerKey, SortedDictionary<string, object?> fields)
    {
        if (_directory is null)
        {
            return;
        }

        DateTimeOffset now = _time.GetLocalNow();
        fields["ts"] = Math.Round(now.ToUnixTimeMilliseconds() / 1000.0, 3);
        fields["type"] = type;
        fields["peer"] = new SortedDictionary<string, object?>(StringComparer.Ordinal)
        {
            ["name"] = peerName ?? "",
            ["fp"] = peerKey.Length >= 8 ? Convert.ToHexStringLower(peerKey[..8]) : "",
        };

        byte[] line = Serialize(fields);
        string path = Path.Combine(_directory, now.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + ".jsonl");
        lock (_gate)
        {
            try
            {
                if (_stream is null || _currentPath != path)
                {
                    _stream?.Dispose();
                    AtomicFile.EnsurePrivateDirectory(_directory);
                    var options = new FileStreamOptions { Mode = FileMode.Append, Access = FileAccess.Write, Share = FileShare.ReadWrite };
                    if (!OperatingSystem.IsWindows())
                    {
                        options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                    }

                    _stream = new FileStream(path, options);
                    _currentPath = path;
                }

                _stream.Write(line);
                _stream.Flush();
            }
            catch (IOException)
            {
                // The audit log must never take the server down; the next line retries with a fresh handle.
                _stream?.Dispose();
                _stream = null;
            }
        }
    }

    internal static byte[] Serialize(SortedDictionary<string, object?> fields)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            WriteValue(writer, fields);
        }

        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    private static void WriteValue(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case null:
                writer.WriteNullValue();
                break;
            case string s:
                writer.WriteStringValue(s);
                break;
            case bool b:
                writer.WriteBooleanValue(b);
                break;
            case double d:
                writer.WriteNumberValue(d);
                break;
            case int i:
                writer.WriteNumberValue(i);
                break;
            case long l:
                writer.WriteNumberValue(l);
                break;
            case SortedDictionary<string, object?> map:
                writer.WriteStartObject();
                foreach (KeyValuePair<string, object?> kv in map)
                {
                    writer.WritePropertyName(kv.Key);
                    WriteValue(writer, kv.Value);
                }

                writer.WriteEndObject();
                break;
            default:
                writer.WriteStringValue(Convert.ToString(value, CultureInfo.InvariantCulture));
                break;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _stream?.Dispose();
            _stream = null;
        }
    }

    public override string ToString() => _directory ?? "audit disabled";

    internal static string Utf8(byte[] bytes) => Encoding.UTF8.GetString(bytes);
}
