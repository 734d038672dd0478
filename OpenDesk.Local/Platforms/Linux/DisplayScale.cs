namespace OpenDesk.Local.Platforms.Linux;

/// <summary>
/// The scale factor of a display from its pixel and physical size. X11 has no desktop scaling (desktop pixels are device
/// pixels), so this is the density the desktop is drawn for: DPI / 96 rounded to the nearest 0.25, never below 1
/// (a 4K 27" monitor at 163 DPI gives 1.75, a 1080p 24" one at 92 DPI gives 1), and 1 when the size is unknown or
/// implausible.
/// </summary>
internal static class DisplayScale
{
    /// <summary>Densities outside this range are taken as a wrong physical size (EDID in cm, aspect ratio only, made-up).</summary>
    private const double MinDpi = 48, MaxDpi = 600;

    /// <summary>Horizontal and vertical densities further apart than this mean the size does not match the mode.</summary>
    private const double MaxAnisotropy = 1.3;

    /// <param name="widthPx">Width in pixels.</param>
    /// <param name="heightPx">Height in pixels.</param>
    /// <param name="widthMm">Physical width in mm (0 = unknown).</param>
    /// <param name="heightMm">Physical height in mm (0 = unknown).</param>
    public static double FromPhysicalSize(double widthPx, double heightPx, double widthMm, double heightMm)
    {
        if (Dpi(widthPx, heightPx, widthMm, heightMm) is not { } dpi)
        {
            return 1.0;
        }

        return Math.Max(1.0, Math.Round(dpi / 96.0 * 4, MidpointRounding.AwayFromZero) / 4);
    }

    /// <summary>The mean density in dots per inch, or null when the physical size is unknown or implausible.</summary>
    public static double? Dpi(double widthPx, double heightPx, double widthMm, double heightMm)
    {
        if (widthPx <= 0 || heightPx <= 0 || widthMm <= 0 || heightMm <= 0)
        {
            return null;
        }

        // Outputs report their size unrotated; a monitor rotated by 90° has its pixel sides swapped.
        if ((widthPx > heightPx) != (widthMm > heightMm) && widthPx != heightPx && widthMm != heightMm)
        {
            (widthMm, heightMm) = (heightMm, widthMm);
        }

        double x = widthPx * 25.4 / widthMm, y = heightPx * 25.4 / heightMm;
        if (x < MinDpi || x > MaxDpi || y < MinDpi || y > MaxDpi || Math.Max(x, y) / Math.Min(x, y) > MaxAnisotropy)
        {
            return null;
        }

        return (x + y) / 2;
    }
}
