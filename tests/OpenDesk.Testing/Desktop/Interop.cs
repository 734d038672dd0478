using System.Runtime.InteropServices;

namespace OpenDesk.Testing.Desktop;

/// <summary>
/// The native calls <see cref="XvfbDesktop"/> makes: libxcb for its own X connection (xcb reports X errors per
/// request, so unlike Xlib it needs no process-wide error handler that would fight OpenDesk.Local's), and Linux
/// process descriptors (pidfd) to wait for processes that are not our children.
/// </summary>
internal static unsafe partial class Interop
{
    internal static partial class Xcb
    {
        private const string Lib = "libxcb.so.1";

        internal const uint CwEventMask = 1u << 11;
        internal const uint EventMaskStructureNotify = 1u << 17;
        internal const uint EventMaskPropertyChange = 1u << 22;
        internal const uint AtomAny = 0;
        internal const uint AtomWindow = 33;
        internal const uint AtomWmName = 39;

        [StructLayout(LayoutKind.Sequential)]
        internal struct ScreenIterator
        {
            public IntPtr Data;
            public int Rem;
            public int Index;
        }

        [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial IntPtr xcb_connect(string? displayname, out int screen);

        [LibraryImport(Lib)]
        internal static partial int xcb_connection_has_error(IntPtr c);

        [LibraryImport(Lib)]
        internal static partial void xcb_disconnect(IntPtr c);

        [LibraryImport(Lib)]
        internal static partial int xcb_get_file_descriptor(IntPtr c);

        [LibraryImport(Lib)]
        internal static partial int xcb_flush(IntPtr c);

        [LibraryImport(Lib)]
        internal static partial IntPtr xcb_get_setup(IntPtr c);

        [LibraryImport(Lib)]
        internal static partial ScreenIterator xcb_setup_roots_iterator(IntPtr setup);

        [LibraryImport(Lib)]
        internal static partial void xcb_screen_next(ref ScreenIterator i);

        /// <summary>Returns the cookie (<c>xcb_intern_atom_cookie_t</c> is one <c>unsigned int</c>).</summary>
        [LibraryImport(Lib)]
        internal static partial uint xcb_intern_atom(IntPtr c, byte only_if_exists, ushort name_len, byte* name);

        [LibraryImport(Lib)]
        internal static partial IntPtr xcb_intern_atom_reply(IntPtr c, uint cookie, out IntPtr e);

        [LibraryImport(Lib)]
        internal static partial uint xcb_change_window_attributes(IntPtr c, uint window, uint value_mask, uint* value_list);

        [LibraryImport(Lib)]
        internal static partial uint xcb_get_window_attributes(IntPtr c, uint window);

        [LibraryImport(Lib)]
        internal static partial IntPtr xcb_get_window_attributes_reply(IntPtr c, uint cookie, out IntPtr e);

        [LibraryImport(Lib)]
        internal static partial uint xcb_get_property(IntPtr c, byte delete, uint window, uint property, uint type, uint long_offset, uint long_length);

        [LibraryImport(Lib)]
        internal static partial IntPtr xcb_get_property_reply(IntPtr c, uint cookie, out IntPtr e);

        [LibraryImport(Lib)]
        internal static partial IntPtr xcb_get_property_value(IntPtr r);

        [LibraryImport(Lib)]
        internal static partial int xcb_get_property_value_length(IntPtr r);

        [LibraryImport(Lib)]
        internal static partial IntPtr xcb_poll_for_event(IntPtr c);
    }

    internal static partial class Libc
    {
        private const string Lib = "libc";

        internal const short POLLIN = 0x1;
        internal const int EINTR = 4;
        internal const int ESRCH = 3;
        internal const int EPERM = 1;
        internal const int ENOSYS = 38;
        internal const int SIGKILL = 9;

        /// <summary>pidfd_open(2) and pidfd_send_signal(2) have the same numbers on every architecture .NET runs on
        /// (they were added after the syscall tables were unified, Linux 5.3 and 5.1).</summary>
        private const long SysPidfdOpen = 434;
        private const long SysPidfdSendSignal = 424;

        [StructLayout(LayoutKind.Sequential)]
        internal struct PollFd
        {
            public int Fd;
            public short Events;
            public short REvents;
        }

        [LibraryImport(Lib, SetLastError = true)]
        internal static partial int poll(PollFd* fds, nuint nfds, int timeout);

        [LibraryImport(Lib, SetLastError = true)]
        internal static partial int close(int fd);

        // syscall(2) is variadic; its integer arguments travel in the same registers as a fixed-argument call's.
        [LibraryImport(Lib, EntryPoint = "syscall", SetLastError = true)]
        private static partial long syscall_pidfd_open(long number, int pid, uint flags);

        [LibraryImport(Lib, EntryPoint = "syscall", SetLastError = true)]
        private static partial long syscall_pidfd_send_signal(long number, int pidfd, int sig, IntPtr info, uint flags);

        /// <summary>poll(2) with a timeout rounded up to whole milliseconds; an interrupted call (EINTR: the runtime
        /// signals its threads) returns 0 like a timeout, so callers loop on their own deadline.</summary>
        internal static int Poll(Span<PollFd> fds, TimeSpan remaining)
        {
            int ms = (int)Math.Clamp(Math.Ceiling(remaining.TotalMilliseconds), 0, int.MaxValue);
            fixed (PollFd* p = fds)
            {
                int rc = poll(p, (nuint)fds.Length, ms);
                if (rc >= 0)
                {
                    return rc;
                }

                int errno = Marshal.GetLastPInvokeError();
                return errno == EINTR ? 0 : throw new System.ComponentModel.Win32Exception(errno, "poll(2) failed");
            }
        }

        internal static int pidfd_open(int pid) => (int)syscall_pidfd_open(SysPidfdOpen, pid, 0);

        internal static int pidfd_send_signal(int pidfd, int sig) => (int)syscall_pidfd_send_signal(SysPidfdSendSignal, pidfd, sig, IntPtr.Zero, 0);
    }
}
