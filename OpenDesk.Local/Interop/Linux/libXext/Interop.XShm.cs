using System.Runtime.InteropServices;

namespace OpenDesk.Local;

/// <summary>An attached System V shared-memory segment (the XShm capture buffer); detached with <c>shmdt</c>.</summary>
internal sealed class SafeShmSegmentHandle : SafeHandle
{
    public SafeShmSegmentHandle(IntPtr address)
        : base(new IntPtr(-1), ownsHandle: true) => SetHandle(address);

    public override bool IsInvalid => handle == new IntPtr(-1) || handle == IntPtr.Zero;

    protected override bool ReleaseHandle() => Interop.Libc.shmdt(handle) == 0;
}

internal static unsafe partial class Interop
{
    /// <summary>MIT-SHM (libXext): used together, so in one file.</summary>
    internal static partial class XShm
    {
        /// <summary><c>XShmSegmentInfo</c> (X11/extensions/XShm.h).</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct XShmSegmentInfo
        {
            public nuint ShmSeg;
            public int ShmId;
            public IntPtr ShmAddr;
            public int ReadOnly;
        }

        [LibraryImport(Libraries.Xext)]
        internal static partial int XShmQueryExtension(SafeDisplayHandle display);

        [LibraryImport(Libraries.Xext)]
        internal static partial IntPtr XShmCreateImage(SafeDisplayHandle display, IntPtr visual, uint depth, int format, IntPtr data,
            XShmSegmentInfo* shminfo, uint width, uint height);

        [LibraryImport(Libraries.Xext)]
        internal static partial int XShmAttach(SafeDisplayHandle display, XShmSegmentInfo* shminfo);

        [LibraryImport(Libraries.Xext)]
        internal static partial int XShmDetach(SafeDisplayHandle display, XShmSegmentInfo* shminfo);

        [LibraryImport(Libraries.Xext)]
        internal static partial int XShmGetImage(SafeDisplayHandle display, nuint drawable, IntPtr image, int x, int y, nuint planeMask);
    }
}
