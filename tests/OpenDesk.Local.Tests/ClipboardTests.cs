using System.Diagnostics;
using System.Globalization;
using System.Text;
using OpenDesk.Core;
using OpenDesk.Local.Platforms.Linux;
using OpenDesk.Local.Tests.Desktop;
using SkiaSharp;

namespace OpenDesk.Local.Tests;

/// <summary>Clipboard round trips with <c>xclip</c> as the other application.</summary>
public sealed class ClipboardTests(DesktopFixture desktop) : DesktopTest(desktop)
{
    private X11Clipboard X11 => (X11Clipboard)Desktop.Computer.Clipboard;

    [Fact]
    public async Task Write_Text_IsServedToXclip()
    {
        const string text = "héllo from OpenDesk ✓ 📋\nline 2";
        await Computer.Clipboard.WriteAsync(ClipboardContents.FromText(text), Wait.Token);
        Assert.Equal(text, await XclipOutAsync());
        string targets = await XclipOutAsync("-t", "TARGETS");
        Assert.Contains("UTF8_STRING", targets, StringComparison.Ordinal);
        Assert.Equal(text, (await Computer.Clipboard.ReadAsync(Wait.Token)).GetText());
    }

    [Fact]
    public async Task Read_TextOwnedByXclip()
    {
        string file = Path.Combine(TempDir, "in.txt");
        await File.WriteAllTextAsync(file, "from xclip: Ωmega ✓");
        Process xclip = Apps.Start("xclip", "-quiet", "-selection", "clipboard", "-i", file);
        await Wait.UntilAsync(async () => (await Computer.Clipboard.ReadAsync(Wait.Token)).GetText() == "from xclip: Ωmega ✓", "xclip's text on the clipboard");
        Assert.False(xclip.HasExited);
    }

    [Fact]
    public async Task ImagePng_RoundTripsBothWays()
    {
        byte[] png = MakePng();
        string file = Path.Combine(TempDir, "in.png");
        await File.WriteAllBytesAsync(file, png);
        Apps.Start("xclip", "-quiet", "-selection", "clipboard", "-t", "image/png", "-i", file);
        ClipboardContents read = await Wait.ForAsync(async () =>
        {
            ClipboardContents c = await Computer.Clipboard.ReadAsync(Wait.Token);
            return c.Entries.Any(e => e.MimeType == "image/png") ? c : null;
        }, "xclip's PNG on the clipboard");
        Assert.Equal(png, read.Entries.Single(e => e.MimeType == "image/png").Data);

        // Now we own it: text and PNG together; xclip reads the PNG back byte for byte.
        await Computer.Clipboard.WriteAsync(new ClipboardContents([new ClipboardEntry(ClipboardContents.TextMimeType, "caption"u8.ToArray()), new ClipboardEntry("image/png", png)]), Wait.Token);
        string outFile = Path.Combine(TempDir, "out.png");
        CompletedCommand r = await Computer.Processes.ShellAsync(new ShellCommand($"xclip -o -selection clipboard -t image/png > {outFile}", Environment: DisplayEnv()), Wait.Token);
        Assert.Equal(0, r.ReturnCode);
        Assert.Equal(png, await File.ReadAllBytesAsync(outFile));
        Assert.Equal("caption", await XclipOutAsync());
    }

    [Fact]
    public async Task Read_LargeTextFromXclip_ArrivesWhole_ThroughIncr()
    {
        // 4.8 MB: xclip serves anything larger than a quarter of the extended request limit (1 MiB on Xvfb) with INCR.
        string big = BigText(300_000);
        string file = Path.Combine(TempDir, "big.txt");
        await File.WriteAllTextAsync(file, big);
        int incrBefore = X11.IncrTransfersRead;
        Apps.Start("xclip", "-quiet", "-selection", "clipboard", "-i", file);
        await Wait.UntilAsync(async () => (await Computer.Clipboard.ReadAsync(Wait.Token)).GetText() is { Length: > 0 } t && t == big, "the large text");
        Assert.True(X11.IncrTransfersRead > incrBefore, "the text was read through INCR");
    }

    [Fact]
    public async Task Write_LargeText_IsServedToXclipThroughIncr()
    {
        // 4.8 MB is far over one core X request (256 KiB): served in INCR chunks; xclip must reassemble it byte for byte.
        string big = BigText(300_000);
        int incrBefore = X11.IncrTransfersServed;
        await Computer.Clipboard.WriteAsync(ClipboardContents.FromText(big), Wait.Token);
        string outFile = Path.Combine(TempDir, "big-out.txt");
        CompletedCommand r = await Computer.Processes.ShellAsync(new ShellCommand($"xclip -o -selection clipboard > {outFile}", Environment: DisplayEnv()), Wait.Token);
        Assert.True(r.ReturnCode == 0, Encoding.UTF8.GetString(r.Stderr));
        string read = await File.ReadAllTextAsync(outFile, Encoding.UTF8);
        Assert.Equal(big.Length, read.Length);
        Assert.True(big == read, "xclip read the same text");

        // xclip may exit on the closing zero-length chunk before the clipboard thread's round trip has counted it.
        await Wait.UntilAsync(() => X11.IncrTransfersServed == incrBefore + 1, "the transfer counted as served");

        // Small text still goes in one property (no INCR), and the clipboard keeps serving after a transfer.
        await Computer.Clipboard.WriteAsync(ClipboardContents.FromText("small ✓"), Wait.Token);
        Assert.Equal("small ✓", await XclipOutAsync());
        Assert.Equal(incrBefore + 1, X11.IncrTransfersServed);
    }

    [Fact]
    public async Task Write_LargeText_AStalledIncrRequestorIsDropped_AndOthersAreStillServed()
    {
        string big = BigText(100_000); // 1.6 MB
        await Computer.Clipboard.WriteAsync(ClipboardContents.FromText(big), Wait.Token);
        X11Clipboard clipboard = X11;
        TimeSpan timeout = clipboard.IncrTimeout;
        clipboard.IncrTimeout = TimeSpan.FromSeconds(3); // long enough that a slow poll still sees the transfer active
        int served = clipboard.IncrTransfersServed;
        try
        {
            // A raw X client asks for the text and then never deletes the INCR property: the transfer stalls.
            using X11Connection x = X11Connection.TryOpen(Desktop.Display.DisplayName) ?? throw new InvalidOperationException("no X connection");
            nuint window, property = x.Atom("STALLED");
            lock (x.Gate)
            {
                window = Interop.Xlib.XCreateSimpleWindow(x.Handle, x.Root, 0, 0, 1, 1, 0, 0, 0);
                _ = Interop.Xlib.XConvertSelection(x.Handle, x.Atom("CLIPBOARD"), x.Atom("UTF8_STRING"), property, window, Interop.Xlib.CurrentTime);
                Assert.Equal(0, x.SyncAndCheck());
            }

            await Wait.UntilAsync(
                () =>
                {
                    lock (x.Gate)
                    {
                        return x.GetProperty(window, property) is { } p && p.Type == x.Atom("INCR");
                    }
                },
                "the INCR answer to the stalled requestor");
            Assert.Equal(1, clipboard.IncrTransfersActive);
            await Wait.UntilAsync(() => clipboard.IncrTransfersActive == 0, "the stalled transfer to be dropped", TimeSpan.FromSeconds(20));
            Assert.Equal(served, clipboard.IncrTransfersServed);
        }
        finally
        {
            clipboard.IncrTimeout = timeout;
        }

        // The clipboard still serves the whole text to a requestor that takes part.
        string outFile = Path.Combine(TempDir, "after-stall.txt");
        CompletedCommand r = await Computer.Processes.ShellAsync(new ShellCommand($"xclip -o -selection clipboard > {outFile}", Environment: DisplayEnv()), Wait.Token);
        Assert.True(r.ReturnCode == 0, Encoding.UTF8.GetString(r.Stderr));
        Assert.True(big == await File.ReadAllTextAsync(outFile, Encoding.UTF8), "xclip read the same text");
        await Wait.UntilAsync(() => clipboard.IncrTransfersServed == served + 1, "the transfer counted as served");
    }

    [Fact]
    public async Task Read_AfterAReadGaveUpMidIncr_AWriteForTheAbandonedTransferIsNotTakenForTheNewAnswer()
    {
        // A scripted owner (a raw X client) answers the first text request with INCR and then stalls, so the read gives
        // up. It answers the second request with "FRESH", and right after writes the late chunk of the first transfer into
        // the property that transfer was given - as an owner that wakes up late would. The second read must return FRESH.
        using X11Connection owner = X11Connection.TryOpen(Desktop.Display.DisplayName) ?? throw new InvalidOperationException("no X connection");
        using var stop = new CancellationTokenSource();
        nuint window;
        lock (owner.Gate)
        {
            window = Interop.Xlib.XCreateSimpleWindow(owner.Handle, owner.Root, 0, 0, 1, 1, 0, 0, 0);
            _ = Interop.Xlib.XSetSelectionOwner(owner.Handle, owner.Atom("CLIPBOARD"), window, Interop.Xlib.CurrentTime);
            Assert.Equal(0, owner.SyncAndCheck());
        }

        var requests = new List<string>();
        Task script = Task.Run(() => RunStallingOwner(owner, requests, stop.Token));
        X11Clipboard clipboard = X11;
        TimeSpan timeout = clipboard.ReadTimeout;
        clipboard.ReadTimeout = TimeSpan.FromMilliseconds(500);
        try
        {
            ClipboardContents first = await clipboard.ReadAsync(Wait.Token);
            Assert.Null(first.GetText());
            ClipboardContents second = await clipboard.ReadAsync(Wait.Token);
            Assert.Equal("FRESH", second.GetText());
            lock (requests)
            {
                Assert.Equal(["TARGETS", "UTF8_STRING", "TARGETS", "UTF8_STRING"], requests);
            }
        }
        finally
        {
            clipboard.ReadTimeout = timeout;
            await stop.CancelAsync();
            await script;
        }
    }

    /// <summary>The owner side of the test above: refuses TARGETS, answers UTF8_STRING with INCR (then stalls), then with FRESH plus the late chunk.</summary>
    private static unsafe void RunStallingOwner(X11Connection owner, List<string> requests, CancellationToken stop)
    {
        (nuint Requestor, nuint Property)? stalled = null;
        var pfd = new Interop.Libc.PollFd { Fd = Interop.Xlib.XConnectionNumber(owner.Handle), Events = Interop.Libc.POLLIN };
        while (!stop.IsCancellationRequested)
        {
            lock (owner.Gate)
            {
                while (Interop.Xlib.XPending(owner.Handle) > 0)
                {
                    Interop.Xlib.XEvent ev;
                    _ = Interop.Xlib.XNextEvent(owner.Handle, &ev);
                    if (ev.Type != Interop.Xlib.SelectionRequest)
                    {
                        continue;
                    }

                    // XSelectionRequestEvent (Xlib.h, x86_64): requestor 40, selection 48, target 56, property 64, time 72.
                    nuint requestor = (nuint)ev.Pad[5], target = (nuint)ev.Pad[7], property = (nuint)ev.Pad[8];
                    string name = owner.AtomName(target) ?? "?";
                    lock (requests)
                    {
                        requests.Add(name);
                    }

                    nuint answered = 0;
                    if (name == "UTF8_STRING" && stalled is null)
                    {
                        nint size = 100_000;
                        _ = Interop.Xlib.XChangeProperty(owner.Handle, requestor, property, owner.Atom("INCR"), 32, Interop.Xlib.PropModeReplace, (byte*)&size, 1);
                        stalled = (requestor, property);
                        answered = property;
                    }
                    else if (name == "UTF8_STRING")
                    {
                        WriteText(owner, requestor, property, "FRESH");
                        answered = property;
                    }

                    var reply = default(Interop.Xlib.XEvent);
                    reply.Pad[0] = Interop.Xlib.SelectionNotify;
                    reply.Pad[4] = (long)requestor;
                    reply.Pad[5] = ev.Pad[6];
                    reply.Pad[6] = (long)target;
                    reply.Pad[7] = (long)answered;
                    reply.Pad[8] = ev.Pad[9];
                    _ = Interop.Xlib.XSendEvent(owner.Handle, requestor, Interop.Xlib.False, 0, &reply);
                    if (answered != 0 && stalled is { } late && late.Property != 0 && requests.Count(r => r == "UTF8_STRING") == 2)
                    {
                        WriteText(owner, late.Requestor, late.Property, "STALE chunk of the abandoned transfer");
                    }

                    _ = owner.SyncAndCheck();
                }
            }

            pfd.REvents = 0;
            _ = Interop.Libc.poll(ref pfd, 1, 50);
        }

        static void WriteText(X11Connection x, nuint window, nuint property, string text)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(text);
            fixed (byte* p = bytes)
            {
                _ = Interop.Xlib.XChangeProperty(x.Handle, window, property, x.Atom("UTF8_STRING"), 8, Interop.Xlib.PropModeReplace, p, bytes.Length);
            }
        }
    }

    /// <summary>Text of 16 × <paramref name="lines"/> characters with non-ASCII ones (multi-byte UTF-8 across chunk boundaries).</summary>
    private static string BigText(int lines)
    {
        var sb = new StringBuilder(lines * 16);
        for (int i = 0; i < lines; i++)
        {
            sb.Append(i % 7 == 0 ? "Ωmega ✓ €" : "0123456789").Append(CultureInfo.InvariantCulture, $"{i % 100000,5}\n");
        }

        return sb.ToString();
    }

    private static byte[] MakePng()
    {
        using var bmp = new SKBitmap(64, 32);
        using (var canvas = new SKCanvas(bmp))
        {
            canvas.Clear(SKColors.Orange);
            using var paint = new SKPaint { Color = SKColors.Blue };
            canvas.DrawRect(8, 8, 20, 10, paint);
        }

        using SKData data = bmp.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    private async Task<string> XclipOutAsync(params string[] extra)
    {
        CompletedCommand r = await Computer.Processes.ExecAsync(new ExecCommand(["xclip", "-o", "-selection", "clipboard", .. extra], Environment: DisplayEnv()), Wait.Token);
        Assert.True(r.ReturnCode == 0, Encoding.UTF8.GetString(r.Stderr));
        return Encoding.UTF8.GetString(r.Stdout);
    }

}
