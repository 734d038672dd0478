using OpenDesk.Core;
using OpenDesk.Mcp;
using OpenDesk.Serve.Commands;
using SkiaSharp;

namespace OpenDesk.IntegrationTests.Mcp;

/// <summary>The Set-of-Marks renderer `opendesk mcp` plugs into the Mcp seam.</summary>
public sealed class SkiaMarkRendererTests
{
    [Theory]
    [InlineData(PixmapFormat.Png)]
    [InlineData(PixmapFormat.Jpeg)]
    public async Task Draws_boxes_and_keeps_the_format_and_size(PixmapFormat format)
    {
        using var bitmap = new SKBitmap(320, 200);
        bitmap.Erase(SKColors.White);
        using SKData encoded = bitmap.Encode(format == PixmapFormat.Png ? SKEncodedImageFormat.Png : SKEncodedImageFormat.Jpeg, 90);
        var image = new Pixmap(encoded.ToArray(), format, 320, 200, 640, 400, null, DateTimeOffset.UtcNow);

        Pixmap marked = await new McpCommand.SkiaMarkRenderer().DrawAsync(
            image, [new ScreenMark(1, new Rect(100, 80, 60, 30), "push button", "Save")], TestContext.Current.CancellationToken);

        Assert.Equal(format, marked.Format);
        using SKBitmap result = SKBitmap.Decode(marked.Data);
        Assert.Equal((320, 200), (result.Width, result.Height));
        SKColor border = result.GetPixel(100, 95);          // left edge of the box
        SKColor outside = result.GetPixel(20, 20);
        Assert.True(border.Red > 150 && border.Green < 120, $"border {border}");
        Assert.True(outside.Red > 240 && outside.Green > 240 && outside.Blue > 240, $"outside {outside}");
        SKColor chip = result.GetPixel(101, 70);            // the numbered chip above the box
        Assert.True(chip.Green < 150, $"chip {chip}");
    }
}
