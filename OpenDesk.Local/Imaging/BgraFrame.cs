namespace OpenDesk.Local.Imaging;

/// <summary>
/// A borrowed view of 32-bit BGRX pixels (X11 ZPixmap on little-endian; the 4th byte is undefined), valid only while
/// its producer says so. <see cref="OriginX"/>/<see cref="OriginY"/> are the desktop position of pixel (0, 0).
/// </summary>
internal readonly record struct BgraFrame(IntPtr Pixels, int Width, int Height, int Stride, int OriginX, int OriginY)
{
    public unsafe ReadOnlySpan<byte> Row(int y) => new((byte*)Pixels + ((long)y * Stride), Width * 4);
}
