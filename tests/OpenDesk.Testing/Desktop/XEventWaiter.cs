using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using static OpenDesk.Testing.Desktop.Interop.Xcb;
using Libc = OpenDesk.Testing.Desktop.Interop.Libc;

namespace OpenDesk.Testing.Desktop;

/// <summary>
/// A private X connection (libxcb) that waits for a condition on X properties by blocking on X events, not by
/// re-checking on a timer: it selects PropertyNotify on the windows the condition reads, evaluates the condition, and
/// when it does not hold yet blocks in <c>poll(2)</c> on the connection (and on the descriptors of processes that
/// must not exit meanwhile) until an event arrives, then evaluates again. Selecting before reading means a change
/// made after a read always produces an event, so nothing is missed. Not thread-safe: one thread opens, uses and
/// disposes it.
/// </summary>
internal sealed unsafe class XEventWaiter : IDisposable
{
    private readonly Dictionary<string, uint> _atoms = new(StringComparer.Ordinal);
    private readonly HashSet<uint> _watched = [];
    private readonly string _display;
    private IntPtr _c;

    private XEventWaiter(string display, IntPtr c, uint root)
    {
        _display = display;
        _c = c;
        Root = root;
        Watch(root);
    }

    /// <summary>The root window of the default screen.</summary>
    public uint Root { get; }

    /// <summary>What <see cref="WaitUntil"/> ended with.</summary>
    public enum Outcome
    {
        /// <summary>The condition holds.</summary>
        Met,

        /// <summary>The timeout passed first.</summary>
        TimedOut,

        /// <summary>One of the watched processes exited first.</summary>
        ProcessExited,
    }

    /// <summary>Connects to <paramref name="display"/> (e.g. <c>:94</c>).</summary>
    /// <param name="display">The display name.</param>
    public static XEventWaiter Open(string display)
    {
        IntPtr c = xcb_connect(display, out int screen);
        if (c == IntPtr.Zero || xcb_connection_has_error(c) != 0)
        {
            int error = c == IntPtr.Zero ? -1 : xcb_connection_has_error(c);
            if (c != IntPtr.Zero)
            {
                xcb_disconnect(c);
            }

            throw new InvalidOperationException($"Could not connect to the X display {display} (xcb error {error}).");
        }

        ScreenIterator it = xcb_setup_roots_iterator(xcb_get_setup(c));
        for (int i = 0; i < screen && it.Rem > 0; i++)
        {
            xcb_screen_next(ref it);
        }

        // xcb_screen_t starts with its root window id.
        return new XEventWaiter(display, c, *(uint*)it.Data);
    }

    /// <summary>
    /// Evaluates <paramref name="condition"/> now and after every X event until it holds, <paramref name="timeout"/>
    /// passes, or one of <paramref name="watched"/> exits.
    /// </summary>
    /// <param name="condition">Reads X state through this connection; calls <see cref="Watch"/> for windows it reads.</param>
    /// <param name="timeout">The longest wait.</param>
    /// <param name="watched">Processes whose exit ends the wait.</param>
    /// <param name="exited">The process that exited, when the outcome is <see cref="Outcome.ProcessExited"/>.</param>
    public Outcome WaitUntil(Func<bool> condition, TimeSpan timeout, IReadOnlyList<ProcessDescriptor> watched, out ProcessDescriptor? exited)
    {
        exited = null;
        var clock = Stopwatch.StartNew();
        var fds = new Libc.PollFd[1 + watched.Count];
        fds[0].Fd = xcb_get_file_descriptor(_c);
        for (int i = 0; i < watched.Count; i++)
        {
            fds[i + 1].Fd = watched[i].Fd;
        }

        while (true)
        {
            if (condition())
            {
                return Outcome.Met;
            }

            // Events that arrived while the condition read may describe changes made after its reads: look again.
            if (DrainEvents())
            {
                continue;
            }

            ThrowIfBroken();
            TimeSpan remaining = timeout - clock.Elapsed;
            if (remaining <= TimeSpan.Zero)
            {
                return Outcome.TimedOut;
            }

            _ = xcb_flush(_c);
            for (int i = 0; i < fds.Length; i++)
            {
                fds[i].Events = Libc.POLLIN;
                fds[i].REvents = 0;
            }

            _ = Libc.Poll(fds, remaining);
            for (int i = 1; i < fds.Length; i++)
            {
                if (fds[i].REvents != 0)
                {
                    exited = watched[i - 1];
                    return condition() ? Outcome.Met : Outcome.ProcessExited;
                }
            }
        }
    }

    /// <summary>
    /// Waits until the window manager lists (<c>_NET_CLIENT_LIST</c>, what <c>wmctrl -l</c> shows) a window for which
    /// <paramref name="matches"/> (window, title) holds, blocking on the client list and the listed windows' events.
    /// </summary>
    /// <param name="matches">The test, given each listed window and its title.</param>
    /// <param name="timeout">The longest wait.</param>
    /// <param name="titles">The titles listed at the last look ("(no title)" for untitled windows), for an error message.</param>
    /// <returns>The window, or 0 when none matched in time.</returns>
    public uint WaitForClientWindow(Func<uint, string, bool> matches, TimeSpan timeout, out string titles)
    {
        uint found = 0;
        List<string> seen = [];
        bool Listed()
        {
            seen.Clear();
            foreach (uint w in GetWindows(Root, "_NET_CLIENT_LIST"))
            {
                Watch(w);
                string? t = GetTitle(w);
                seen.Add(t ?? "(no title)");
                if (t is not null && matches(w, t))
                {
                    found = w;
                    return true;
                }
            }

            return false;
        }

        bool met = WaitUntil(Listed, timeout, [], out _) == Outcome.Met;
        titles = seen.Count == 0 ? "none" : string.Join(", ", seen.Select(t => "'" + t + "'"));
        return met ? found : 0;
    }

    /// <summary>Asks for the property and structure (map, unmap, destroy) events of <paramref name="window"/> (once per
    /// window). Errors for windows that are already gone come back as events and are ignored.</summary>
    /// <param name="window">The window.</param>
    public void Watch(uint window)
    {
        if (window != 0 && _watched.Add(window))
        {
            uint mask = EventMaskPropertyChange | EventMaskStructureNotify;
            _ = xcb_change_window_attributes(_c, window, CwEventMask, &mask);
        }
    }

    /// <summary>The atom for <paramref name="name"/> (created if it does not exist yet).</summary>
    /// <param name="name">The atom name.</param>
    public uint Atom(string name)
    {
        if (_atoms.TryGetValue(name, out uint atom))
        {
            return atom;
        }

        byte[] bytes = Encoding.ASCII.GetBytes(name);
        IntPtr reply;
        fixed (byte* p = bytes)
        {
            reply = xcb_intern_atom_reply(_c, xcb_intern_atom(_c, 0, (ushort)bytes.Length, p), out IntPtr error);
            NativeMemory.Free((void*)error);
        }

        if (reply == IntPtr.Zero)
        {
            ThrowIfBroken();
            throw new InvalidOperationException($"Could not intern the X atom {name} on {_display}.");
        }

        // xcb_intern_atom_reply_t: response_type, pad, sequence (2), length (4), then the atom.
        atom = *(uint*)(reply + 8);
        NativeMemory.Free((void*)reply);
        _atoms[name] = atom;
        return atom;
    }

    /// <summary>A window-list property (e.g. <c>_NET_CLIENT_LIST</c>), empty when unset or the window is gone.</summary>
    /// <param name="window">The window.</param>
    /// <param name="property">The property name.</param>
    public uint[] GetWindows(uint window, string property)
    {
        byte[]? value = GetProperty(window, Atom(property), AtomWindow);
        return value is null ? [] : MemoryMarshal.Cast<byte, uint>(value).ToArray();
    }

    /// <summary>A text property, or null when unset or the window is gone.</summary>
    /// <param name="window">The window.</param>
    /// <param name="property">The property name.</param>
    public string? GetText(uint window, string property)
    {
        byte[]? value = GetProperty(window, property == "WM_NAME" ? AtomWmName : Atom(property), AtomAny);
        return value is null ? null : Encoding.UTF8.GetString(value);
    }

    /// <summary>A window's title as <c>wmctrl -l</c> shows it: <c>_NET_WM_NAME</c>, else <c>WM_NAME</c>.</summary>
    /// <param name="window">The window.</param>
    public string? GetTitle(uint window) => GetText(window, "_NET_WM_NAME") ?? GetText(window, "WM_NAME");

    /// <summary>True when the window is mapped and all its ancestors are (map state IsViewable).</summary>
    /// <param name="window">The window.</param>
    public bool IsViewable(uint window)
    {
        IntPtr reply = xcb_get_window_attributes_reply(_c, xcb_get_window_attributes(_c, window), out IntPtr error);
        NativeMemory.Free((void*)error);
        if (reply == IntPtr.Zero)
        {
            return false;
        }

        // xcb_get_window_attributes_reply_t: map_state is the byte at offset 26; XCB_MAP_STATE_VIEWABLE = 2.
        bool viewable = *(byte*)(reply + 26) == 2;
        NativeMemory.Free((void*)reply);
        return viewable;
    }

    /// <summary>The window id as <c>wmctrl</c> prints it (<c>0x</c> and eight hex digits).</summary>
    /// <param name="window">The window.</param>
    public static string Hex(uint window) => "0x" + window.ToString("x8", CultureInfo.InvariantCulture);

    /// <inheritdoc />
    public void Dispose()
    {
        IntPtr c = _c;
        _c = IntPtr.Zero;
        if (c != IntPtr.Zero)
        {
            xcb_disconnect(c);
        }
    }

    private byte[]? GetProperty(uint window, uint property, uint type)
    {
        IntPtr reply = xcb_get_property_reply(_c, xcb_get_property(_c, 0, window, property, type, 0, 1 << 16), out IntPtr error);
        NativeMemory.Free((void*)error);
        if (reply == IntPtr.Zero)
        {
            return null;
        }

        try
        {
            // xcb_get_property_reply_t: response_type, format, sequence (2), length (4), type (4) ...; format 0 = unset.
            byte format = *(byte*)(reply + 1);
            int length = xcb_get_property_value_length(reply);
            return format == 0 ? null : new ReadOnlySpan<byte>((void*)xcb_get_property_value(reply), length).ToArray();
        }
        finally
        {
            NativeMemory.Free((void*)reply);
        }
    }

    private bool DrainEvents()
    {
        bool any = false;
        IntPtr e;
        while ((e = xcb_poll_for_event(_c)) != IntPtr.Zero)
        {
            NativeMemory.Free((void*)e);
            any = true;
        }

        return any;
    }

    private void ThrowIfBroken()
    {
        int error = xcb_connection_has_error(_c);
        if (error != 0)
        {
            throw new InvalidOperationException($"The X connection to {_display} broke (xcb error {error}; did Xvfb exit?).");
        }
    }
}
