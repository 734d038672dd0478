using System.Runtime.InteropServices;

namespace OpenDesk.Local;

internal static partial class Interop
{
    internal static partial class Libc
    {
        internal const int IPC_PRIVATE = 0;
        internal const int IPC_CREAT = 0x200;
        internal const int IPC_RMID = 0;

        [LibraryImport(Libraries.Libc, SetLastError = true)]
        internal static partial int shmget(int key, nuint size, int shmflg);

        [LibraryImport(Libraries.Libc, SetLastError = true)]
        internal static partial IntPtr shmat(int shmid, IntPtr shmaddr, int shmflg);

        [LibraryImport(Libraries.Libc, SetLastError = true)]
        internal static partial int shmdt(IntPtr shmaddr);

        [LibraryImport(Libraries.Libc, SetLastError = true)]
        internal static partial int shmctl(int shmid, int cmd, IntPtr buf);

        /// <summary>Sets a variable in the native environment (Environment.SetEnvironmentVariable does not reach native code).</summary>
        [LibraryImport(Libraries.Libc, StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        internal static partial int setenv(string name, string value, int overwrite);

        [LibraryImport(Libraries.Libc, StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        internal static partial int unsetenv(string name);

        [LibraryImport(Libraries.Libc)]
        internal static partial uint geteuid();

        [LibraryImport(Libraries.Libc, SetLastError = true)]
        internal static partial int kill(int pid, int sig);

        [LibraryImport(Libraries.Libc, SetLastError = true)]
        internal static partial int poll(ref PollFd fds, nuint nfds, int timeout);

        [StructLayout(LayoutKind.Sequential)]
        internal struct PollFd
        {
            public int Fd;
            public short Events;
            public short REvents;
        }

        [LibraryImport(Libraries.Libc, SetLastError = true)]
        internal static partial int close(int fd);

        // pidfd_open(2) (Linux 5.3) has number 434 on every architecture .NET runs on (added after the tables were unified).
        [LibraryImport(Libraries.Libc, EntryPoint = "syscall", SetLastError = true)]
        private static partial long syscall_pidfd_open(long number, int pid, uint flags);

        /// <summary>A descriptor that <c>poll(2)</c> reports readable once process <paramref name="pid"/> has exited; -1 and errno on failure.</summary>
        internal static int pidfd_open(int pid) => (int)syscall_pidfd_open(434, pid, 0);

        internal const short POLLIN = 1;
        internal const short POLLERR = 8;
        internal const short POLLHUP = 16;
        internal const int EINTR = 4;
        internal const int ESRCH = 3;
        internal const int SIGKILL = 9;
        internal const int SIGTERM = 15;

        /// <summary>Sets a variable both in the managed and in the native environment.</summary>
        internal static void SetEnvironment(string name, string value)
        {
            Environment.SetEnvironmentVariable(name, value);
            _ = setenv(name, value, 1);
        }

        /// <summary>Removes a variable from both the managed and the native environment.</summary>
        internal static void UnsetEnvironment(string name)
        {
            Environment.SetEnvironmentVariable(name, null);
            _ = unsetenv(name);
        }
    }
}
