namespace OpenDesk.Core;

/// <summary>
/// A point (protocol-v1 <c>Point</c>). The coordinate space is stated by the API that carries it; on the
/// <see cref="IComputer"/> contract it is always <b>desktop space</b>: the OS pointer space (X11 root-window
/// pixels on Linux), spanning every monitor, possibly with a negative origin on other platforms.
/// </summary>
/// <param name="X">Horizontal coordinate, in the space stated by the carrying API (desktop space on <see cref="IComputer"/>).</param>
/// <param name="Y">Vertical coordinate, in the space stated by the carrying API (desktop space on <see cref="IComputer"/>).</param>
public readonly record struct Point(double X, double Y)
{
    /// <inheritdoc />
    public override string ToString() => FormattableString.Invariant($"({X:0.##}, {Y:0.##})");
}

/// <summary>
/// An axis-aligned rectangle (protocol-v1 <c>Rect</c>). On the <see cref="IComputer"/> contract it is in
/// <b>desktop space</b> (see <see cref="Point"/>) unless the carrying API says otherwise.
/// </summary>
/// <param name="X">Left edge, in the space stated by the carrying API.</param>
/// <param name="Y">Top edge, in the space stated by the carrying API.</param>
/// <param name="Width">Width in pixels of the same space; never negative.</param>
/// <param name="Height">Height in pixels of the same space; never negative.</param>
public readonly record struct Rect(double X, double Y, double Width, double Height)
{
    /// <summary>The right edge (exclusive), in the same space as <see cref="X"/>.</summary>
    public double Right => X + Width;

    /// <summary>The bottom edge (exclusive), in the same space as <see cref="Y"/>.</summary>
    public double Bottom => Y + Height;

    /// <summary>The centre of the rectangle, in the same space.</summary>
    public Point Center => new(X + (Width / 2), Y + (Height / 2));

    /// <summary>True when the rectangle has no area.</summary>
    public bool IsEmpty => Width <= 0 || Height <= 0;

    /// <summary>True when <paramref name="point"/> (same space) lies inside the rectangle.</summary>
    /// <param name="point">A point in the same space as this rectangle.</param>
    public bool Contains(Point point) => point.X >= X && point.Y >= Y && point.X < Right && point.Y < Bottom;

    /// <summary>The overlap of two rectangles of the same space, or an empty rectangle when they do not overlap.</summary>
    /// <param name="other">A rectangle in the same space.</param>
    public Rect Intersect(Rect other)
    {
        double x = Math.Max(X, other.X), y = Math.Max(Y, other.Y);
        double r = Math.Min(Right, other.Right), b = Math.Min(Bottom, other.Bottom);
        return r <= x || b <= y ? new Rect(x, y, 0, 0) : new Rect(x, y, r - x, b - y);
    }

    /// <inheritdoc />
    public override string ToString() => FormattableString.Invariant($"{Width:0.##}x{Height:0.##} at ({X:0.##}, {Y:0.##})");
}
