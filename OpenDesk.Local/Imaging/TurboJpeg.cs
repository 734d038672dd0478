using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace OpenDesk.Local.Imaging;

/// <summary>
/// JPEG encoding through the TurboJPEG API of the system's libjpeg-turbo (<c>libturbojpeg.so.0</c>, Debian package
/// <c>libturbojpeg0</c>), which uses SIMD: a 1430x804 screen encodes in about 3 ms, where SkiaSharp's bundled libjpeg
/// (built without SIMD) takes 12–15 ms. Optional: when the library is missing, <see cref="TryEncode"/> returns null
/// and callers use SkiaSharp. The library reads BGRX rows in place (no conversion pass).
/// </summary>
internal static unsafe class TurboJpeg
{
    /// <summary>The versioned soname (never the unversioned dev symlink).</summary>
    public const string Library = "libturbojpeg.so.0";

    private const int PixelFormatBgrx = 3; // TJPF_BGRX
    private const int Subsample444 = 0; // TJSAMP_444
    private const int Subsample420 = 2; // TJSAMP_420
    private const int MaxPooledHandles = 4;

    private static readonly ConcurrentBag<IntPtr> s_handles = [];
    private static readonly delegate* unmanaged<IntPtr> s_initCompress;
    private static readonly delegate* unmanaged<IntPtr, int> s_destroy;
    private static readonly delegate* unmanaged<IntPtr, byte*, int, int, int, int, byte**, nuint*, int, int, int, int> s_compress2;
    private static readonly delegate* unmanaged<void*, void> s_free;

#pragma warning disable CA1810 // the exports are read once, together, and only when the library loads
    static TurboJpeg()
#pragma warning restore CA1810
    {
        if (Probe(Library, out Exports exports) == FastJpegStatus.Available)
        {
            s_initCompress = (delegate* unmanaged<IntPtr>)exports.Init;
            s_destroy = (delegate* unmanaged<IntPtr, int>)exports.Destroy;
            s_compress2 = (delegate* unmanaged<IntPtr, byte*, int, int, int, int, byte**, nuint*, int, int, int, int>)exports.Compress;
            s_free = (delegate* unmanaged<void*, void>)exports.Free;
        }
    }

    /// <summary>
    /// Loads <paramref name="library"/> and reads the four exports the encoder calls, unless OPENDESK_NO_TURBOJPEG=1.
    /// The library stays loaded when it is <see cref="FastJpegStatus.Available"/>.
    /// </summary>
    internal static FastJpegStatus Probe(string library, out Exports exports)
    {
        exports = default;
        if (Environment.GetEnvironmentVariable("OPENDESK_NO_TURBOJPEG") == "1")
        {
            return FastJpegStatus.Disabled;
        }

        if (!OperatingSystem.IsLinux() || !NativeLibrary.TryLoad(library, typeof(TurboJpeg).Assembly, null, out IntPtr lib))
        {
            return FastJpegStatus.LibraryMissing;
        }

        if (NativeLibrary.TryGetExport(lib, "tjInitCompress", out IntPtr init)
            && NativeLibrary.TryGetExport(lib, "tjDestroy", out IntPtr destroy)
            && NativeLibrary.TryGetExport(lib, "tjCompress2", out IntPtr compress)
            && NativeLibrary.TryGetExport(lib, "tjFree", out IntPtr free))
        {
            exports = new Exports(init, destroy, compress, free);
            return FastJpegStatus.Available;
        }

        NativeLibrary.Free(lib);
        return FastJpegStatus.ExportsMissing;
    }

    /// <summary>True when libturbojpeg was found (JPEG encoding uses it).</summary>
    public static bool IsAvailable => s_compress2 != null;

    /// <summary>Encodes BGRX pixels as a baseline JPEG; null when libturbojpeg is unavailable or refuses the input.</summary>
    /// <param name="pixels">The first pixel; <paramref name="stride"/> bytes per row.</param>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    /// <param name="stride">Bytes per row.</param>
    /// <param name="quality">Quality 1..100.</param>
    /// <param name="subsample420">True for 4:2:0 chroma subsampling (smaller), false for 4:4:4.</param>
    public static byte[]? TryEncode(byte* pixels, int width, int height, int stride, int quality, bool subsample420)
    {
        if (!IsAvailable)
        {
            return null;
        }

        if (!s_handles.TryTake(out IntPtr handle))
        {
            handle = s_initCompress();
            if (handle == IntPtr.Zero)
            {
                return null;
            }
        }

        byte* jpeg = null;
        nuint size = 0;
        try
        {
            int rc = s_compress2(handle, pixels, width, stride, height, PixelFormatBgrx, &jpeg, &size,
                subsample420 ? Subsample420 : Subsample444, Math.Clamp(quality, 1, 100), 0);
            return rc != 0 || jpeg == null || size == 0 ? null : new ReadOnlySpan<byte>(jpeg, checked((int)size)).ToArray();
        }
        finally
        {
            if (jpeg != null)
            {
                s_free(jpeg);
            }

            if (s_handles.Count < MaxPooledHandles)
            {
                s_handles.Add(handle);
            }
            else
            {
                _ = s_destroy(handle);
            }
        }
    }

    /// <summary>The TurboJPEG functions the encoder calls.</summary>
    internal readonly record struct Exports(IntPtr Init, IntPtr Destroy, IntPtr Compress, IntPtr Free);
}

/// <summary>Which JPEG encoder screenshots use: see <see cref="FastJpeg"/>.</summary>
public enum FastJpegStatus
{
    /// <summary>libturbojpeg (SIMD) encodes screenshots.</summary>
    Available,

    /// <summary>OPENDESK_NO_TURBOJPEG=1: SkiaSharp encodes screenshots.</summary>
    Disabled,

    /// <summary>The library was not found: SkiaSharp encodes screenshots.</summary>
    LibraryMissing,

    /// <summary>The library lacks a TurboJPEG function the encoder calls: SkiaSharp encodes screenshots.</summary>
    ExportsMissing,
}

/// <summary>The optional SIMD JPEG encoder (libjpeg-turbo's TurboJPEG API), for diagnostics such as <c>opendesk check</c>.</summary>
public static class FastJpeg
{
    /// <summary>The library screenshots use when it is installed (Debian package <c>libturbojpeg0</c>).</summary>
    public const string Library = TurboJpeg.Library;

    /// <summary>Probes <paramref name="library"/> the way the encoder does when it first loads.</summary>
    /// <param name="library">The library to probe (tests pass one that does not exist).</param>
    public static FastJpegStatus Probe(string library = Library) => TurboJpeg.Probe(library, out _);
}
