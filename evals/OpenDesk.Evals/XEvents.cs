using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace OpenDesk.Evals;

/// <summary>
/// A private X connection (libxcb) of the eval desktop that waits for a condition on window properties by blocking on
/// X events instead of re-checking on a timer: it selects PropertyNotify (and StructureNotify, for map changes) on the
/// windows the condition reads, evaluates the condition, and when it does not hold blocks in <c>poll(2)</c> on the
/// connection (and on a process descriptor of a process that must keep running) until something arrives, then
/// evaluates again. Selecting a window before reading it means any later change produces an event, so nothing is
/// missed. Not thread-safe: one thread opens, uses and disposes it. The evals use OpenDesk only as a process, so this
/// is their own small client, not OpenDesk.Local's.
/// </summary>
internal sealed class XEvents : IDisposable
{
    private const uint CwEventMask = 1u << 11;
    private const uint EventMaskStructureNotify = 1u << 17;
    private const uint EventMaskPropertyChange = 1u << 22;
    private const short PollIn = 0x1;
    private const short PollErr = 0x8;
    private const short PollHup = 0x10;
    private const int Eintr = 4;
    private const int Esrch = 3;
    private const string Xcb = "libxcb.so.1";
    private const string Libc = "libc";

    private readonly Dictionary<string, uint> _atoms = new(StringComparer.Ordinal);
    private readonly HashSet<uint> _watched = [];
    private readonly string _display;
    private IntPtr _c;

    private XEvents(string display, IntPtr c, uint root)
    {
        _display = display;
        _c = c;
        Root = root;
        Watch(root);
    }

    /// <summary>How <see cref="WaitUntil"/> ended.</summary>
    public enum Outcome
    {
        /// <summary>The condition held.</summary>
        Met,

        /// <summary>The timeout passed first.</summary>
        TimedOut,

        /// <summary>The process that had to keep running exited first.</summary>
        ProcessExited,
    }

    /// <summary>The root window of the default screen.</summary>
    public uint Root { get; }

    /// <summary>Connects to <paramref name="display"/>.</summary>
    /// <exception cref="InvalidOperationException">The display cannot be opened.</exception>
    public static XEvents Open(string display)
    {
        IntPtr c = xcb_connect(display, out int screen);
        if (xcb_connection_has_error(c) != 0)
        {
            xcb_disconnect(c);
            throw new InvalidOperationException($"Cannot connect to the X display {display}.");
        }

        ScreenIterator it = xcb_setup_roots_iterator(xcb_get_setup(c));
        for (int i = 0; i < screen && it.Rem > 0; i++)
        {
            xcb_screen_next(ref it);
        }

        // xcb_screen_t starts with its root window id.
        return new XEvents(display, c, (uint)Marshal.ReadInt32(it.Data));
    }

    /// <summary>Selects property and structure events on <paramref name="window"/> (once per window).</summary>
    public void Watch(uint window)
    {
        if (_watched.Add(window))
        {
            uint mask = EventMaskPropertyChange | EventMaskStructureNotify;
            _ = xcb_change_window_attributes(_c, window, CwEventMask, ref mask);
        }
    }

    /// <summary>The window ids in a <c>WINDOW</c>-list property (e.g. <c>_NET_CLIENT_LIST</c> on the root).</summary>
    public uint[] GetWindows(uint window, string property)
    {
        byte[]? value = GetProperty(window, Atom(property));
        return value is null ? [] : MemoryMarshal.Cast<byte, uint>(value).ToArray();
    }

    /// <summary>A text property (any type, read as UTF-8), or null when it is not set.</summary>
    public string? GetText(uint window, string property)
        => GetProperty(window, Atom(property)) is byte[] v ? Encoding.UTF8.GetString(v).TrimEnd('\0') : null;

    /// <summary>The title: <c>_NET_WM_NAME</c>, else <c>WM_NAME</c>.</summary>
    public string? GetTitle(uint window) => GetText(window, "_NET_WM_NAME") ?? GetText(window, "WM_NAME");

    /// <summary>True when the window is mapped and all its ancestors are (map state IsViewable).</summary>
    public bool IsViewable(uint window)
    {
        IntPtr reply = xcb_get_window_attributes_reply(_c, xcb_get_window_attributes(_c, window), out IntPtr error);
        free(error);
        if (reply == IntPtr.Zero)
        {
            return false;
        }

        // xcb_get_window_attributes_reply_t: map_state is the byte at offset 26; XCB_MAP_STATE_VIEWABLE = 2.
        bool viewable = Marshal.ReadByte(reply, 26) == 2;
        free(reply);
        return viewable;
    }

    /// <summary>
    /// Evaluates <paramref name="condition"/> until it holds, waking on X events (the condition should
    /// <see cref="Watch"/> every window it reads), the exit of <paramref name="mustRunPid"/> (0: none), or the timeout.
    /// </summary>
    public Outcome WaitUntil(Func<bool> condition, TimeSpan timeout, int mustRunPid = 0)
    {
        int pidfd = -1;
        if (mustRunPid > 0)
        {
            pidfd = (int)syscall_pidfd_open(434, mustRunPid, 0);
            if (pidfd < 0 && Marshal.GetLastPInvokeError() == Esrch)
            {
                return condition() ? Outcome.Met : Outcome.ProcessExited;
            }

            // Other errors (ENOSYS before Linux 5.3, EPERM under a seccomp filter): only the timeout ends the wait.
        }

        try
        {
            var clock = Stopwatch.StartNew();
            var fds = new PollFd[pidfd >= 0 ? 2 : 1];
            while (true)
            {
                ThrowIfBroken();
                if (condition())
                {
                    return Outcome.Met;
                }

                // Events read along with the replies above may be the change: drop them all and evaluate again.
                _ = xcb_flush(_c);
                if (DrainEvents())
                {
                    continue;
                }

                TimeSpan left = timeout - clock.Elapsed;
                if (left <= TimeSpan.Zero)
                {
                    return Outcome.TimedOut;
                }

                fds[0] = new PollFd { Fd = xcb_get_file_descriptor(_c), Events = PollIn };
                if (pidfd >= 0)
                {
                    fds[1] = new PollFd { Fd = pidfd, Events = PollIn };
                }

                int ms = (int)Math.Clamp(Math.Ceiling(left.TotalMilliseconds), 1, int.MaxValue);
                if (poll(fds, (nuint)fds.Length, ms) < 0 && Marshal.GetLastPInvokeError() is int errno && errno != Eintr)
                {
                    throw new System.ComponentModel.Win32Exception(errno, "poll(2) on the X connection failed");
                }

                if (pidfd >= 0 && fds[1].REvents != 0)
                {
                    return condition() ? Outcome.Met : Outcome.ProcessExited;
                }

                if ((fds[0].REvents & (PollErr | PollHup)) != 0)
                {
                    throw new InvalidOperationException($"The X connection to {_display} closed (did Xvfb exit?).");
                }
            }
        }
        finally
        {
            if (pidfd >= 0)
            {
                _ = close(pidfd);
            }
        }
    }

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

    private uint Atom(string name)
    {
        if (_atoms.TryGetValue(name, out uint atom))
        {
            return atom;
        }

        byte[] bytes = Encoding.ASCII.GetBytes(name);
        IntPtr reply = xcb_intern_atom_reply(_c, xcb_intern_atom(_c, 0, (ushort)bytes.Length, bytes), out IntPtr error);
        free(error);
        if (reply == IntPtr.Zero)
        {
            ThrowIfBroken();
            throw new InvalidOperationException($"The X server on {_display} did not intern the atom {name}.");
        }

        // xcb_intern_atom_reply_t: response_type, pad, sequence (2), length (4), atom (4).
        atom = (uint)Marshal.ReadInt32(reply, 8);
        free(reply);
        _atoms[name] = atom;
        return atom;
    }

    private byte[]? GetProperty(uint window, uint property)
    {
        IntPtr reply = xcb_get_property_reply(_c, xcb_get_property(_c, 0, window, property, 0, 0, 1 << 16), out IntPtr error);
        free(error);
        if (reply == IntPtr.Zero)
        {
            return null;
        }

        try
        {
            // xcb_get_property_reply_t: response_type, format, ...; format 0 means the property is not set.
            if (Marshal.ReadByte(reply, 1) == 0)
            {
                return null;
            }

            var value = new byte[xcb_get_property_value_length(reply)];
            Marshal.Copy(xcb_get_property_value(reply), value, 0, value.Length);
            return value;
        }
        finally
        {
            free(reply);
        }
    }

    private bool DrainEvents()
    {
        bool any = false;
        IntPtr e;
        while ((e = xcb_poll_for_event(_c)) != IntPtr.Zero)
        {
            free(e);
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

    [StructLayout(LayoutKind.Sequential)]
    private struct ScreenIterator
    {
        public IntPtr Data;
        public int Rem;
        public int Index;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short REvents;
    }

#pragma warning disable SA1300, IDE1006 // native names
    [DllImport(Xcb, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern IntPtr xcb_connect(string? displayname, out int screen);

    [DllImport(Xcb)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int xcb_connection_has_error(IntPtr c);

    [DllImport(Xcb)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern void xcb_disconnect(IntPtr c);

    [DllImport(Xcb)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int xcb_get_file_descriptor(IntPtr c);

    [DllImport(Xcb)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int xcb_flush(IntPtr c);

    [DllImport(Xcb)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern IntPtr xcb_get_setup(IntPtr c);

    [DllImport(Xcb)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern ScreenIterator xcb_setup_roots_iterator(IntPtr setup);

    [DllImport(Xcb)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern void xcb_screen_next(ref ScreenIterator i);

    /// <summary>Returns the cookie (<c>xcb_intern_atom_cookie_t</c> is one <c>unsigned int</c>).</summary>
    [DllImport(Xcb)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern uint xcb_intern_atom(IntPtr c, byte only_if_exists, ushort name_len, byte[] name);

    [DllImport(Xcb)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern IntPtr xcb_intern_atom_reply(IntPtr c, uint cookie, out IntPtr e);

    [DllImport(Xcb)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern uint xcb_change_window_attributes(IntPtr c, uint window, uint value_mask, ref uint value_list);

    [DllImport(Xcb)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern uint xcb_get_window_attributes(IntPtr c, uint window);

    [DllImport(Xcb)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern IntPtr xcb_get_window_attributes_reply(IntPtr c, uint cookie, out IntPtr e);

    [DllImport(Xcb)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern uint xcb_get_property(IntPtr c, byte delete, uint window, uint property, uint type, uint long_offset, uint long_length);

    [DllImport(Xcb)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern IntPtr xcb_get_property_reply(IntPtr c, uint cookie, out IntPtr e);

    [DllImport(Xcb)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern IntPtr xcb_get_property_value(IntPtr r);

    [DllImport(Xcb)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int xcb_get_property_value_length(IntPtr r);

    [DllImport(Xcb)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern IntPtr xcb_poll_for_event(IntPtr c);

    [DllImport(Libc)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern void free(IntPtr p);

    [DllImport(Libc, SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int poll([In, Out] PollFd[] fds, nuint nfds, int timeout);

    [DllImport(Libc, SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int close(int fd);

    // pidfd_open(2) is number 434 on every architecture .NET runs on; syscall(2)'s integer arguments travel in the
    // same registers as a fixed-argument call's.
    [DllImport(Libc, EntryPoint = "syscall", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern long syscall_pidfd_open(long number, int pid, uint flags);
#pragma warning restore SA1300, IDE1006
}
