using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using OpenDesk.Core;
using SkiaSharp;

namespace OpenDesk.Local.Imaging;

/// <summary>
/// A cheap fingerprint of a screen image for "did the screen change" and settle logic: the image is cut into
/// 32x32-pixel cells and every pixel of every cell goes into that cell's checksum, so even one typed character
/// changes it. Computing one for a 1920x1080 frame takes about a millisecond. Fingerprints compare only when they
/// come from images of the same size.
/// </summary>
public sealed class ScreenFingerprint : IEquatable<ScreenFingerprint>
{
    /// <summary>The cell size in image pixels.</summary>
    public const int CellSize = 32;

    private readonly ulong[] _cells;

    private ScreenFingerprint(int width, int height, int columns, int rows, ulong[] cells)
    {
        Width = width;
        Height = height;
        Columns = columns;
        Rows = rows;
        _cells = cells;
    }

    /// <summary>Width of the fingerprinted image in pixels.</summary>
    public int Width { get; }

    /// <summary>Height of the fingerprinted image in pixels.</summary>
    public int Height { get; }

    /// <summary>Number of cell columns.</summary>
    public int Columns { get; }

    /// <summary>Number of cell rows.</summary>
    public int Rows { get; }

    /// <summary>Fingerprints 32-bit BGRA/BGRX pixels (the 4th byte of each pixel is ignored).</summary>
    /// <param name="pixels">The pixels, <paramref name="stride"/> bytes per row.</param>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    /// <param name="stride">Bytes per row (at least 4 * width).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot loop over every pixel: fully optimised from the first call
    public static ScreenFingerprint FromBgra(ReadOnlySpan<byte> pixels, int width, int height, int stride)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfLessThan(stride, width * 4);
        if (pixels.Length < ((long)stride * (height - 1)) + (width * 4))
        {
            throw new ArgumentException("The pixel buffer is smaller than stride * height.", nameof(pixels));
        }

        int columns = (width + CellSize - 1) / CellSize, rows = (height + CellSize - 1) / CellSize;
        var cells = new ulong[columns * rows];
        for (int y = 0; y < height; y++)
        {
            ReadOnlySpan<byte> row = pixels.Slice(y * stride, width * 4);
            int cellRow = y / CellSize;
            ulong rowSalt = (ulong)(y % CellSize) + 1;
            for (int cx = 0; cx < columns; cx++)
            {
                int x0 = cx * CellSize * 4;
                int len = Math.Min(CellSize * 4, row.Length - x0);
                ref ulong cell = ref cells[(cellRow * columns) + cx];
                cell = (cell * 0x100000001B3UL) ^ (Checksum(row.Slice(x0, len)) * rowSalt);
            }
        }

        return new ScreenFingerprint(width, height, columns, rows, cells);
    }

    /// <summary>Fingerprints an encoded image (PNG, JPEG, WebP…), e.g. a frame from a remote peer.</summary>
    /// <param name="encoded">The encoded image bytes.</param>
    public static ScreenFingerprint FromEncodedImage(ReadOnlySpan<byte> encoded)
    {
        using SKBitmap? decoded = SKBitmap.Decode(encoded);
        if (decoded is null)
        {
            throw new ArgumentException("The image could not be decoded.", nameof(encoded));
        }

        using SKBitmap bgra = decoded.ColorType == SKColorType.Bgra8888 ? decoded.Copy() : decoded.Copy(SKColorType.Bgra8888);
        return FromBgra(bgra.GetPixelSpan(), bgra.Width, bgra.Height, bgra.RowBytes);
    }

    /// <summary>Fingerprints a captured <see cref="Pixmap"/> (PNG, JPEG, raw RGBA or raw RGB).</summary>
    /// <param name="pixmap">The image.</param>
    public static ScreenFingerprint FromPixmap(Pixmap pixmap)
    {
        ArgumentNullException.ThrowIfNull(pixmap);
        switch (pixmap.Format)
        {
            case PixmapFormat.RawRgba:
                return FromBgra(pixmap.Data, pixmap.Width, pixmap.Height, pixmap.Width * 4);
            case PixmapFormat.RawRgb:
            {
                var bgra = new byte[pixmap.Width * pixmap.Height * 4];
                for (int i = 0, o = 0; i + 2 < pixmap.Data.Length && o < bgra.Length; i += 3, o += 4)
                {
                    bgra[o] = pixmap.Data[i + 2];
                    bgra[o + 1] = pixmap.Data[i + 1];
                    bgra[o + 2] = pixmap.Data[i];
                }

                return FromBgra(bgra, pixmap.Width, pixmap.Height, pixmap.Width * 4);
            }

            default:
                return FromEncodedImage(pixmap.Data);
        }
    }

    /// <summary>The fraction of cells (0..1) that differ; 1 when the images have different sizes.</summary>
    /// <param name="other">Another fingerprint.</param>
    public double Difference(ScreenFingerprint other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Width != Width || other.Height != Height)
        {
            return 1.0;
        }

        int changed = 0;
        for (int i = 0; i < _cells.Length; i++)
        {
            if (_cells[i] != other._cells[i])
            {
                changed++;
            }
        }

        return (double)changed / _cells.Length;
    }

    /// <summary>The bounding box (in image pixels) of the cells that differ, or null when none differ.</summary>
    /// <param name="other">A fingerprint of an image of the same size.</param>
    public Rect? ChangedArea(ScreenFingerprint other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Width != Width || other.Height != Height)
        {
            return new Rect(0, 0, Width, Height);
        }

        int minX = int.MaxValue, minY = int.MaxValue, maxX = -1, maxY = -1;
        for (int r = 0; r < Rows; r++)
        {
            for (int c = 0; c < Columns; c++)
            {
                int i = (r * Columns) + c;
                if (_cells[i] != other._cells[i])
                {
                    minX = Math.Min(minX, c);
                    maxX = Math.Max(maxX, c);
                    minY = Math.Min(minY, r);
                    maxY = Math.Max(maxY, r);
                }
            }
        }

        if (maxX < 0)
        {
            return null;
        }

        double x = minX * CellSize, y = minY * CellSize;
        return new Rect(x, y, Math.Min(Width, (maxX + 1) * CellSize) - x, Math.Min(Height, (maxY + 1) * CellSize) - y);
    }

    /// <inheritdoc />
    public bool Equals(ScreenFingerprint? other)
        => other is not null && other.Width == Width && other.Height == Height && _cells.AsSpan().SequenceEqual(other._cells);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as ScreenFingerprint);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Width);
        hash.Add(Height);
        hash.AddBytes(MemoryMarshal.AsBytes(_cells.AsSpan()));
        return hash.ToHashCode();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static ulong Checksum(ReadOnlySpan<byte> bytes)
    {
        // Mask out the undefined 4th byte of every pixel, then sum 64-bit words position-weighted.
        const ulong mask = 0x00FFFFFF00FFFFFFUL;
        ReadOnlySpan<ulong> words = MemoryMarshal.Cast<byte, ulong>(bytes);
        ulong sum = 0;
        int i = 0;
        if (Vector.IsHardwareAccelerated && words.Length >= Vector<ulong>.Count)
        {
            var acc = Vector<ulong>.Zero;
            var m = new Vector<ulong>(mask);
            var weight = new Vector<ulong>(0x9E3779B97F4A7C15UL);
            for (; i <= words.Length - Vector<ulong>.Count; i += Vector<ulong>.Count)
            {
                acc = (acc * weight) + (new Vector<ulong>(words.Slice(i)) & m);
            }

            for (int k = 0; k < Vector<ulong>.Count; k++)
            {
                sum = (sum * 31) + acc[k];
            }
        }

        for (; i < words.Length; i++)
        {
            sum = (sum * 0x9E3779B97F4A7C15UL) + (words[i] & mask);
        }

        // A trailing odd pixel (width not a multiple of 2 within the last cell).
        int tail = bytes.Length & 7;
        if (tail >= 3)
        {
            ReadOnlySpan<byte> t = bytes[^tail..];
            sum = (sum * 31) + t[0] + ((ulong)t[1] << 8) + ((ulong)t[2] << 16);
        }

        return sum;
    }
}
