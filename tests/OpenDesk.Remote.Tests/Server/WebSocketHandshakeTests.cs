using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using OpenDesk.Remote.Server;

namespace OpenDesk.Remote.Tests.Server;

/// <summary>The server's own RFC 6455 opening handshake: the managed SHA-1, the request checks and the wire answers.</summary>
public sealed class WebSocketHandshakeTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void ComputeAccept_Rfc6455Example()
        => Assert.Equal("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", WebSocketHandshake.ComputeAccept("dGhlIHNhbXBsZSBub25jZQ=="));

    [Fact]
    public void Sha1_RandomInputsOfEveryLengthUpTo300_MatchesBcl()
    {
        var random = new Random(1);
        byte[] digest = new byte[WebSocketHandshake.Sha1.HashSize];
        for (int length = 0; length <= 300; length++)
        {
            for (int round = 0; round < 3; round++)
            {
                byte[] message = new byte[length];
                random.NextBytes(message);
                WebSocketHandshake.Sha1.Hash(message, digest);
#pragma warning disable CA5350 // SHA-1 is the reference here, not a security choice
                Assert.Equal(SHA1.HashData(message), digest);
#pragma warning restore CA5350
            }
        }
    }

    [Fact]
    public void Sha1_FipsExamples()
    {
        byte[] digest = new byte[20];
        WebSocketHandshake.Sha1.Hash("abc"u8, digest);
        Assert.Equal("A9993E364706816ABA3E25717850C26C9CD0D89D", Convert.ToHexString(digest));
        WebSocketHandshake.Sha1.Hash("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"u8, digest);
        Assert.Equal("84983E441C3BD26EBAAE4AA1F95129E5E54670F1", Convert.ToHexString(digest));
        Assert.Throws<ArgumentException>(() => WebSocketHandshake.Sha1.Hash("abc"u8, new byte[19]));
    }

    [Theory]
    [InlineData("dGhlIHNhbXBsZSBub25jZQ==", true)]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAA==", true)]
    [InlineData("", false)]
    [InlineData("dGhlIHNhbXBsZSBub25jZQ", false)] // no padding
    [InlineData("dGhlIHNhbXBsZSBub25jZXg=", false)] // 17 bytes
    [InlineData("dGhlIHNhbXBsZSBub25j", false)] // 15 bytes
    [InlineData("dGhlIHNhbXBsZSBub25j!Q==", false)]
    public void IsValidKey_Only16Base64Bytes(string key, bool valid) => Assert.Equal(valid, WebSocketHandshake.IsValidKey(key));

    [Theory]
    [InlineData("GET", "websocket", "Upgrade", "13", "dGhlIHNhbXBsZSBub25jZQ==", true, "Upgrade")]
    [InlineData("GET", "WebSocket", "keep-alive, Upgrade", "13", "dGhlIHNhbXBsZSBub25jZQ==", true, "Upgrade")]
    [InlineData("GET", null, null, null, null, false, "NotWebSocket")]
    [InlineData("GET", "h2c", "Upgrade", "13", "dGhlIHNhbXBsZSBub25jZQ==", true, "NotWebSocket")]
    [InlineData("POST", "websocket", "Upgrade", "13", "dGhlIHNhbXBsZSBub25jZQ==", true, "Malformed")]
    [InlineData("GET", "websocket", "keep-alive", "13", "dGhlIHNhbXBsZSBub25jZQ==", true, "Malformed")]
    [InlineData("GET", "websocket", "Upgrade", "13", "dGhlIHNhbXBsZSBub25jZQ==", false, "Malformed")]
    [InlineData("GET", "websocket", "Upgrade", "8", "dGhlIHNhbXBsZSBub25jZQ==", true, "UnsupportedVersion")]
    [InlineData("GET", "websocket", "Upgrade", null, "dGhlIHNhbXBsZSBub25jZQ==", true, "UnsupportedVersion")]
    [InlineData("GET", "websocket", "Upgrade", "13", "short", true, "Malformed")]
    [InlineData("GET", "websocket", "Upgrade", "13", null, true, "Malformed")]
    public void Check_Verdicts(string method, string? upgrade, string? connection, string? version, string? key, bool upgradable, string verdict)
    {
        var expected = Enum.Parse<WebSocketHandshake.Verdict>(verdict);
        IHeaderDictionary headers = new HeaderDictionary();
        if (upgrade is not null)
        {
            headers.Upgrade = upgrade;
        }

        if (connection is not null)
        {
            headers.Connection = connection;
        }

        if (version is not null)
        {
            headers.SecWebSocketVersion = version;
        }

        if (key is not null)
        {
            headers.SecWebSocketKey = key;
        }

        Assert.Equal(expected, WebSocketHandshake.Check(method, headers, upgradable, out string problem));
        Assert.Equal(expected == WebSocketHandshake.Verdict.Upgrade, problem.Length == 0);
    }

    [Fact]
    public async Task RealServer_AnswersUpgrade101WithAccept_AndBadUpgradesWith400Or426()
    {
        await using ServerHarness h = await ServerHarness.StartAsync();

        string ok = await RawRequestAsync(h.Server.Port, "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", "\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 101 ", ok, StringComparison.Ordinal);
        Assert.Contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n", ok, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Upgrade: websocket\r\n", ok, StringComparison.OrdinalIgnoreCase);

        string badKey = await RawRequestAsync(h.Server.Port, "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n\r\n", "\r\n0\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 400 ", badKey, StringComparison.Ordinal);
        Assert.Contains("Sec-WebSocket-Key must be the base64 encoding of 16 bytes.", badKey, StringComparison.Ordinal);

        string badVersion = await RawRequestAsync(h.Server.Port, "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n", "\r\n0\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 426 ", badVersion, StringComparison.Ordinal);
        Assert.Contains("Sec-WebSocket-Version: 13\r\n", badVersion, StringComparison.OrdinalIgnoreCase);

        await using OpenDesk.Remote.Client.RemoteComputer remote = await OpenDesk.Remote.Client.OpenDeskClient.ConnectAsync("desk", h.NewTrustedController(), Ct);
        Assert.Single(await remote.Display.GetDisplaysAsync(Ct));
    }

    /// <summary>Sends <paramref name="request"/> and reads until <paramref name="end"/> arrives (or the peer closes).</summary>
    private static async Task<string> RawRequestAsync(int port, string request, string end)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(20));
        using var client = new TcpClient();
        await client.ConnectAsync(System.Net.IPAddress.Loopback, port, timeout.Token);
        NetworkStream stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request), timeout.Token);
        var text = new StringBuilder();
        byte[] buffer = new byte[4096];
        while (!text.ToString().Contains(end, StringComparison.Ordinal))
        {
            int read = await stream.ReadAsync(buffer, timeout.Token);
            if (read == 0)
            {
                break;
            }

            text.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }

        return text.ToString();
    }
}
