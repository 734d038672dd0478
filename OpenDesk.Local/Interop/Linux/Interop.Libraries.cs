namespace OpenDesk.Local;

internal static partial class Interop
{
    /// <summary>Versioned sonames of the native libraries (never the unversioned dev symlinks).</summary>
    internal static class Libraries
    {
        internal const string X11 = "libX11.so.6";
        internal const string Xext = "libXext.so.6";
        internal const string Xtst = "libXtst.so.6";
        internal const string Xrandr = "libXrandr.so.2";
        internal const string XRes = "libXRes.so.1";
        internal const string Atspi = "libatspi.so.0";
        internal const string GObject = "libgobject-2.0.so.0";
        internal const string GLib = "libglib-2.0.so.0";
        internal const string Tesseract = "libtesseract.so.5";
        internal const string Libc = "libc";
    }
}
