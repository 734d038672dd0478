using System.Runtime.InteropServices;

namespace OpenDesk.Local;

internal static partial class Interop
{
    /// <summary>XTEST (libXtst).</summary>
    internal static partial class Xtst
    {
        [LibraryImport(Libraries.Xtst)]
        internal static partial int XTestQueryExtension(SafeDisplayHandle display, out int eventBase, out int errorBase, out int major, out int minor);

        [LibraryImport(Libraries.Xtst)]
        internal static partial int XTestFakeMotionEvent(SafeDisplayHandle display, int screen, int x, int y, nuint delay);

        [LibraryImport(Libraries.Xtst)]
        internal static partial int XTestFakeButtonEvent(SafeDisplayHandle display, uint button, int isPress, nuint delay);

        [LibraryImport(Libraries.Xtst)]
        internal static partial int XTestFakeKeyEvent(SafeDisplayHandle display, uint keycode, int isPress, nuint delay);
    }
}
