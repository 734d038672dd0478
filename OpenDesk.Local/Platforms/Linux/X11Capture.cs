using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using OpenDesk.Core;
using OpenDesk.Local.Imaging;

namespace OpenDesk.Local.Platforms.Linux;

/// <summary>
/// Screen capture: one MIT-SHM segment the size of the root window, reused for every frame (the first
/// <c>XShmGetImage</c> costs tens of ms, later ones well under 1 ms), with an <c>XGetImage</c> fallback.
/// Regions are cut out of the shared image without copying.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed unsafe class X11Capture : IDisposable
{
    private readonly X11Connection _x;
    private readonly object _gate = new();
    private readonly bool _shmAvailable;
    private IntPtr _image;
    private Interop.XShm.XShmSegmentInfo* _segment;
    private SafeShmSegmentHandle? _segmentMemory;
    private int _imageWidth;
    private int _imageHeight;
    private bool _disposed;

    public X11Capture(X11Connection x)
    {
        _x = x;
        lock (_x.Gate)
        {
            _shmAvailable = Interop.XShm.XShmQueryExtension(_x.Handle) != 0;
        }
    }

    /// <summary>True when MIT-SHM is in use (false: the slow XGetImage path).</summary>
    public bool UsesShm => _shmAvailable && !ShmFailed;

    private bool ShmFailed { get; set; }

    /// <summary>
    /// Grabs <paramref name="region"/> (desktop pixels, clipped to the root window) and calls <paramref name="use"/>
    /// with a view of BGRX pixels that is valid only during the call.
    /// </summary>
    public T Grab<T>(Rect? region, Func<BgraFrame, T> use)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            int rootW, rootH;
            lock (_x.Gate)
            {
                rootW = _x.Width;
                rootH = _x.Height;
            }

            // Desktop pixels are integers: round the region's origin and size, then clip to the root window.
            Rect want = region is { } rr
                ? new Rect(Math.Round(rr.X), Math.Round(rr.Y), Math.Round(rr.Width), Math.Round(rr.Height))
                : new Rect(0, 0, rootW, rootH);
            Rect r = want.Intersect(new Rect(0, 0, rootW, rootH));
            int x0 = (int)r.X, y0 = (int)r.Y, w = (int)r.Width, h = (int)r.Height;
            if (w <= 0 || h <= 0)
            {
                throw new InvalidArgumentException($"The capture region {region} is outside the desktop ({rootW}x{rootH}).");
            }

            if (_shmAvailable && !ShmFailed && TryShmGrab(rootW, rootH))
            {
                byte* data = (byte*)Marshal.ReadIntPtr(_image, Interop.Xlib.XImageOffsets.Data);
                int stride = Marshal.ReadInt32(_image, Interop.Xlib.XImageOffsets.BytesPerLine);
                var frame = new BgraFrame((IntPtr)(data + ((long)y0 * stride) + (x0 * 4)), w, h, stride, x0, y0);
                return use(frame);
            }

            IntPtr image;
            lock (_x.Gate)
            {
                X11Connection.ClearError();
                image = Interop.Xlib.XGetImage(_x.Handle, _x.Root, x0, y0, (uint)w, (uint)h, ~(nuint)0, Interop.Xlib.ZPixmap);
                _ = _x.SyncAndCheck();
            }

            if (image == IntPtr.Zero)
            {
                throw new InternalErrorException("XGetImage failed.");
            }

            try
            {
                CheckBpp(image);
                IntPtr data = Marshal.ReadIntPtr(image, Interop.Xlib.XImageOffsets.Data);
                int stride = Marshal.ReadInt32(image, Interop.Xlib.XImageOffsets.BytesPerLine);
                return use(new BgraFrame(data, w, h, stride, x0, y0));
            }
            finally
            {
                _ = Interop.Xlib.XDestroyImage(image);
            }
        }
    }

    private static void CheckBpp(IntPtr image)
    {
        int bpp = Marshal.ReadInt32(image, Interop.Xlib.XImageOffsets.BitsPerPixel);
        if (bpp != 32)
        {
            throw new CapabilityUnsupportedException($"Only 32-bit visuals are supported (this one has {bpp} bits per pixel).",
                new Dictionary<string, object?> { ["capability"] = "display.capture", ["backend"] = "local/linux" });
        }
    }

    private bool TryShmGrab(int rootW, int rootH)
    {
        if (_image == IntPtr.Zero || _imageWidth != rootW || _imageHeight != rootH)
        {
            FreeShm();
            if (!CreateShm(rootW, rootH))
            {
                ShmFailed = true;
                return false;
            }
        }

        lock (_x.Gate)
        {
            X11Connection.ClearError();
            int ok = Interop.XShm.XShmGetImage(_x.Handle, _x.Root, _image, 0, 0, ~(nuint)0);
            int err = _x.SyncAndCheck();
            if (ok == 0 || err != 0)
            {
                ShmFailed = true;
                return false;
            }
        }

        return true;
    }

    private bool CreateShm(int w, int h)
    {
        lock (_x.Gate)
        {
            var seg = (Interop.XShm.XShmSegmentInfo*)NativeMemory.AllocZeroed((nuint)sizeof(Interop.XShm.XShmSegmentInfo));
            IntPtr visual = Interop.Xlib.XDefaultVisual(_x.Handle, _x.Screen);
            int depth = Interop.Xlib.XDefaultDepth(_x.Handle, _x.Screen);
            IntPtr image = Interop.XShm.XShmCreateImage(_x.Handle, visual, (uint)depth, Interop.Xlib.ZPixmap, IntPtr.Zero, seg, (uint)w, (uint)h);
            if (image == IntPtr.Zero)
            {
                NativeMemory.Free(seg);
                return false;
            }

            if (Marshal.ReadInt32(image, Interop.Xlib.XImageOffsets.BitsPerPixel) != 32)
            {
                _ = Interop.Xlib.XDestroyImage(image);
                NativeMemory.Free(seg);
                return false;
            }

            int stride = Marshal.ReadInt32(image, Interop.Xlib.XImageOffsets.BytesPerLine);
            int id = Interop.Libc.shmget(Interop.Libc.IPC_PRIVATE, (nuint)((long)stride * h), Interop.Libc.IPC_CREAT | 0x180);
            if (id < 0)
            {
                _ = Interop.Xlib.XDestroyImage(image);
                NativeMemory.Free(seg);
                return false;
            }

            var memory = new SafeShmSegmentHandle(Interop.Libc.shmat(id, IntPtr.Zero, 0));
            IntPtr addr = memory.DangerousGetHandle();
            if (memory.IsInvalid)
            {
                memory.SetHandleAsInvalid();
                _ = Interop.Libc.shmctl(id, Interop.Libc.IPC_RMID, IntPtr.Zero);
                _ = Interop.Xlib.XDestroyImage(image);
                NativeMemory.Free(seg);
                return false;
            }

            seg->ShmId = id;
            seg->ShmAddr = addr;
            seg->ReadOnly = 0;
            Marshal.WriteIntPtr(image, Interop.Xlib.XImageOffsets.Data, addr);
            X11Connection.ClearError();
            int attached = Interop.XShm.XShmAttach(_x.Handle, seg);
            int err = _x.SyncAndCheck();

            // Mark the segment for removal now: it disappears once both sides detach, even if this process dies.
            _ = Interop.Libc.shmctl(id, Interop.Libc.IPC_RMID, IntPtr.Zero);
            if (attached == 0 || err != 0)
            {
                Marshal.WriteIntPtr(image, Interop.Xlib.XImageOffsets.Data, IntPtr.Zero);
                _ = Interop.Xlib.XDestroyImage(image);
                memory.Dispose();
                NativeMemory.Free(seg);
                return false;
            }

            _segmentMemory = memory;
            _image = image;
            _segment = seg;
            _imageWidth = w;
            _imageHeight = h;
            return true;
        }
    }

    private void FreeShm()
    {
        if (_image == IntPtr.Zero)
        {
            return;
        }

        lock (_x.Gate)
        {
            if (!_x.Handle.IsClosed)
            {
                _ = Interop.XShm.XShmDetach(_x.Handle, _segment);
                _ = _x.SyncAndCheck();
            }

            // The data pointer is the shm segment, not malloc'd memory: clear it before XDestroyImage frees it.
            Marshal.WriteIntPtr(_image, Interop.Xlib.XImageOffsets.Data, IntPtr.Zero);
            _ = Interop.Xlib.XDestroyImage(_image);
            _segmentMemory?.Dispose();
            _segmentMemory = null;
            NativeMemory.Free(_segment);
            _image = IntPtr.Zero;
            _segment = null;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            FreeShm();
        }
    }
}
