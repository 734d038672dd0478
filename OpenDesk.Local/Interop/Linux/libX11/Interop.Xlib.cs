using System.Runtime.InteropServices;
using System.Runtime.InteropServices.Marshalling;

namespace OpenDesk.Local;

/// <summary>An owned Xlib <c>Display*</c>; closed with <c>XCloseDisplay</c>.</summary>
internal sealed class SafeDisplayHandle : SafeHandle
{
    public SafeDisplayHandle()
        : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        _ = Interop.Xlib.XCloseDisplay(handle);
        return true;
    }
}

internal static unsafe partial class Interop
{
    /// <summary>libX11. XIDs (Window, Atom, KeySym, Time) are C <c>unsigned long</c>: <see cref="nuint"/> on LP64.</summary>
    internal static partial class Xlib
    {
        internal const int ZPixmap = 2;
        internal const int False = 0;
        internal const int True = 1;
        internal const nuint AnyPropertyType = 0;
        internal const nuint CurrentTime = 0;
        internal const nuint None = 0;
        internal const int PropModeReplace = 0;
        internal const int Success = 0;
        internal const int ClientMessage = 33;
        internal const int SelectionClear = 29;
        internal const int SelectionRequest = 30;
        internal const int SelectionNotify = 31;
        internal const int PropertyNotify = 28;
        internal const int MappingNotify = 34;
        internal const int PropertyNewValue = 0;
        internal const int PropertyDelete = 1;
        internal const long PropertyChangeMask = 1L << 22;
        internal const long SubstructureRedirectMask = 1L << 20;
        internal const long SubstructureNotifyMask = 1L << 19;
        internal const int RevertToParent = 2;
        internal const nuint XA_ATOM = 4;
        internal const nuint XA_CARDINAL = 6;
        internal const nuint XA_STRING = 31;
        internal const nuint XA_WINDOW = 33;
        internal const nuint XA_WM_NAME = 39;
        internal const nuint XA_WM_CLASS = 67;

        [LibraryImport(Libraries.X11)]
        internal static partial int XInitThreads();

        [LibraryImport(Libraries.X11, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial SafeDisplayHandle XOpenDisplay(string? name);

        [LibraryImport(Libraries.X11)]
        internal static partial int XCloseDisplay(IntPtr display);

        [LibraryImport(Libraries.X11)]
        internal static partial int XDefaultScreen(SafeDisplayHandle display);

        [LibraryImport(Libraries.X11)]
        internal static partial nuint XRootWindow(SafeDisplayHandle display, int screen);

        [LibraryImport(Libraries.X11)]
        internal static partial int XDisplayWidth(SafeDisplayHandle display, int screen);

        [LibraryImport(Libraries.X11)]
        internal static partial int XDisplayHeight(SafeDisplayHandle display, int screen);

        [LibraryImport(Libraries.X11)]
        internal static partial int XDisplayWidthMM(SafeDisplayHandle display, int screen);

        [LibraryImport(Libraries.X11)]
        internal static partial int XDisplayHeightMM(SafeDisplayHandle display, int screen);

        [LibraryImport(Libraries.X11)]
        internal static partial IntPtr XDefaultVisual(SafeDisplayHandle display, int screen);

        [LibraryImport(Libraries.X11)]
        internal static partial int XDefaultDepth(SafeDisplayHandle display, int screen);

        [LibraryImport(Libraries.X11)]
        internal static partial int XConnectionNumber(SafeDisplayHandle display);

        [LibraryImport(Libraries.X11)]
        internal static partial int XPending(SafeDisplayHandle display);

        [LibraryImport(Libraries.X11)]
        internal static partial int XNextEvent(SafeDisplayHandle display, XEvent* ev);

        /// <summary>Events already in Xlib's queue (mode 0, <c>QueuedAlready</c>: no read, no flush).</summary>
        [LibraryImport(Libraries.X11)]
        internal static partial int XEventsQueued(SafeDisplayHandle display, int mode);

        [LibraryImport(Libraries.X11)]
        internal static partial int XRefreshKeyboardMapping(XEvent* mappingEvent);

        [LibraryImport(Libraries.X11)]
        internal static partial int XSync(SafeDisplayHandle display, int discard);

        [LibraryImport(Libraries.X11)]
        internal static partial int XFlush(SafeDisplayHandle display);

        [LibraryImport(Libraries.X11)]
        internal static partial IntPtr XSetErrorHandler(delegate* unmanaged<IntPtr, IntPtr, int> handler);

        [LibraryImport(Libraries.X11)]
        internal static partial IntPtr XGetImage(SafeDisplayHandle display, nuint drawable, int x, int y, uint width, uint height, nuint planeMask, int format);

        [LibraryImport(Libraries.X11)]
        internal static partial int XDestroyImage(IntPtr image);

        [LibraryImport(Libraries.X11, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial nuint XInternAtom(SafeDisplayHandle display, string name, int onlyIfExists);

        [LibraryImport(Libraries.X11)]
        internal static partial IntPtr XGetAtomName(SafeDisplayHandle display, nuint atom);

        [LibraryImport(Libraries.X11)]
        internal static partial int XFree(IntPtr data);

        [LibraryImport(Libraries.X11)]
        internal static partial int XGetWindowProperty(SafeDisplayHandle display, nuint window, nuint property, nint longOffset, nint longLength,
            int delete, nuint reqType, out nuint actualType, out int actualFormat, out nuint nitems, out nuint bytesAfter, out IntPtr prop);

        [LibraryImport(Libraries.X11)]
        internal static partial int XChangeProperty(SafeDisplayHandle display, nuint window, nuint property, nuint type, int format, int mode, byte* data, int nelements);

        [LibraryImport(Libraries.X11)]
        internal static partial int XDeleteProperty(SafeDisplayHandle display, nuint window, nuint property);

        [LibraryImport(Libraries.X11)]
        internal static partial int XSendEvent(SafeDisplayHandle display, nuint window, int propagate, nint eventMask, XEvent* ev);

        [LibraryImport(Libraries.X11)]
        internal static partial int XGetGeometry(SafeDisplayHandle display, nuint drawable, out nuint root, out int x, out int y,
            out uint width, out uint height, out uint border, out uint depth);

        [LibraryImport(Libraries.X11)]
        internal static partial int XTranslateCoordinates(SafeDisplayHandle display, nuint src, nuint dest, int srcX, int srcY,
            out int destX, out int destY, out nuint child);

        [LibraryImport(Libraries.X11)]
        internal static partial int XQueryPointer(SafeDisplayHandle display, nuint window, out nuint root, out nuint child,
            out int rootX, out int rootY, out int winX, out int winY, out uint mask);

        [LibraryImport(Libraries.X11)]
        internal static partial byte XKeysymToKeycode(SafeDisplayHandle display, nuint keysym);

        [LibraryImport(Libraries.X11, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial nuint XStringToKeysym(string name);

        [LibraryImport(Libraries.X11)]
        internal static partial IntPtr XGetKeyboardMapping(SafeDisplayHandle display, byte firstKeycode, int count, out int keysymsPerKeycode);

        [LibraryImport(Libraries.X11)]
        internal static partial int XGrabServer(SafeDisplayHandle display);

        [LibraryImport(Libraries.X11)]
        internal static partial int XUngrabServer(SafeDisplayHandle display);

        [LibraryImport(Libraries.X11)]
        internal static partial int XChangeKeyboardMapping(SafeDisplayHandle display, int firstKeycode, int keysymsPerKeycode, nuint* keysyms, int numCodes);

        [LibraryImport(Libraries.X11)]
        internal static partial int XDisplayKeycodes(SafeDisplayHandle display, out int minKeycode, out int maxKeycode);

        [LibraryImport(Libraries.X11)]
        internal static partial nuint XCreateSimpleWindow(SafeDisplayHandle display, nuint parent, int x, int y, uint width, uint height,
            uint borderWidth, nuint border, nuint background);

        [LibraryImport(Libraries.X11)]
        internal static partial int XDestroyWindow(SafeDisplayHandle display, nuint window);

        [LibraryImport(Libraries.X11)]
        internal static partial int XSelectInput(SafeDisplayHandle display, nuint window, nint eventMask);

        [LibraryImport(Libraries.X11)]
        internal static partial int XSetSelectionOwner(SafeDisplayHandle display, nuint selection, nuint owner, nuint time);

        [LibraryImport(Libraries.X11)]
        internal static partial nuint XGetSelectionOwner(SafeDisplayHandle display, nuint selection);

        [LibraryImport(Libraries.X11)]
        internal static partial int XConvertSelection(SafeDisplayHandle display, nuint selection, nuint target, nuint property, nuint requestor, nuint time);

        [LibraryImport(Libraries.X11)]
        internal static partial int XKillClient(SafeDisplayHandle display, nuint resource);

        [LibraryImport(Libraries.X11)]
        internal static partial int XRaiseWindow(SafeDisplayHandle display, nuint window);

        [LibraryImport(Libraries.X11)]
        internal static partial int XSetInputFocus(SafeDisplayHandle display, nuint window, int revertTo, nuint time);

        [LibraryImport(Libraries.X11)]
        internal static partial int XMoveResizeWindow(SafeDisplayHandle display, nuint window, int x, int y, uint width, uint height);

        [LibraryImport(Libraries.X11)]
        internal static partial nint XExtendedMaxRequestSize(SafeDisplayHandle display);

        [LibraryImport(Libraries.X11)]
        internal static partial nint XMaxRequestSize(SafeDisplayHandle display);

        /// <summary>The <c>XEvent</c> union: 24 longs (Xlib.h, x86_64 and every LP64 target).</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct XEvent
        {
            public fixed long Pad[24];

            public int Type => (int)(Pad[0] & 0xFFFFFFFF);
        }

        /// <summary>Field offsets of <c>XImage</c> (X11/Xlib.h, x86_64).</summary>
        internal static class XImageOffsets
        {
            internal const int Width = 0;
            internal const int Height = 4;
            internal const int Data = 16;
            internal const int BytesPerLine = 44;
            internal const int BitsPerPixel = 48;
        }

        /// <summary>Reads a string Xlib allocated and frees it with <c>XFree</c>.</summary>
        internal static string? TakeString(IntPtr p)
        {
            if (p == IntPtr.Zero)
            {
                return null;
            }

            try
            {
                return Utf8StringMarshaller.ConvertToManaged((byte*)p);
            }
            finally
            {
                _ = XFree(p);
            }
        }
    }
}
