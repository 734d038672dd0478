using System.Text.Json;
using OpenDesk.Core;
using OpenDesk.Remote.Server;
using OpenDesk.Remote.Tests.Trust;

namespace OpenDesk.Remote.Tests.Server;

public sealed class AuditLogTests
{
    private static readonly byte[] s_key = Convert.FromHexString("0faa684ed28867b97f4a6a2dee5df8ce974e76b7018e3f22a1c4cf2678570f20");

    [Fact]
    public void Lines_AreSortedJson_PerLocalDate_0600_WithPeerFingerprint()
    {
        using var temp = new TempHome();
        using (var audit = new AuditLog(temp.Home))
        {
            audit.SessionOpened("abcd1234", "laptop", s_key, "127.0.0.1:5000", "serve");
            audit.Call("abcd1234", "laptop", s_key, "input.text", "type 18 chars", null);
            audit.Call("abcd1234", "laptop", s_key, "fs.read", "read file '/x'", new NotFoundException("no such file: /x"));
            audit.SessionRejected("other", s_key, "127.0.0.1:5001", "busy: laptop is the active controller");
            audit.SessionClosed("abcd1234", "laptop", s_key, TimeSpan.FromMilliseconds(1234.5678), "");
        }

        string file = Path.Combine(temp.Home.AuditDirectory, DateTime.Now.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) + ".jsonl");
        string[] lines = File.ReadAllLines(file);
        Assert.Equal(5, lines.Length);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }

        using JsonDocument opened = JsonDocument.Parse(lines[0]);
        Assert.Equal(["mode", "peer", "remote_addr", "session_id", "ts", "type"], opened.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal("0faa684ed28867b9", opened.RootElement.GetProperty("peer").GetProperty("fp").GetString());

        using JsonDocument failed = JsonDocument.Parse(lines[2]);
        Assert.Equal("error", failed.RootElement.GetProperty("outcome").GetString());
        Assert.Equal("not_found", failed.RootElement.GetProperty("error_code").GetString());

        using JsonDocument closed = JsonDocument.Parse(lines[4]);
        Assert.Equal(1.235, closed.RootElement.GetProperty("duration").GetDouble());
    }

    [Fact]
    public void Disabled_WritesNothing()
    {
        using var temp = new TempHome();
        using var audit = new AuditLog(temp.Home, enabled: false);
        audit.SessionOpened("x", "y", s_key, "z", "serve");
        Assert.False(Directory.Exists(temp.Home.AuditDirectory));
    }
}
