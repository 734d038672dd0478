using System.Globalization;
using System.Text.RegularExpressions;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using SkiaSharp;

namespace OpenDesk.IntegrationTests.Mcp;

/// <summary>
/// <c>screenshot show_cursor</c> through <c>opendesk mcp</c> on a private 1920x1080 Xvfb (scaled to 1429x804 for the
/// model): the cursor, moved with <c>mouse</c>, is drawn as an arrow whose tip is at the cursor's image position, and
/// nothing else in the image changes.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed partial class CursorTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Show_cursor_draws_the_arrow_at_the_pointer_on_a_real_desktop()
    {
        Assert.SkipUnless(OpenDesk.Local.VirtualDisplay.IsAvailable, "Xvfb not installed");
        using OpenDesk.Local.VirtualDisplay desktop = McpTestHost.StartDesktop(1920, 1080);
        string home = McpTestHost.NewHome();
        await using McpClient client = await McpClient.CreateAsync(
            new StdioClientTransport(new StdioClientTransportOptions
            {
                Command = "dotnet",
                Arguments = [McpTestHost.OpendeskDll, "mcp", "--home", home],
                EnvironmentVariables = new Dictionary<string, string?>(desktop.Environment.ToDictionary(kv => kv.Key, kv => (string?)kv.Value)) { ["OPENDESK_HOME"] = home },
            }),
            cancellationToken: Ct);

        Assert.StartsWith("Screenshot 1429x804 (png)", Text(await CallAsync(client, "screenshot", ("format", "png"))), StringComparison.Ordinal);
        Assert.False((await CallAsync(client, "mouse", ("action", "move"), ("x", 700), ("y", 400), ("settle_ms", 0))).IsError);
        CallToolResult plain = await CallAsync(client, "screenshot", ("format", "png"));
        CallToolResult shown = await CallAsync(client, "screenshot", ("format", "png"), ("show_cursor", true));
        string text = Text(shown);
        TestContext.Current.TestOutputHelper?.WriteLine(text);

        Match m = CursorLine().Match(text);
        Assert.True(m.Success, text);
        int[] v = [.. m.Groups.Values.Skip(1).Select(g => int.Parse(g.Value, CultureInfo.InvariantCulture))];
        (int mouseX, int mouseY, int deskX, int deskY, int tipX, int tipY) = (v[0], v[1], v[2], v[3], v[4], v[5]);
        Assert.InRange(mouseX, 699, 701);
        Assert.InRange(mouseY, 399, 401);
        Assert.InRange(tipX, (int)(deskX * 1429.0 / 1920) - 1, (int)(deskX * 1429.0 / 1920) + 1);
        Assert.InRange(tipY, (int)(deskY * 804.0 / 1080) - 1, (int)(deskY * 804.0 / 1080) + 1);

        using SKBitmap before = SKBitmap.Decode(Image(plain));
        using SKBitmap after = SKBitmap.Decode(Image(shown));
        Assert.Equal((1429, 804), (after.Width, after.Height));
        int minX = int.MaxValue, minY = int.MaxValue, maxX = -1, maxY = -1;
        for (int y = 0; y < after.Height; y++)
        {
            for (int x = 0; x < after.Width; x++)
            {
                if (before.GetPixel(x, y) != after.GetPixel(x, y))
                {
                    (minX, minY, maxX, maxY) = (Math.Min(minX, x), Math.Min(minY, y), Math.Max(maxX, x), Math.Max(maxY, y));
                }
            }
        }

        Assert.True(maxX >= 0, "show_cursor changed no pixel");
        // The black outline is invisible where it meets Xvfb's black root, so the first changed pixel may be a row or two in.
        Assert.InRange(minX, tipX - 2, tipX + 2);
        Assert.InRange(minY, tipY - 2, tipY + 2);
        Assert.InRange(maxX, tipX + 8, tipX + 16);
        Assert.InRange(maxY, tipY + 16, tipY + 24);
        SKColor body = after.GetPixel(tipX + 3, tipY + 10);
        Assert.True(body.Red > 245 && body.Green > 245 && body.Blue > 245, $"arrow body {body}");
    }

    private static Task<CallToolResult> CallAsync(McpClient client, string tool, params (string Key, object? Value)[] args)
        => client.CallToolAsync(tool, args.ToDictionary(a => a.Key, a => a.Value), cancellationToken: Ct).AsTask();

    private static string Text(CallToolResult r) => string.Join("\n", r.Content.OfType<TextContentBlock>().Select(t => t.Text));

    private static byte[] Image(CallToolResult r) => r.Content.OfType<ImageContentBlock>().Single().DecodedData.ToArray();

    [GeneratedRegex(@"Cursor at \((\d+), (\d+)\) in mouse coordinates \(desktop \((\d+), (\d+)\)\); drawn on the image as an arrow whose tip is at image pixel \((\d+), (\d+)\)\.")]
    private static partial Regex CursorLine();
}
