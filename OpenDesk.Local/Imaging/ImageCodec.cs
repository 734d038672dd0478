using OpenDesk.Core;
using SkiaSharp;

namespace OpenDesk.Local.Imaging;

/// <summary>Scales and encodes BGRX frames with SkiaSharp, reading the capture buffer in place (no copy).</summary>
internal static class ImageCodec
{
    public const int DefaultJpegQuality = 80;

    /// <summary>The size that fits <paramref name="maxWidth"/> x <paramref name="maxHeight"/>, keeping the aspect ratio, never upscaling.</summary>
    public static (int Width, int Height) Fit(int width, int height, int? maxWidth, int? maxHeight)
    {
        double scale = 1.0;
        if (maxWidth is > 0 && width > maxWidth.Value)
        {
            scale = Math.Min(scale, (double)maxWidth.Value / width);
        }

        if (maxHeight is > 0 && height > maxHeight.Value)
        {
            scale = Math.Min(scale, (double)maxHeight.Value / height);
        }

        if (scale >= 1.0)
        {
            return (width, height);
        }

        return (Math.Max(1, (int)Math.Round(width * scale)), Math.Max(1, (int)Math.Round(height * scale)));
    }

    public static (byte[] Data, int Width, int Height) Encode(BgraFrame frame, PixmapFormat format, int? quality, int? maxWidth, int? maxHeight)
    {
        var info = new SKImageInfo(frame.Width, frame.Height, SKColorType.Bgra8888, SKAlphaType.Opaque);
        using var source = new SKPixmap(info, frame.Pixels, frame.Stride);
        (int w, int h) = Fit(frame.Width, frame.Height, maxWidth, maxHeight);
        if (w == frame.Width && h == frame.Height)
        {
            return (EncodePixmap(source, format, quality), w, h);
        }

        using var scaled = new SKBitmap(new SKImageInfo(w, h, SKColorType.Bgra8888, SKAlphaType.Opaque));
        using SKPixmap target = scaled.PeekPixels();
        SKSamplingOptions sampling = (double)w / frame.Width >= 0.5
            ? new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.None)
            : new SKSamplingOptions(SKCubicResampler.Mitchell);
        if (!source.ScalePixels(target, sampling))
        {
            throw new InternalErrorException("Scaling the captured image failed.");
        }

        return (EncodePixmap(target, format, quality), w, h);
    }

    public static byte[] EncodePixmap(SKPixmap pixmap, PixmapFormat format, int? quality)
    {
        switch (format)
        {
            case PixmapFormat.Jpeg:
            {
                int q = Math.Clamp(quality ?? DefaultJpegQuality, 1, 100);
                using SKData data = pixmap.Encode(new SKJpegEncoderOptions(q, SKJpegEncoderDownsample.Downsample420, SKJpegEncoderAlphaOption.Ignore))
                    ?? throw new InternalErrorException("JPEG encoding failed.");
                return data.ToArray();
            }

            case PixmapFormat.Png:
            {
                using SKData data = pixmap.Encode(new SKPngEncoderOptions(SKPngEncoderFilterFlags.NoFilters, 1))
                    ?? throw new InternalErrorException("PNG encoding failed.");
                return data.ToArray();
            }

            case PixmapFormat.RawRgba:
            case PixmapFormat.RawRgb:
                return ToRaw(pixmap, format == PixmapFormat.RawRgba);
            default:
                throw new InvalidArgumentException($"Unknown image format {format}.");
        }
    }

    private static unsafe byte[] ToRaw(SKPixmap pixmap, bool alpha)
    {
        int w = pixmap.Width, h = pixmap.Height, bpp = alpha ? 4 : 3;
        var result = new byte[w * h * bpp];
        byte* src = (byte*)pixmap.GetPixels();
        int stride = pixmap.RowBytes;
        int o = 0;
        for (int y = 0; y < h; y++)
        {
            byte* row = src + ((long)y * stride);
            for (int x = 0; x < w; x++)
            {
                byte* p = row + (x * 4);
                result[o++] = p[2];
                result[o++] = p[1];
                result[o++] = p[0];
                if (alpha)
                {
                    result[o++] = 255;
                }
            }
        }

        return result;
    }
}
