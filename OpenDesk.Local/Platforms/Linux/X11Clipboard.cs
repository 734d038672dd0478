using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.Versioning;
using System.Text;
using OpenDesk.Core;

namespace OpenDesk.Local.Platforms.Linux;

/// <summary>
/// The CLIPBOARD selection, natively: a dedicated thread with its own X connection and an unmapped window owns the
/// selection and answers other clients' requests (TARGETS, UTF8_STRING/STRING/TEXT/text/plain, image/png and any
/// other MIME type written), and reads other owners' contents. Large transfers use the INCR protocol (ICCCM 2.7.2) both
/// ways: data larger than one core X request is served in chunks, and INCR replies from other owners are read.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class X11Clipboard : IComputerClipboard, IDisposable
{
    private const string PngMime = "image/png";

    private static readonly string[] s_textTargets = ["UTF8_STRING", "text/plain;charset=utf-8", "STRING", "TEXT", "text/plain"];

    private readonly BlockingCollection<Action> _work = [];
    private readonly Thread _thread;
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string _displayName;
    private X11Connection? _x;
    private nuint _window;
    private Dictionary<string, byte[]>? _owned;
    private readonly Dictionary<(nuint Requestor, nuint Property), IncrTransfer> _serving = [];
    private volatile bool _stop;
    private int _incrServed;
    private int _incrActive;
    private int _incrRead;
    private int _abandonedReads;

    public X11Clipboard(string displayName)
    {
        _displayName = displayName;
        _thread = new Thread(Run) { IsBackground = true, Name = "opendesk-clipboard" };
        _thread.Start();
        _started.Task.Wait(TimeSpan.FromSeconds(10));
    }

    public bool Available => _x is not null && _window != 0;

    /// <summary>INCR transfers served to other clients until the end (for tests and diagnostics).</summary>
    internal int IncrTransfersServed => Volatile.Read(ref _incrServed);

    /// <summary>INCR transfers in progress.</summary>
    internal int IncrTransfersActive => Volatile.Read(ref _incrActive);

    /// <summary>A requestor that stops deleting the property (it crashed or gave up) loses its INCR transfer after this long.</summary>
    internal TimeSpan IncrTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a read waits for the owner's answer, and for each INCR chunk, before it gives up.</summary>
    internal TimeSpan ReadTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>INCR transfers read from other owners (for tests and diagnostics).</summary>
    internal int IncrTransfersRead => Volatile.Read(ref _incrRead);

    /// <summary>
    /// The largest chunk written in one request: like GTK and Qt, the core request limit (<c>XMaxRequestSize</c>,
    /// 256 KiB on Xorg and Xvfb) rather than the BIG-REQUESTS one, so every requestor can take each chunk; also bounded by
    /// <c>XExtendedMaxRequestSize</c> when a server reports a smaller one.
    /// </summary>
    private long MaxChunkBytes
    {
        get
        {
            long core = (long)Interop.Xlib.XMaxRequestSize(_x!.Handle);
            long extended = (long)Interop.Xlib.XExtendedMaxRequestSize(_x.Handle);
            long words = extended > 0 ? Math.Min(core, extended) : core;
            return Math.Max(4096, (words * 4) - 100); // minus the ChangeProperty request header
        }
    }

    public Task<ClipboardContents> ReadCoreAsync(CancellationToken cancellationToken) => Invoke(ReadOnThread, cancellationToken);

    public async ValueTask<ClipboardContents> ReadAsync(CancellationToken cancellationToken)
        => await ReadCoreAsync(cancellationToken).ConfigureAwait(false);

    public async ValueTask WriteAsync(ClipboardContents contents, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(contents);
        _ = await Invoke(() =>
        {
            WriteOnThread(contents);
            return true;
        }, cancellationToken).ConfigureAwait(false);
    }

    private Task<T> Invoke<T>(Func<T> work, CancellationToken cancellationToken)
    {
        if (!Available)
        {
            throw Unsupported.Exception(Capability.ClipboardRead);
        }

        var tcs = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        CancellationTokenRegistration reg = cancellationToken.Register(() => tcs.TrySetCanceled(cancellationToken));
        _work.Add(
            () =>
        {
            try
            {
                if (!tcs.Task.IsCompleted)
                {
                    tcs.TrySetResult(work());
                }
            }
            catch (Exception e)
            {
                tcs.TrySetException(e);
            }
            finally
            {
                reg.Dispose();
            }
        },
            CancellationToken.None);
        return tcs.Task;
    }

    private unsafe void Run()
    {
        try
        {
            _x = X11Connection.TryOpen(_displayName);
            if (_x is not null)
            {
                _window = Interop.Xlib.XCreateSimpleWindow(_x.Handle, _x.Root, -10, -10, 1, 1, 0, 0, 0);
                _ = Interop.Xlib.XSelectInput(_x.Handle, _window, (nint)Interop.Xlib.PropertyChangeMask);
                _ = _x.SyncAndCheck();
            }
        }
        finally
        {
            _started.TrySetResult();
        }

        if (_x is null)
        {
            return;
        }

        var pfd = new Interop.Libc.PollFd { Fd = Interop.Xlib.XConnectionNumber(_x.Handle), Events = Interop.Libc.POLLIN };
        while (!_stop)
        {
            while (_work.TryTake(out Action? item))
            {
                item();
            }

            PumpEvents(null);
            ExpireTransfers();
            pfd.REvents = 0;
            _ = Interop.Libc.poll(ref pfd, 1, 10);
        }

        _ = Interop.Xlib.XDestroyWindow(_x.Handle, _window);
        _x.Dispose();
    }

    /// <summary>Handles pending events; returns the first one <paramref name="match"/> accepts (others are dispatched).</summary>
    private unsafe Interop.Xlib.XEvent? PumpEvents(Func<Interop.Xlib.XEvent, bool>? match)
    {
        X11Connection x = _x!;
        while (Interop.Xlib.XPending(x.Handle) > 0)
        {
            Interop.Xlib.XEvent ev;
            _ = Interop.Xlib.XNextEvent(x.Handle, &ev);
            if (match is not null && match(ev))
            {
                return ev;
            }

            switch (ev.Type)
            {
                case Interop.Xlib.SelectionRequest:
                    Serve(ev);
                    break;
                case Interop.Xlib.PropertyNotify:
                    ContinueTransfer(ev);
                    break;
                case Interop.Xlib.SelectionClear:
                    if ((nuint)ev.Pad[5] == x.Atom("CLIPBOARD"))
                    {
                        _owned = null;
                    }

                    break;
            }
        }

        return null;
    }

    private Interop.Xlib.XEvent? WaitForEvent(Func<Interop.Xlib.XEvent, bool> match, Stopwatch clock)
    {
        var pfd = new Interop.Libc.PollFd { Fd = Interop.Xlib.XConnectionNumber(_x!.Handle), Events = Interop.Libc.POLLIN };
        while (clock.Elapsed < ReadTimeout)
        {
            _ = Interop.Xlib.XFlush(_x.Handle);
            if (PumpEvents(match) is { } ev)
            {
                return ev;
            }

            pfd.REvents = 0;
            _ = Interop.Libc.poll(ref pfd, 1, 10);
        }

        return null;
    }

    private void WriteOnThread(ClipboardContents contents)
    {
        X11Connection x = _x!;
        var data = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (ClipboardEntry e in contents.Entries)
        {
            string mime = e.MimeType.StartsWith("text/", StringComparison.OrdinalIgnoreCase) ? ClipboardContents.TextMimeType : e.MimeType;
            data.TryAdd(mime, e.Data);
        }

        nuint clipboard = x.Atom("CLIPBOARD");
        if (data.Count == 0)
        {
            if (Interop.Xlib.XGetSelectionOwner(x.Handle, clipboard) == _window)
            {
                _ = Interop.Xlib.XSetSelectionOwner(x.Handle, clipboard, 0, Interop.Xlib.CurrentTime);
            }

            _owned = null;
            _ = x.SyncAndCheck();
            return;
        }

        _owned = data;
        _ = Interop.Xlib.XSetSelectionOwner(x.Handle, clipboard, _window, Interop.Xlib.CurrentTime);
        _ = x.SyncAndCheck();
        if (Interop.Xlib.XGetSelectionOwner(x.Handle, clipboard) != _window)
        {
            _owned = null;
            throw new InternalErrorException("Could not take ownership of the CLIPBOARD selection.");
        }
    }

    private List<string> OfferedTargets()
    {
        var targets = new List<string> { "TARGETS" };
        if (_owned is null)
        {
            return targets;
        }

        foreach (string mime in _owned.Keys)
        {
            if (mime == ClipboardContents.TextMimeType)
            {
                targets.AddRange(s_textTargets);
            }
            else
            {
                targets.Add(mime);
            }
        }

        return targets;
    }

    private unsafe void Serve(Interop.Xlib.XEvent request)
    {
        X11Connection x = _x!;
        nuint requestor = (nuint)request.Pad[5], selection = (nuint)request.Pad[6], target = (nuint)request.Pad[7], property = (nuint)request.Pad[8];
        long time = request.Pad[9];
        if (property == 0)
        {
            property = target; // obsolete clients (ICCCM 2.2)
        }

        bool ok = false;
        X11Connection.ClearError();
        if (_owned is not null && selection == x.Atom("CLIPBOARD"))
        {
            string? name = x.AtomName(target);
            if (name == "TARGETS")
            {
                List<string> offered = OfferedTargets();
                var atoms = new nuint[offered.Count];
                for (int i = 0; i < atoms.Length; i++)
                {
                    atoms[i] = x.Atom(offered[i]);
                }

                fixed (nuint* p = atoms)
                {
                    _ = Interop.Xlib.XChangeProperty(x.Handle, requestor, property, Interop.Xlib.XA_ATOM, 32, Interop.Xlib.PropModeReplace, (byte*)p, atoms.Length);
                }

                ok = true;
            }
            else if (name is not null)
            {
                byte[]? bytes = null;
                if (Array.IndexOf(s_textTargets, name) >= 0 && _owned.TryGetValue(ClipboardContents.TextMimeType, out byte[]? text))
                {
                    bytes = name == "STRING" ? Encoding.Latin1.GetBytes(Encoding.UTF8.GetString(text)) : text;
                }
                else if (_owned.TryGetValue(name, out byte[]? other))
                {
                    bytes = other;
                }

                if (bytes is not null && bytes.Length <= MaxChunkBytes)
                {
                    fixed (byte* p = bytes)
                    {
                        _ = Interop.Xlib.XChangeProperty(x.Handle, requestor, property, target, 8, Interop.Xlib.PropModeReplace, p, bytes.Length);
                    }

                    ok = true;
                }
                else if (bytes is not null)
                {
                    ok = StartTransfer(requestor, property, target, bytes);
                }
            }
        }

        // XSelectionEvent (Xlib.h, x86_64): type 0, serial 8, send_event 16, display 24, requestor 32, selection 40, target 48, property 56, time 64.
        var reply = default(Interop.Xlib.XEvent);
        reply.Pad[0] = Interop.Xlib.SelectionNotify;
        reply.Pad[4] = (long)requestor;
        reply.Pad[5] = (long)selection;
        reply.Pad[6] = (long)target;
        reply.Pad[7] = ok ? (long)property : 0;
        reply.Pad[8] = time;
        _ = Interop.Xlib.XSendEvent(x.Handle, requestor, Interop.Xlib.False, 0, &reply);
        _ = x.SyncAndCheck(); // a requestor that vanished gives BadWindow; ignore it
    }

    /// <summary>
    /// Starts an INCR transfer (ICCCM 2.7.2): watch the requestor's properties, answer with an INCR property holding the
    /// size; each time the requestor deletes the property the next chunk is written, and a zero-length one ends it.
    /// </summary>
    private unsafe bool StartTransfer(nuint requestor, nuint property, nuint target, byte[] data)
    {
        X11Connection x = _x!;
        if (requestor == _window)
        {
            return false; // never: reading while owning answers from memory; our window keeps its own event mask
        }

        // Registered before the INCR answer is visible: a requestor (or a test) that sees it also sees the transfer counted.
        var key = (requestor, property);
        _serving[key] = new IncrTransfer(target, data, MaxChunkBytes) { LastActivity = Stopwatch.GetTimestamp() };
        Volatile.Write(ref _incrActive, _serving.Count);
        _ = Interop.Xlib.XSelectInput(x.Handle, requestor, (nint)Interop.Xlib.PropertyChangeMask);
        nint size = data.Length;
        _ = Interop.Xlib.XChangeProperty(x.Handle, requestor, property, x.Atom("INCR"), 32, Interop.Xlib.PropModeReplace, (byte*)&size, 1);
        if (x.SyncAndCheck() != 0)
        {
            _ = _serving.Remove(key); // the requestor's window is gone
            Volatile.Write(ref _incrActive, _serving.Count);
            return false;
        }

        return true;
    }

    /// <summary>Writes the next chunk of an INCR transfer when its requestor has deleted the previous one.</summary>
    private unsafe void ContinueTransfer(Interop.Xlib.XEvent ev)
    {
        // XPropertyEvent (Xlib.h, x86_64): type 0, serial 8, send_event 16, display 24, window 32, atom 40, time 48, state 56.
        var key = ((nuint)ev.Pad[4], (nuint)ev.Pad[5]);
        if ((int)(ev.Pad[7] & 0xFFFFFFFF) != Interop.Xlib.PropertyDelete || !_serving.TryGetValue(key, out IncrTransfer? t))
        {
            return;
        }

        X11Connection x = _x!;
        int length = (int)Math.Min(t.ChunkBytes, t.Data.Length - t.Offset);
        X11Connection.ClearError();
        fixed (byte* p = t.Data)
        {
            _ = Interop.Xlib.XChangeProperty(x.Handle, key.Item1, key.Item2, t.Target, 8, Interop.Xlib.PropModeReplace, p + t.Offset, length);
        }

        t.Offset += length;
        t.LastActivity = Stopwatch.GetTimestamp();
        bool failed = x.SyncAndCheck() != 0;
        if (length == 0 || failed)
        {
            if (!failed)
            {
                Interlocked.Increment(ref _incrServed);
            }

            EndTransfer(key);
        }
    }

    private void ExpireTransfers()
    {
        if (_serving.Count == 0)
        {
            return;
        }

        foreach (var (key, t) in _serving.ToList())
        {
            if (Stopwatch.GetElapsedTime(t.LastActivity) > IncrTimeout)
            {
                EndTransfer(key);
            }
        }
    }

    private void EndTransfer((nuint Requestor, nuint Property) key)
    {
        _ = _serving.Remove(key);
        Volatile.Write(ref _incrActive, _serving.Count);
        if (!_serving.Keys.Any(k => k.Requestor == key.Requestor))
        {
            X11Connection.ClearError();
            _ = Interop.Xlib.XSelectInput(_x!.Handle, key.Requestor, 0);
            _ = _x.SyncAndCheck(); // BadWindow when the requestor has gone
        }
    }

    private ClipboardContents ReadOnThread()
    {
        X11Connection x = _x!;
        PumpEvents(null);
        if (_owned is not null)
        {
            return new ClipboardContents(_owned.Select(kv => new ClipboardEntry(kv.Key, kv.Value)).ToList());
        }

        nuint clipboard = x.Atom("CLIPBOARD");
        if (Interop.Xlib.XGetSelectionOwner(x.Handle, clipboard) == 0)
        {
            return ClipboardContents.Empty;
        }

        var entries = new List<ClipboardEntry>();
        byte[]? targetsRaw = Convert("TARGETS", out nuint targetsType, out int targetsFormat);
        var offered = new HashSet<string>(StringComparer.Ordinal);
        if (targetsRaw is not null && targetsFormat == 32 && targetsType == Interop.Xlib.XA_ATOM)
        {
            for (int i = 0; i + IntPtr.Size <= targetsRaw.Length; i += IntPtr.Size)
            {
                if (x.AtomName((nuint)BitConverter.ToUInt64(targetsRaw, i)) is string n)
                {
                    offered.Add(n);
                }
            }
        }

        string? textTarget = offered.Count == 0 ? "UTF8_STRING" : s_textTargets.FirstOrDefault(offered.Contains);
        if (textTarget is not null && Convert(textTarget, out nuint type, out _) is byte[] text)
        {
            string decoded = type == Interop.Xlib.XA_STRING ? Encoding.Latin1.GetString(text) : Encoding.UTF8.GetString(text);
            entries.Add(new ClipboardEntry(ClipboardContents.TextMimeType, Encoding.UTF8.GetBytes(decoded)));
        }

        if (offered.Contains(PngMime) && Convert(PngMime, out _, out _) is byte[] png)
        {
            entries.Add(new ClipboardEntry(PngMime, png));
        }

        return new ClipboardContents(entries);
    }

    /// <summary>Asks the owner for <paramref name="target"/> and returns the bytes (null when refused or timed out).</summary>
    private unsafe byte[]? Convert(string target, out nuint type, out int format)
    {
        X11Connection x = _x!;
        type = 0;
        format = 0;
        // After a read gave up, its owner may still write to the property it was given (a late answer, the next INCR
        // chunk): later reads use another property, so such a write can never pass for their answer.
        nuint property = x.Atom(_abandonedReads == 0 ? "OPENDESK_SELECTION" : $"OPENDESK_SELECTION_{_abandonedReads % 8}");
        nuint targetAtom = x.Atom(target);
        _ = Interop.Xlib.XDeleteProperty(x.Handle, _window, property);
        _ = Interop.Xlib.XConvertSelection(x.Handle, x.Atom("CLIPBOARD"), targetAtom, property, _window, Interop.Xlib.CurrentTime);
        var clock = Stopwatch.StartNew();
        Interop.Xlib.XEvent? notify = WaitForEvent(
            e => e.Type == Interop.Xlib.SelectionNotify && (nuint)e.Pad[4] == _window && (nuint)e.Pad[6] == targetAtom && ((nuint)e.Pad[7] == property || e.Pad[7] == 0),
            clock);
        if (notify is not { } n)
        {
            _abandonedReads++;
            return null;
        }

        if (n.Pad[7] == 0)
        {
            return null; // refused
        }

        PropertyValue? value = x.GetProperty(_window, property, delete: true);
        if (value is null)
        {
            return null;
        }

        if (value.Type != x.Atom("INCR"))
        {
            type = value.Type;
            format = value.Format;
            return value.Data;
        }

        // INCR (ICCCM 2.7.2): the owner sends chunks; each appears as a new value that we read and delete; a zero-length chunk ends it.
        using var all = new MemoryStream();
        clock.Restart();
        while (true)
        {
            Interop.Xlib.XEvent? ev = WaitForEvent(e => e.Type == Interop.Xlib.PropertyNotify && (nuint)e.Pad[4] == _window
                && (nuint)e.Pad[5] == property && (int)(e.Pad[7] & 0xFFFFFFFF) == 0, clock);
            if (ev is null)
            {
                _abandonedReads++; // the owner waits for us to delete this chunk's property, and may still write to it
                return null;
            }

            PropertyValue? chunk = x.GetProperty(_window, property, delete: true);
            if (chunk is null || chunk.Data.Length == 0)
            {
                Interlocked.Increment(ref _incrRead);
                type = chunk?.Type ?? 0;
                format = chunk?.Format ?? 8;
                return all.ToArray();
            }

            all.Write(chunk.Data);
            clock.Restart();
        }
    }

    private sealed class IncrTransfer(nuint target, byte[] data, long chunkBytes)
    {
        public nuint Target { get; } = target;

        public byte[] Data { get; } = data;

        public long ChunkBytes { get; } = chunkBytes;

        public int Offset { get; set; }

        public long LastActivity { get; set; }
    }

    public void Dispose()
    {
        _stop = true;
        _ = _thread.Join(TimeSpan.FromSeconds(5));
        _work.Dispose();
    }
}
