namespace OpenDesk.Local.Ocr;

/// <summary>A rectangle in whole pixels.</summary>
/// <param name="X">Left.</param>
/// <param name="Y">Top.</param>
/// <param name="Width">Width.</param>
/// <param name="Height">Height.</param>
internal readonly record struct PixelRect(int X, int Y, int Width, int Height)
{
    /// <summary>One past the right edge.</summary>
    public int Right => X + Width;

    /// <summary>One past the bottom edge.</summary>
    public int Bottom => Y + Height;

    /// <summary>Width × height.</summary>
    public long Area => (long)Width * Height;

    /// <summary>True when the two rectangles share a pixel.</summary>
    public bool Intersects(PixelRect o) => X < o.Right && o.X < Right && Y < o.Bottom && o.Y < Bottom;

    /// <summary>The smallest rectangle holding both.</summary>
    public PixelRect Union(PixelRect o)
    {
        int x = Math.Min(X, o.X), y = Math.Min(Y, o.Y);
        return new PixelRect(x, y, Math.Max(Right, o.Right) - x, Math.Max(Bottom, o.Bottom) - y);
    }
}

/// <summary>
/// Finds the content of a "sparse" screen: one background colour covers most of it (a dark or plain desktop) and a
/// few windows or blocks of text sit on it. Tesseract's page layout treats a light window on a dark desktop as one
/// picture and drops most of its text, and small UI fonts read badly at 1x; the OCR engine reads such screens region
/// by region instead (see <see cref="TesseractOcr"/>).
/// </summary>
/// <remarks>
/// The background is the most frequent colour of a sample grid (every 4th pixel). The screen is cut into 8×8 cells;
/// a cell holds content when one of its pixels differs from the background by more than a small tolerance in a
/// channel. Content cells up to two cells apart are one region (so the words of a line and the lines of a paragraph
/// stay together), and a region's box is the exact box of its differing pixels. Overlapping boxes are merged.
/// </remarks>
internal static class ContentRegions
{
    /// <summary>Cell size in pixels.</summary>
    internal const int Cell = 8;

    /// <summary>Share of the sampled pixels the background colour must cover for the screen to be sparse.</summary>
    internal const double MinBackgroundShare = 0.5;

    /// <summary>A screen whose regions cover more than this share of it is read whole.</summary>
    internal const double MaxContentShare = 0.6;

    /// <summary>More regions than this: the screen is busy, read it whole.</summary>
    internal const int MaxRegions = 48;

    private const int Tolerance = 24;
    private const int Sample = 4;
    private const int Reach = 2;
    private const int MinSide = 6;

    /// <summary>
    /// The content regions of the <paramref name="width"/>×<paramref name="height"/> area at
    /// (<paramref name="x0"/>, <paramref name="y0"/>) of 32-bit pixels (any channel order), in that area's coordinates;
    /// null when the area is not sparse (no dominant background, too much content or too many regions) and should be
    /// read whole. An empty list means the area is all background.
    /// </summary>
    public static IReadOnlyList<PixelRect>? Find(ReadOnlySpan<byte> pixels, int stride, int x0, int y0, int width, int height)
    {
        if (width < Cell * 4 || height < Cell * 4)
        {
            return null;
        }

        int background = DominantColour(pixels, stride, x0, y0, width, height, out double share);
        if (share < MinBackgroundShare)
        {
            return null;
        }

        int cw = (width + Cell - 1) / Cell, ch = (height + Cell - 1) / Cell;
        var cells = new CellExtent[cw * ch];
        MarkContent(pixels, stride, x0, y0, width, height, background, cells, cw);
        List<PixelRect>? regions = Components(cells, cw, ch, (long)(width * (double)height * MaxContentShare));
        return regions is null ? null : Merge(regions);
    }

    private static int DominantColour(ReadOnlySpan<byte> pixels, int stride, int x0, int y0, int width, int height, out double share)
    {
        var counts = new Dictionary<int, int>();
        int samples = 0, best = 0, bestCount = 0;
        for (int y = Sample / 2; y < height; y += Sample)
        {
            ReadOnlySpan<byte> row = pixels.Slice(((y + y0) * stride) + (x0 * 4), width * 4);
            for (int x = Sample / 2; x < width; x += Sample)
            {
                int p = x * 4;
                int colour = row[p] | (row[p + 1] << 8) | (row[p + 2] << 16);
                int n = counts.GetValueOrDefault(colour) + 1;
                counts[colour] = n;
                samples++;
                if (n > bestCount)
                {
                    best = colour;
                    bestCount = n;
                }
            }
        }

        share = samples == 0 ? 0 : (double)bestCount / samples;
        return best;
    }

    private static void MarkContent(ReadOnlySpan<byte> pixels, int stride, int x0, int y0, int width, int height, int background, CellExtent[] cells, int cw)
    {
        int c0 = background & 0xFF, c1 = (background >> 8) & 0xFF, c2 = (background >> 16) & 0xFF;
        for (int y = 0; y < height; y++)
        {
            ReadOnlySpan<byte> row = pixels.Slice(((y + y0) * stride) + (x0 * 4), width * 4);
            int cellRow = y / Cell * cw;
            for (int x = 0; x < width; x++)
            {
                int p = x * 4;
                if (Math.Abs(row[p] - c0) > Tolerance || Math.Abs(row[p + 1] - c1) > Tolerance || Math.Abs(row[p + 2] - c2) > Tolerance)
                {
                    cells[cellRow + (x / Cell)].Add(x, y);
                }
            }
        }
    }

    /// <summary>Connected content cells (up to <see cref="Reach"/> cells apart) as exact pixel boxes; null past the limits.</summary>
    private static List<PixelRect>? Components(CellExtent[] cells, int cw, int ch, long maxArea)
    {
        var seen = new bool[cells.Length];
        var stack = new Stack<int>();
        var regions = new List<PixelRect>();
        long area = 0;
        for (int i = 0; i < cells.Length; i++)
        {
            if (!cells[i].Any || seen[i])
            {
                continue;
            }

            CellExtent box = cells[i];
            seen[i] = true;
            stack.Push(i);
            while (stack.Count > 0)
            {
                int k = stack.Pop();
                box = box.Union(cells[k]);
                int kx = k % cw, ky = k / cw;
                for (int ny = Math.Max(0, ky - Reach); ny <= Math.Min(ch - 1, ky + Reach); ny++)
                {
                    for (int nx = Math.Max(0, kx - Reach); nx <= Math.Min(cw - 1, kx + Reach); nx++)
                    {
                        int j = (ny * cw) + nx;
                        if (cells[j].Any && !seen[j])
                        {
                            seen[j] = true;
                            stack.Push(j);
                        }
                    }
                }
            }

            var r = new PixelRect(box.MinX, box.MinY, box.MaxX - box.MinX + 1, box.MaxY - box.MinY + 1);
            if (r.Width < MinSide || r.Height < MinSide)
            {
                // A speck or a thin line: no readable text.
                continue;
            }

            area += r.Area;
            if (area > maxArea || regions.Count >= MaxRegions)
            {
                return null;
            }

            regions.Add(r);
        }

        return regions;
    }

    /// <summary>Merges overlapping boxes until none overlap; reading order (top to bottom, then left to right).</summary>
    private static List<PixelRect> Merge(List<PixelRect> regions)
    {
        bool merged = true;
        while (merged)
        {
            merged = false;
            for (int i = 0; i < regions.Count && !merged; i++)
            {
                for (int j = i + 1; j < regions.Count; j++)
                {
                    if (regions[i].Intersects(regions[j]))
                    {
                        regions[i] = regions[i].Union(regions[j]);
                        regions.RemoveAt(j);
                        merged = true;
                        break;
                    }
                }
            }
        }

        regions.Sort((a, b) => a.Y != b.Y ? a.Y.CompareTo(b.Y) : a.X.CompareTo(b.X));
        return regions;
    }

    /// <summary>The exact extent of the differing pixels of one cell (or of a union of cells).</summary>
    private struct CellExtent
    {
        public bool Any;
        public int MinX;
        public int MinY;
        public int MaxX;
        public int MaxY;

        public void Add(int x, int y)
        {
            if (!Any)
            {
                Any = true;
                MinX = MaxX = x;
                MinY = MaxY = y;
                return;
            }

            MinX = Math.Min(MinX, x);
            MaxX = Math.Max(MaxX, x);
            MaxY = Math.Max(MaxY, y);
        }

        public readonly CellExtent Union(CellExtent o) => new()
        {
            Any = true,
            MinX = Math.Min(MinX, o.MinX),
            MinY = Math.Min(MinY, o.MinY),
            MaxX = Math.Max(MaxX, o.MaxX),
            MaxY = Math.Max(MaxY, o.MaxY),
        };
    }
}
