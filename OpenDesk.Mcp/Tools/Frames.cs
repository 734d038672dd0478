using System.Globalization;
using OpenDesk.Core;
using OpenDesk.Mcp.Catalog;

namespace OpenDesk.Mcp.Tools;

/// <summary>Turns model coordinates into desktop coordinates with the peer's frame.</summary>
internal static class Frames
{
    /// <summary>
    /// The frame that applies to a call: the last full screenshot's, or one built from <c>image_width</c>/<c>image_height</c>
    /// (Python compatibility), or null (desktop coordinates) before any screenshot.
    /// </summary>
    public static async ValueTask<CoordinateFrame?> ForCallAsync(PeerContext context, ToolArgs args, CancellationToken cancellationToken)
    {
        int? iw = args.Int("image_width", 1, 100_000);
        int? ih = args.Int("image_height", 1, 100_000);
        CoordinateFrame? frame = context.View.Frame;
        if (iw is null && ih is null)
        {
            return frame;
        }

        if (iw is null || ih is null)
        {
            throw new InvalidArgumentException(
                $"invalid arguments for '{args.Tool}': image_width and image_height must be given together");
        }

        if (frame is not null && frame.ImageWidth == iw && frame.ImageHeight == ih)
        {
            return frame;
        }

        Rect area;
        if (frame is not null)
        {
            area = frame.Desktop;
        }
        else
        {
            IReadOnlyList<Display> displays = await context.GetDisplaysAsync(false, cancellationToken).ConfigureAwait(false);
            Display? primary = displays.FirstOrDefault(d => d.Primary) ?? (displays.Count > 0 ? displays[0] : null);
            area = primary?.Bounds ?? new Rect(0, 0, iw.Value, ih.Value);
        }

        return new CoordinateFrame(area, iw.Value, ih.Value, frame?.DisplayId);
    }

    public static Point ToDesktop(CoordinateFrame? frame, double x, double y)
        => frame is null ? new Point(Math.Round(x), Math.Round(y)) : frame.ToDesktop(x, y);

    public static string Describe(CoordinateFrame? frame, double x, double y, Point desktop)
        => frame is null || frame.IsUnscaled && frame.Desktop.X == 0 && frame.Desktop.Y == 0
            ? Inv($"({desktop.X:0}, {desktop.Y:0})")
            : Inv($"image ({x:0.#}, {y:0.#}) = desktop ({desktop.X:0}, {desktop.Y:0})");

    public static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
