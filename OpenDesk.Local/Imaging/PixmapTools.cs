using OpenDesk.Core;
using SkiaSharp;

namespace OpenDesk.Local.Imaging;

/// <summary>
/// Scaling and re-encoding of captured images, e.g. a screenshot from a remote peer that does not advertise the
/// <c>display.capture</c> <c>max_size</c> extension. Keeps <see cref="Pixmap.LogicalWidth"/>/<see cref="Pixmap.LogicalHeight"/>,
/// so the image-to-desktop mapping stays correct.
/// </summary>
public static class PixmapTools
{
    /// <summary>Scales <paramref name="pixmap"/> down (never up, keeping the aspect ratio) to fit, and encodes it.</summary>
    /// <param name="pixmap">A PNG, JPEG or raw RGBA/RGB image.</param>
    /// <param name="maxWidth">The largest width in image pixels, or null.</param>
    /// <param name="maxHeight">The largest height in image pixels, or null.</param>
    /// <param name="format">The output encoding (PNG or JPEG; raw formats are allowed too).</param>
    /// <param name="quality">JPEG quality 1..100; null for 80.</param>
    public static unsafe Pixmap Fit(Pixmap pixmap, int? maxWidth, int? maxHeight, PixmapFormat format = PixmapFormat.Jpeg, int? quality = null)
    {
        ArgumentNullException.ThrowIfNull(pixmap);
        using SKBitmap bgra = ToBgra(pixmap);
        fixed (byte* p = bgra.GetPixelSpan())
        {
            var frame = new BgraFrame((IntPtr)p, bgra.Width, bgra.Height, bgra.RowBytes, 0, 0);
            (byte[] data, int w, int h) = ImageCodec.Encode(frame, format, quality, maxWidth, maxHeight);
            return pixmap with { Data = data, Format = format, Width = w, Height = h };
        }
    }

    /// <summary>The standard arrow pointer, tip at (0, 0), 19 units tall (x right, y down).</summary>
    private static readonly SKPoint[] s_arrow =
    [
        new(0, 0), new(0, 16), new(4, 12.5f), new(7, 19), new(9.5f, 18), new(6.5f, 11.5f), new(11.5f, 11.5f),
    ];

    /// <summary>
    /// Draws a mouse cursor — a white arrow with a black outline, <paramref name="height"/> image pixels tall, its tip at
    /// <paramref name="tip"/> — and re-encodes the image in its format (PNG stays lossless; JPEG uses
    /// <paramref name="quality"/>). The outline keeps it visible on light and dark backgrounds.
    /// </summary>
    /// <param name="pixmap">A PNG, JPEG or raw RGBA/RGB image.</param>
    /// <param name="tip">The cursor's hotspot in image pixels.</param>
    /// <param name="height">The arrow's height in image pixels (default 20).</param>
    /// <param name="quality">JPEG quality 1..100; null for 80.</param>
    public static unsafe Pixmap DrawCursor(Pixmap pixmap, Point tip, double height = 20, int? quality = null)
    {
        ArgumentNullException.ThrowIfNull(pixmap);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        using SKBitmap bgra = ToBgra(pixmap);
        float unit = (float)(height / 19.0);
        using (var canvas = new SKCanvas(bgra))
        using (var path = new SKPath())
        using (var fill = new SKPaint { Style = SKPaintStyle.Fill, Color = SKColors.White, IsAntialias = true })
        using (var outline = new SKPaint { Style = SKPaintStyle.Stroke, Color = SKColors.Black, StrokeWidth = Math.Max(1.5f, unit * 1.2f), StrokeJoin = SKStrokeJoin.Miter, IsAntialias = true })
        {
            path.MoveTo((float)tip.X + (s_arrow[0].X * unit), (float)tip.Y + (s_arrow[0].Y * unit));
            for (int i = 1; i < s_arrow.Length; i++)
            {
                path.LineTo((float)tip.X + (s_arrow[i].X * unit), (float)tip.Y + (s_arrow[i].Y * unit));
            }

            path.Close();
            canvas.DrawPath(path, fill);
            canvas.DrawPath(path, outline);
        }

        fixed (byte* p = bgra.GetPixelSpan())
        {
            var frame = new BgraFrame((IntPtr)p, bgra.Width, bgra.Height, bgra.RowBytes, 0, 0);
            PixmapFormat format = pixmap.Format is PixmapFormat.Png or PixmapFormat.Jpeg ? pixmap.Format : PixmapFormat.Png;
            (byte[] data, _, _) = ImageCodec.Encode(frame, format, quality, null, null);
            return pixmap with { Data = data, Format = format };
        }
    }

    private static SKBitmap ToBgra(Pixmap pixmap)
    {
        if (pixmap.Format is PixmapFormat.RawRgba or PixmapFormat.RawRgb)
        {
            var bmp = new SKBitmap(new SKImageInfo(pixmap.Width, pixmap.Height, SKColorType.Bgra8888, SKAlphaType.Opaque));
            Span<byte> dst = bmp.GetPixelSpan();
            int bpp = pixmap.Format == PixmapFormat.RawRgba ? 4 : 3;
            if (pixmap.Data.Length < pixmap.Width * pixmap.Height * bpp)
            {
                bmp.Dispose();
                throw new InvalidArgumentException("The raw image is smaller than width * height * bytes per pixel.");
            }

            for (int i = 0, o = 0; o < dst.Length; i += bpp, o += 4)
            {
                dst[o] = pixmap.Data[i + 2];
                dst[o + 1] = pixmap.Data[i + 1];
                dst[o + 2] = pixmap.Data[i];
                dst[o + 3] = 255;
            }

            return bmp;
        }

        using SKBitmap? decoded = SKBitmap.Decode(pixmap.Data) ?? throw new InvalidArgumentException("The image could not be decoded.");
        return decoded.Copy(SKColorType.Bgra8888) ?? throw new InvalidArgumentException("The image could not be converted.");
    }
}
