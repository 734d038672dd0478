using OpenDesk.Core;
using SkiaSharp;

namespace OpenDesk.Local.Imaging;

/// <summary>
/// Scales (<see cref="AreaScaler"/>) and encodes BGRX frames, reading the capture buffer in place (no copy): JPEG through
/// libturbojpeg when installed (<see cref="TurboJpeg"/>), else SkiaSharp; PNG and raw through SkiaSharp.
/// </summary>
internal static class ImageCodec
{
    public const int DefaultJpegQuality = 80;

    private static byte[]? s_scaled;

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

    public static unsafe (byte[] Data, int Width, int Height) Encode(BgraFrame frame, PixmapFormat format, int? quality, int? maxWidth, int? maxHeight)
    {
        (int w, int h) = Fit(frame.Width, frame.Height, maxWidth, maxHeight);
        if (w == frame.Width && h == frame.Height)
        {
            return (EncodeBgra((byte*)frame.Pixels, w, h, frame.Stride, format, quality), w, h);
        }

        // Area-average into a reused buffer (no per-call 4–8 MB allocation), then encode from it. One buffer is kept:
        // a caller that finds it taken (concurrent captures) allocates its own, and the larger survivor is kept.
        int stride = w * 4;
        int length = stride * h;
        byte[]? scaled = Interlocked.Exchange(ref s_scaled, null);
        if (scaled is null || scaled.Length < length)
        {
            scaled = GC.AllocateUninitializedArray<byte>(length);
        }

        try
        {
            AreaScaler.Scale(frame, scaled, w, h, stride);
            fixed (byte* p = scaled)
            {
                return (EncodeBgra(p, w, h, stride, format, quality), w, h);
            }
        }
        finally
        {
            byte[]? other = Interlocked.Exchange(ref s_scaled, scaled);
            if (other is not null && other.Length > scaled.Length)
            {
                _ = Interlocked.CompareExchange(ref s_scaled, other, scaled);
            }
        }
    }

    /// <summary>Encodes BGRX pixels: JPEG through libturbojpeg when it is installed, everything else through SkiaSharp.</summary>
    private static unsafe byte[] EncodeBgra(byte* pixels, int width, int height, int stride, PixmapFormat format, int? quality)
    {
        if (format == PixmapFormat.Jpeg
            && TurboJpeg.TryEncode(pixels, width, height, stride, Math.Clamp(quality ?? DefaultJpegQuality, 1, 100), subsample420: true) is { } jpeg)
        {
            return jpeg;
        }

        var info = new SKImageInfo(width, height, SKColorType.Bgra8888, SKAlphaType.Opaque);
        using var pixmap = new SKPixmap(info, (IntPtr)pixels, stride);
        return EncodePixmap(pixmap, format, quality);
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
