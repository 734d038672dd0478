using System.Runtime.InteropServices;

namespace OpenDesk.Local;

internal static unsafe partial class Interop
{
    /// <summary>X-Resource 1.2 (libXRes): the PID of the client that owns a window, for apps without <c>_NET_WM_PID</c>.</summary>
    internal static partial class XRes
    {
        internal const uint ClientIdPidMask = 1 << 1;

        /// <summary><c>XResClientIdSpec</c> (X11/extensions/XRes.h, x86_64: 16 bytes).</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct XResClientIdSpec
        {
            public nuint Client;
            public uint Mask;
        }

        [LibraryImport(Libraries.XRes)]
        internal static partial int XResQueryExtension(SafeDisplayHandle display, out int eventBase, out int errorBase);

        [LibraryImport(Libraries.XRes)]
        internal static partial int XResQueryClientIds(SafeDisplayHandle display, nint numSpecs, XResClientIdSpec* specs, out nint numIds, out IntPtr clientIds);

        [LibraryImport(Libraries.XRes)]
        internal static partial int XResGetClientPid(IntPtr value);

        [LibraryImport(Libraries.XRes)]
        internal static partial void XResClientIdsDestroy(nint numIds, IntPtr clientIds);
    }
}
