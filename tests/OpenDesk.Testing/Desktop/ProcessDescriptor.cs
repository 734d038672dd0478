using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.InteropServices;
using static OpenDesk.Testing.Desktop.Interop.Libc;

namespace OpenDesk.Testing.Desktop;

/// <summary>
/// A Linux process descriptor (<c>pidfd_open(2)</c>, Linux 5.3+). It names one process, not a PID that may be reused,
/// and <c>poll(2)</c> reports it readable as soon as that process has exited — when it becomes a zombie, whoever its
/// parent is. That is the exit event <see cref="Process.WaitForExit()"/> cannot give for processes that are not our
/// children: those are reparented to this container's init, which does not reap them, so they stay zombies.
/// </summary>
internal sealed class ProcessDescriptor : IDisposable
{
    private static readonly Lazy<bool> s_supported = new(Probe);
    private int _fd;

    private ProcessDescriptor(int pid, int fd)
    {
        Pid = pid;
        _fd = fd;
    }

    /// <summary>Whether this kernel (and any seccomp filter) allows <c>pidfd_open</c>.</summary>
    public static bool IsSupported => s_supported.Value;

    /// <summary>The process id the descriptor was opened for.</summary>
    public int Pid { get; }

    /// <summary>The file descriptor, readable once the process has exited.</summary>
    public int Fd => _fd;

    /// <summary>Opens a descriptor for <paramref name="pid"/>, or returns null when no such process exists (ESRCH).</summary>
    /// <param name="pid">The process.</param>
    public static ProcessDescriptor? Open(int pid)
    {
        int fd = pidfd_open(pid);
        if (fd >= 0)
        {
            return new ProcessDescriptor(pid, fd);
        }

        int errno = Marshal.GetLastPInvokeError();
        return errno == ESRCH ? null : throw new Win32Exception(errno, $"pidfd_open({pid}) failed");
    }

    /// <summary>Sends SIGKILL through the descriptor (so never to a process that reused the PID).</summary>
    public void Kill()
    {
        if (pidfd_send_signal(_fd, SIGKILL) != 0 && Marshal.GetLastPInvokeError() is int errno && errno != ESRCH)
        {
            throw new Win32Exception(errno, $"pidfd_send_signal({Pid}, SIGKILL) failed");
        }
    }

    /// <summary>Waits (poll(2) on the descriptors, no sleeping) until every process has exited or the timeout passes.</summary>
    /// <param name="processes">The processes.</param>
    /// <param name="timeout">The longest wait.</param>
    /// <returns>The processes still running at the timeout (empty when all exited).</returns>
    public static List<ProcessDescriptor> WaitForExit(IReadOnlyList<ProcessDescriptor> processes, TimeSpan timeout)
    {
        var pending = new List<ProcessDescriptor>(processes);
        var clock = Stopwatch.StartNew();
        while (pending.Count > 0)
        {
            PollFd[] fds = [.. pending.Select(p => new PollFd { Fd = p._fd, Events = POLLIN })];
            _ = Poll(fds, timeout - clock.Elapsed);
            for (int i = fds.Length - 1; i >= 0; i--)
            {
                if (fds[i].REvents != 0)
                {
                    pending.RemoveAt(i);
                }
            }

            if (clock.Elapsed >= timeout)
            {
                break;
            }
        }

        return pending;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
        {
            _ = close(fd);
        }
    }

    private static bool Probe()
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        int fd = pidfd_open(Environment.ProcessId);
        if (fd >= 0)
        {
            _ = close(fd);
            return true;
        }

        // ENOSYS: kernel before 5.3; EPERM: a seccomp filter that refuses unknown system calls.
        return Marshal.GetLastPInvokeError() is not (ENOSYS or EPERM);
    }
}
