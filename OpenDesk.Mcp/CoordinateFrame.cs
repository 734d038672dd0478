using OpenDesk.Core;

namespace OpenDesk.Mcp;

/// <summary>
/// The mapping between <b>image space</b> (pixels of the last full screenshot sent to the model) and
/// <b>desktop space</b> (the OS pointer space of the captured computer). Image pixel (u, v) covers the desktop
/// area starting at (<c>Desktop.X + u·ScaleX</c>, <c>Desktop.Y + v·ScaleY</c>).
/// </summary>
/// <param name="Desktop">The captured area, in desktop space.</param>
/// <param name="ImageWidth">Width of the screenshot in image pixels.</param>
/// <param name="ImageHeight">Height of the screenshot in image pixels.</param>
/// <param name="DisplayId">The captured display, or null for the whole desktop.</param>
public sealed record CoordinateFrame(Rect Desktop, int ImageWidth, int ImageHeight, string? DisplayId = null)
{
    /// <summary>Desktop pixels per image pixel horizontally.</summary>
    public double ScaleX => ImageWidth > 0 ? Desktop.Width / ImageWidth : 1.0;

    /// <summary>Desktop pixels per image pixel vertically.</summary>
    public double ScaleY => ImageHeight > 0 ? Desktop.Height / ImageHeight : 1.0;

    /// <summary>True when image and desktop pixels are the same size (within 0.5 %).</summary>
    public bool IsUnscaled => Math.Abs(ScaleX - 1) < 0.005 && Math.Abs(ScaleY - 1) < 0.005;

    /// <summary>The desktop pixel at the centre of the block covered by image pixel (<paramref name="x"/>, <paramref name="y"/>).</summary>
    /// <param name="x">Image-space x.</param>
    /// <param name="y">Image-space y.</param>
    public Point ToDesktop(double x, double y)
        => new(Desktop.X + Math.Floor((x * ScaleX) + ((ScaleX - 1) / 2) + 1e-9),
               Desktop.Y + Math.Floor((y * ScaleY) + ((ScaleY - 1) / 2) + 1e-9));

    /// <summary>The image-space point of a desktop point (not rounded).</summary>
    /// <param name="desktop">A desktop-space point.</param>
    public Point ToImage(Point desktop)
        => new((desktop.X - Desktop.X) / ScaleX, (desktop.Y - Desktop.Y) / ScaleY);

    /// <summary>The image-space rectangle of a desktop rectangle (not rounded).</summary>
    /// <param name="desktop">A desktop-space rectangle.</param>
    public Rect ToImage(Rect desktop)
        => new((desktop.X - Desktop.X) / ScaleX, (desktop.Y - Desktop.Y) / ScaleY, desktop.Width / ScaleX, desktop.Height / ScaleY);

    /// <summary>The desktop-space rectangle of an image-space rectangle (rounded outwards to whole pixels).</summary>
    /// <param name="image">An image-space rectangle.</param>
    public Rect ToDesktop(Rect image)
    {
        double x0 = Math.Floor(Desktop.X + (image.X * ScaleX));
        double y0 = Math.Floor(Desktop.Y + (image.Y * ScaleY));
        double x1 = Math.Ceiling(Desktop.X + (image.Right * ScaleX));
        double y1 = Math.Ceiling(Desktop.Y + (image.Bottom * ScaleY));
        return new Rect(x0, y0, Math.Max(0, x1 - x0), Math.Max(0, y1 - y0));
    }

    /// <summary>
    /// The largest size with the aspect ratio of <paramref name="width"/>×<paramref name="height"/> whose long edge is at
    /// most <paramref name="maxLongEdge"/> and whose area is at most <paramref name="maxPixels"/>; never larger than the input.
    /// </summary>
    /// <param name="width">Source width (desktop pixels).</param>
    /// <param name="height">Source height (desktop pixels).</param>
    /// <param name="maxLongEdge">Long-edge budget.</param>
    /// <param name="maxPixels">Area budget.</param>
    public static (int Width, int Height) FitSize(int width, int height, int maxLongEdge, long maxPixels)
    {
        if (width <= 0 || height <= 0)
        {
            return (Math.Max(width, 0), Math.Max(height, 0));
        }

        double scale = 1.0;
        if (maxLongEdge > 0)
        {
            scale = Math.Min(scale, (double)maxLongEdge / Math.Max(width, height));
        }

        if (maxPixels > 0)
        {
            scale = Math.Min(scale, Math.Sqrt((double)maxPixels / ((double)width * height)));
        }

        if (scale >= 1.0)
        {
            return (width, height);
        }

        int w = Math.Max(1, (int)Math.Floor((width * scale) + 1e-6));
        int h = Math.Max(1, (int)Math.Floor((height * scale) + 1e-6));
        while ((long)w * h > maxPixels && maxPixels > 0 && w > 1 && h > 1)
        {
            w--;
            h = Math.Max(1, (int)Math.Floor((double)w * height / width));
        }

        return (w, h);
    }
}
