using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace OpenDesk.Local.Platforms.Linux;

/// <summary>
/// One Xlib connection, opened once and used under <see cref="Gate"/> (Xlib is initialised with
/// <c>XInitThreads</c>, but multi-call sequences still need one caller at a time). A single process-wide X error
/// handler records errors per thread; <see cref="SyncAndCheck"/> reads them after <c>XSync</c>.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed unsafe class X11Connection : IDisposable
{
    private static readonly object s_initGate = new();
    private static bool s_initialised;

    [ThreadStatic]
    private static int t_lastErrorCode;

    [ThreadStatic]
    private static int t_lastRequestCode;

    private readonly ConcurrentDictionary<string, nuint> _atoms = new(StringComparer.Ordinal);

    private X11Connection(SafeDisplayHandle handle, string name)
    {
        Handle = handle;
        Name = name;
        Screen = Interop.Xlib.XDefaultScreen(handle);
        Root = Interop.Xlib.XRootWindow(handle, Screen);
    }

    /// <summary>Serialises multi-call sequences on this connection.</summary>
    public object Gate { get; } = new();

    public SafeDisplayHandle Handle { get; }

    public string Name { get; }

    public int Screen { get; }

    public nuint Root { get; }

    public int Width => Interop.Xlib.XDisplayWidth(Handle, Screen);

    public int Height => Interop.Xlib.XDisplayHeight(Handle, Screen);

    /// <summary>Opens <paramref name="name"/> (or <c>$DISPLAY</c> when null); null when it cannot be opened.</summary>
    public static X11Connection? TryOpen(string? name)
    {
        EnsureInitialised();
        SafeDisplayHandle handle = Interop.Xlib.XOpenDisplay(name);
        if (handle.IsInvalid)
        {
            handle.Dispose();
            return null;
        }

        return new X11Connection(handle, name ?? Environment.GetEnvironmentVariable("DISPLAY") ?? string.Empty);
    }

    private static void EnsureInitialised()
    {
        lock (s_initGate)
        {
            if (s_initialised)
            {
                return;
            }

            _ = Interop.Xlib.XInitThreads();
            _ = Interop.Xlib.XSetErrorHandler(&OnXError);
            s_initialised = true;
        }
    }

    [UnmanagedCallersOnly]
    private static int OnXError(IntPtr display, IntPtr errorEvent)
    {
        // XErrorEvent (Xlib.h, x86_64): type 0, display 8, resourceid 16, serial 24, error_code 32, request_code 33.
        t_lastErrorCode = Marshal.ReadByte(errorEvent, 32);
        t_lastRequestCode = Marshal.ReadByte(errorEvent, 33);
        return 0;
    }

    /// <summary>Clears the calling thread's recorded X error.</summary>
    public static void ClearError()
    {
        t_lastErrorCode = 0;
        t_lastRequestCode = 0;
    }

    /// <summary>XSync, then returns the X error code recorded since <see cref="ClearError"/> (0 = none).</summary>
    public int SyncAndCheck()
    {
        _ = Interop.Xlib.XSync(Handle, Interop.Xlib.False);
        int code = t_lastErrorCode;
        t_lastErrorCode = 0;
        return code;
    }

    /// <summary>Events waiting in Xlib's queue (nothing is read from the server).</summary>
    public int QueuedEvents => Interop.Xlib.XEventsQueued(Handle, 0);

    /// <summary>
    /// Discards the events queued on a connection that selects none (only the server's MappingNotify and XKB's map
    /// notifications arrive, after every keymap change): nothing else reads them, so they would pile up for the life of
    /// the process. Keymap notifications refresh Xlib's keysym tables. Caller holds <see cref="Gate"/>.
    /// </summary>
    public void DrainEvents() => _ = DrainEventsCountingMappingNotify();

    /// <summary><see cref="DrainEvents"/>, returning how many of the events were MappingNotify. Caller holds <see cref="Gate"/>.</summary>
    public int DrainEventsCountingMappingNotify()
    {
        int mappingNotify = 0;
        Interop.Xlib.XEvent ev;
        while (Interop.Xlib.XEventsQueued(Handle, 0) > 0)
        {
            _ = Interop.Xlib.XNextEvent(Handle, &ev);
            if (ev.Type == Interop.Xlib.MappingNotify)
            {
                mappingNotify++;
                _ = Interop.Xlib.XRefreshKeyboardMapping(&ev);
            }
        }

        return mappingNotify;
    }

    /// <summary>The last request code that failed on this thread (for messages).</summary>
    public static int LastFailedRequest => t_lastRequestCode;

    public nuint Atom(string name)
        => _atoms.GetOrAdd(name, n => Interop.Xlib.XInternAtom(Handle, n, Interop.Xlib.False));

    public string? AtomName(nuint atom) => atom == 0 ? null : Interop.Xlib.TakeString(Interop.Xlib.XGetAtomName(Handle, atom));

    /// <summary>Reads a whole window property; null when it is missing.</summary>
    public PropertyValue? GetProperty(nuint window, nuint property, nuint type = Interop.Xlib.AnyPropertyType, bool delete = false)
    {
        int rc = Interop.Xlib.XGetWindowProperty(Handle, window, property, 0, int.MaxValue / 4, delete ? 1 : 0, type,
            out nuint actualType, out int format, out nuint nitems, out _, out IntPtr prop);
        if (rc != Interop.Xlib.Success || prop == IntPtr.Zero)
        {
            return null;
        }

        try
        {
            if (actualType == 0)
            {
                return null;
            }

            // Format-32 items are C longs (8 bytes on LP64); 16 are shorts, 8 are bytes.
            int itemSize = format switch { 32 => sizeof(nint), 16 => 2, _ => 1 };
            var bytes = new byte[checked((int)nitems * itemSize)];
            Marshal.Copy(prop, bytes, 0, bytes.Length);
            return new PropertyValue(actualType, format, (int)nitems, bytes);
        }
        finally
        {
            _ = Interop.Xlib.XFree(prop);
        }
    }

    public nuint[] GetLongs(nuint window, string property, nuint type = Interop.Xlib.AnyPropertyType)
    {
        PropertyValue? p = GetProperty(window, Atom(property), type);
        return p is { Format: 32 } ? p.Longs() : [];
    }

    public void Dispose() => Handle.Dispose();
}

/// <summary>A window property as read by <c>XGetWindowProperty</c>.</summary>
internal sealed record PropertyValue(nuint Type, int Format, int Count, byte[] Data)
{
    public nuint[] Longs()
    {
        var result = new nuint[Count];
        MemoryMarshal.Cast<byte, nuint>(Data.AsSpan(0, Count * IntPtr.Size)).CopyTo(result);
        return result;
    }

    public string Utf8() => System.Text.Encoding.UTF8.GetString(Data).TrimEnd('\0');
}
