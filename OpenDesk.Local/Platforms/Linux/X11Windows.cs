using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Text;
using OpenDesk.Core;

namespace OpenDesk.Local.Platforms.Linux;

/// <summary>Top-level windows through EWMH (<c>_NET_CLIENT_LIST</c>, <c>_NET_ACTIVE_WINDOW</c>, <c>_NET_WM_NAME</c>, <c>_NET_WM_PID</c>, frame extents).</summary>
[SupportedOSPlatform("linux")]
internal sealed unsafe class X11Windows
{
    private readonly X11Connection _x;

    private readonly bool _xres;

    public X11Windows(X11Connection x)
    {
        _x = x;
        if (NativeLibrary.TryLoad(Interop.Libraries.XRes, typeof(X11Windows).Assembly, null, out IntPtr lib))
        {
            NativeLibrary.Free(lib);
            lock (_x.Gate)
            {
                _xres = Interop.XRes.XResQueryExtension(_x.Handle, out _, out _) != 0;
            }
        }
    }

    /// <summary>The PID of the X client owning <paramref name="window"/> through X-Resource (local clients only), or null. Caller holds the gate.</summary>
    private int? ClientPid(nuint window)
    {
        if (!_xres)
        {
            return null;
        }

        var spec = new Interop.XRes.XResClientIdSpec { Client = window, Mask = Interop.XRes.ClientIdPidMask };
        if (Interop.XRes.XResQueryClientIds(_x.Handle, 1, &spec, out nint count, out IntPtr ids) != Interop.Xlib.Success || ids == IntPtr.Zero)
        {
            return null;
        }

        try
        {
            // XResClientIdValue (XRes.h, x86_64): spec (16 bytes), long length, void* value = 32 bytes each.
            for (nint i = 0; i < count; i++)
            {
                IntPtr value = ids + (nint)(i * 32);
                if ((Marshal.ReadInt32(value, 8) & (int)Interop.XRes.ClientIdPidMask) != 0)
                {
                    int pid = Interop.XRes.XResGetClientPid(value);
                    return pid > 0 ? pid : null;
                }
            }

            return null;
        }
        finally
        {
            Interop.XRes.XResClientIdsDestroy(count, ids);
        }
    }

    /// <summary>True when an EWMH window manager runs (<c>_NET_SUPPORTING_WM_CHECK</c> is set on the root).</summary>
    public bool HasWindowManager
    {
        get
        {
            lock (_x.Gate)
            {
                return _x.GetLongs(_x.Root, "_NET_SUPPORTING_WM_CHECK").Length > 0;
            }
        }
    }

    public string? WindowManagerName
    {
        get
        {
            lock (_x.Gate)
            {
                nuint[] check = _x.GetLongs(_x.Root, "_NET_SUPPORTING_WM_CHECK");
                return check.Length == 0 ? null : _x.GetProperty(check[0], _x.Atom("_NET_WM_NAME"))?.Utf8();
            }
        }
    }

    public IReadOnlyList<Window> List()
    {
        lock (_x.Gate)
        {
            X11Connection.ClearError();
            nuint[] ids = _x.GetLongs(_x.Root, "_NET_CLIENT_LIST");
            nuint active = Active();
            var result = new List<Window>(ids.Length);
            foreach (nuint id in ids)
            {
                Window? w = Describe(id, active);
                if (w is not null)
                {
                    result.Add(w);
                }
            }

            _ = _x.SyncAndCheck();
            return result;
        }
    }

    public Window? Focused()
    {
        lock (_x.Gate)
        {
            X11Connection.ClearError();
            nuint active = Active();
            Window? w = active == 0 ? null : Describe(active, active);
            _ = _x.SyncAndCheck();
            return w;
        }
    }

    public Window Get(string windowId)
    {
        nuint id = Parse(windowId);
        lock (_x.Gate)
        {
            X11Connection.ClearError();
            if (Array.IndexOf(_x.GetLongs(_x.Root, "_NET_CLIENT_LIST"), id) < 0)
            {
                throw NotFound(windowId);
            }

            Window? w = Describe(id, Active());
            _ = _x.SyncAndCheck();
            return w ?? throw NotFound(windowId);
        }
    }

    public void Focus(string windowId)
    {
        nuint id = Parse(windowId);
        _ = Get(windowId);
        lock (_x.Gate)
        {
            X11Connection.ClearError();
            nuint[] desktop = _x.GetLongs(id, "_NET_WM_DESKTOP");
            if (desktop.Length > 0 && desktop[0] != unchecked((nuint)0xFFFFFFFF))
            {
                SendClientMessage(_x.Root, "_NET_CURRENT_DESKTOP", desktop[0], 0);
            }

            // Source indication 2 = pager: the WM honours it without focus-stealing prevention.
            SendClientMessage(id, "_NET_ACTIVE_WINDOW", 2, 0, 0);
            _ = Interop.Xlib.XRaiseWindow(_x.Handle, id);
            _ = _x.SyncAndCheck();
        }
    }

    public void Move(string windowId, Rect bounds)
    {
        nuint id = Parse(windowId);
        _ = Get(windowId);
        if (bounds.Width < 1 || bounds.Height < 1)
        {
            throw new InvalidArgumentException($"Window bounds must have a positive size: {bounds}.");
        }

        lock (_x.Gate)
        {
            X11Connection.ClearError();
            (int l, int r, int t, int b) = FrameExtents(id);
            int w = Math.Max(1, (int)Math.Round(bounds.Width) - l - r);
            int h = Math.Max(1, (int)Math.Round(bounds.Height) - t - b);

            // Un-maximize first, or the WM ignores the geometry.
            SendClientMessage(id, "_NET_WM_STATE", 0, _x.Atom("_NET_WM_STATE_MAXIMIZED_VERT"), _x.Atom("_NET_WM_STATE_MAXIMIZED_HORZ"), 2);

            // _NET_MOVERESIZE_WINDOW: gravity NorthWest (1) places the outer frame's top-left at x,y; flags x|y|w|h; source pager (2).
            nuint flags = 1 | (1 << 8) | (1 << 9) | (1 << 10) | (1 << 11) | (2 << 12);
            SendClientMessage(id, "_NET_MOVERESIZE_WINDOW", flags, (nuint)(int)Math.Round(bounds.X), (nuint)(int)Math.Round(bounds.Y), (nuint)w, (nuint)h);
            _ = _x.SyncAndCheck();
        }
    }

    public void Close(string windowId)
    {
        nuint id = Parse(windowId);
        _ = Get(windowId);
        lock (_x.Gate)
        {
            X11Connection.ClearError();
            SendClientMessage(id, "_NET_CLOSE_WINDOW", 0, 2);
            _ = _x.SyncAndCheck();
        }
    }

    /// <summary>Closes the X client's connection (as xkill does) for a window whose process is unknown.</summary>
    public void KillClient(string windowId)
    {
        nuint id = Parse(windowId);
        lock (_x.Gate)
        {
            X11Connection.ClearError();
            _ = Interop.Xlib.XKillClient(_x.Handle, id);
            _ = _x.SyncAndCheck();
        }
    }

    private nuint Active()
    {
        nuint[] a = _x.GetLongs(_x.Root, "_NET_ACTIVE_WINDOW");
        return a.Length > 0 ? a[0] : 0;
    }

    private Window? Describe(nuint id, nuint active)
    {
        if (Interop.Xlib.XGetGeometry(_x.Handle, id, out _, out _, out _, out uint width, out uint height, out _, out _) == 0)
        {
            return null;
        }

        _ = Interop.Xlib.XTranslateCoordinates(_x.Handle, id, _x.Root, 0, 0, out int rx, out int ry, out _);
        (int l, int r, int t, int b) = FrameExtents(id);
        var bounds = new Rect(rx - l, ry - t, width + l + r, height + t + b);
        string title = _x.GetProperty(id, _x.Atom("_NET_WM_NAME"), _x.Atom("UTF8_STRING"))?.Utf8()
            ?? Latin1(_x.GetProperty(id, Interop.Xlib.XA_WM_NAME)) ?? string.Empty;
        nuint[] pidProp = _x.GetLongs(id, "_NET_WM_PID");
        int? pid = pidProp.Length > 0 ? (int)pidProp[0] : ClientPid(id);
        string app = AppName(id, pid);
        nuint[] states = _x.GetLongs(id, "_NET_WM_STATE");
        bool minimized = Array.IndexOf(states, _x.Atom("_NET_WM_STATE_HIDDEN")) >= 0;
        nuint[] desktop = _x.GetLongs(id, "_NET_WM_DESKTOP");
        string? workspace = desktop.Length > 0 ? ((long)desktop[0] == 0xFFFFFFFF ? "all" : desktop[0].ToString(CultureInfo.InvariantCulture)) : null;
        return new Window(id.ToString(CultureInfo.InvariantCulture), title, app, pid, bounds, id == active, minimized, workspace);
    }

    /// <summary>WM_CLASS instance name, else the process name, else empty.</summary>
    private string AppName(nuint id, int? pid)
    {
        PropertyValue? cls = _x.GetProperty(id, Interop.Xlib.XA_WM_CLASS, Interop.Xlib.XA_STRING);
        if (cls is not null && cls.Data.Length > 0)
        {
            string[] parts = Encoding.Latin1.GetString(cls.Data).Split('\0', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length > 0)
            {
                return parts[0];
            }
        }

        if (pid is int p)
        {
            try
            {
                return File.ReadAllText($"/proc/{p}/comm").Trim();
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return string.Empty;
    }

    /// <summary>All WM_CLASS names of a window (instance and class), lower case.</summary>
    public IReadOnlyList<string> ClassNames(string windowId)
    {
        nuint id = Parse(windowId);
        lock (_x.Gate)
        {
            PropertyValue? cls = _x.GetProperty(id, Interop.Xlib.XA_WM_CLASS, Interop.Xlib.XA_STRING);
            return cls is null ? [] : Encoding.Latin1.GetString(cls.Data).Split('\0', StringSplitOptions.RemoveEmptyEntries);
        }
    }

    private (int Left, int Right, int Top, int Bottom) FrameExtents(nuint id)
    {
        nuint[] e = _x.GetLongs(id, "_NET_FRAME_EXTENTS");
        return e.Length >= 4 ? ((int)e[0], (int)e[1], (int)e[2], (int)e[3]) : (0, 0, 0, 0);
    }

    private static string? Latin1(PropertyValue? p) => p is null ? null : Encoding.Latin1.GetString(p.Data).TrimEnd('\0');

    private void SendClientMessage(nuint window, string type, nuint d0, nuint d1 = 0, nuint d2 = 0, nuint d3 = 0, nuint d4 = 0)
    {
        // XClientMessageEvent (Xlib.h, x86_64): type 0, serial 8, send_event 16, display 24, window 32,
        // message_type 40, format 48, data.l[5] from 56.
        var ev = default(Interop.Xlib.XEvent);
        long* p = ev.Pad;
        p[0] = Interop.Xlib.ClientMessage;
        p[4] = (long)window;
        p[5] = (long)_x.Atom(type);
        p[6] = 32;
        p[7] = (long)d0;
        p[8] = (long)d1;
        p[9] = (long)d2;
        p[10] = (long)d3;
        p[11] = (long)d4;
        _ = Interop.Xlib.XSendEvent(_x.Handle, _x.Root, Interop.Xlib.False,
            (nint)(Interop.Xlib.SubstructureRedirectMask | Interop.Xlib.SubstructureNotifyMask), &ev);
    }

    private static nuint Parse(string windowId)
    {
        ArgumentNullException.ThrowIfNull(windowId);
        string s = windowId.Trim();
        bool ok = s.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? ulong.TryParse(s.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong v)
            : ulong.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out v);
        if (!ok || v == 0)
        {
            throw new InvalidArgumentException($"'{windowId}' is not an X11 window id.", new Dictionary<string, object?> { ["window_id"] = windowId });
        }

        return (nuint)v;
    }

    private static NotFoundException NotFound(string windowId)
        => new($"No top-level window with id {windowId}.", new Dictionary<string, object?> { ["window_id"] = windowId });
}
