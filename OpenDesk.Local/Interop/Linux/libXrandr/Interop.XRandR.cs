using System.Runtime.InteropServices;

namespace OpenDesk.Local;

internal static unsafe partial class Interop
{
    /// <summary>RandR 1.5 monitors and the physical size of outputs (libXrandr).</summary>
    internal static partial class Xrandr
    {
        /// <summary><c>XRRMonitorInfo</c> (X11/extensions/Xrandr.h, x86_64: 56 bytes).</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct XRRMonitorInfo
        {
            public nuint Name;
            public int Primary;
            public int Automatic;
            public int NOutput;
            public int X;
            public int Y;
            public int Width;
            public int Height;
            public int MWidth;
            public int MHeight;
            public IntPtr Outputs;
        }

        /// <summary>The leading fields of <c>XRROutputInfo</c> (X11/extensions/Xrandr.h, x86_64); only read through the library's pointer.</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct XRROutputInfoHead
        {
            public nuint Timestamp;
            public nuint Crtc;
            public IntPtr Name;
            public int NameLen;
            public nuint MmWidth;
            public nuint MmHeight;
            public ushort Connection;
        }

        [LibraryImport(Libraries.Xrandr)]
        internal static partial int XRRQueryExtension(SafeDisplayHandle display, out int eventBase, out int errorBase);

        [LibraryImport(Libraries.Xrandr)]
        internal static partial XRRMonitorInfo* XRRGetMonitors(SafeDisplayHandle display, nuint window, int getActive, out int count);

        [LibraryImport(Libraries.Xrandr)]
        internal static partial void XRRFreeMonitors(XRRMonitorInfo* monitors);

        [LibraryImport(Libraries.Xrandr)]
        internal static partial IntPtr XRRGetScreenResourcesCurrent(SafeDisplayHandle display, nuint window);

        [LibraryImport(Libraries.Xrandr)]
        internal static partial void XRRFreeScreenResources(IntPtr resources);

        [LibraryImport(Libraries.Xrandr)]
        internal static partial XRROutputInfoHead* XRRGetOutputInfo(SafeDisplayHandle display, IntPtr resources, nuint output);

        [LibraryImport(Libraries.Xrandr)]
        internal static partial void XRRFreeOutputInfo(XRROutputInfoHead* outputInfo);
    }
}
