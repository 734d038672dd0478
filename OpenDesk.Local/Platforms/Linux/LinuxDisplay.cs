using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.Versioning;
using OpenDesk.Core;
using OpenDesk.Local.Imaging;

namespace OpenDesk.Local.Platforms.Linux;

/// <summary><c>display.*</c>: XRandR monitors, MIT-SHM capture, encode, frame streams, cursor position.</summary>
[SupportedOSPlatform("linux")]
internal sealed unsafe class LinuxDisplay : IComputerDisplay, IScreenSource
{
    private readonly X11Connection _x;
    private readonly X11Capture _capture;
    private readonly X11Input _input;
    private readonly int _maxFps;
    private readonly bool _randr;

    public LinuxDisplay(X11Connection x, X11Capture capture, X11Input input, int maxFps)
    {
        _x = x;
        _capture = capture;
        _input = input;
        _maxFps = maxFps;
        lock (_x.Gate)
        {
            _randr = Interop.Xrandr.XRRQueryExtension(_x.Handle, out _, out _) != 0;
        }
    }

    public bool UsesShm => _capture.UsesShm;

    public IReadOnlyList<Display> Displays()
    {
        var result = new List<Display>();
        lock (_x.Gate)
        {
            int rootW = _x.Width, rootH = _x.Height;
            if (_randr)
            {
                Interop.Xrandr.XRRMonitorInfo* monitors = Interop.Xrandr.XRRGetMonitors(_x.Handle, _x.Root, 1, out int count);
                if (monitors is not null)
                {
                    IntPtr resources = Interop.Xrandr.XRRGetScreenResourcesCurrent(_x.Handle, _x.Root);
                    try
                    {
                        for (int i = 0; i < count; i++)
                        {
                            Interop.Xrandr.XRRMonitorInfo m = monitors[i];
                            string name = _x.AtomName(m.Name) ?? string.Empty;
                            string id = name.Length > 0 ? name : i.ToString(CultureInfo.InvariantCulture);
                            (int mmW, int mmH) = PhysicalSize(m, resources);
                            double scale = DisplayScale.FromPhysicalSize(m.Width, m.Height, mmW, mmH);
                            result.Add(new Display(id, new Rect(m.X, m.Y, m.Width, m.Height), scale, m.Primary != 0, name.Length > 0 ? name : null));
                        }
                    }
                    finally
                    {
                        if (resources != IntPtr.Zero)
                        {
                            Interop.Xrandr.XRRFreeScreenResources(resources);
                        }

                        Interop.Xrandr.XRRFreeMonitors(monitors);
                    }
                }
            }

            if (result.Count == 0)
            {
                (int mmW, int mmH) = CoreScreenSize();
                result.Add(new Display("0", new Rect(0, 0, rootW, rootH), DisplayScale.FromPhysicalSize(rootW, rootH, mmW, mmH), true, "screen"));
            }
        }

        if (!result.Exists(d => d.Primary))
        {
            result[0] = result[0] with { Primary = true };
        }

        // Primary first.
        result.Sort((a, b) => b.Primary.CompareTo(a.Primary));
        return result;
    }

    /// <summary>
    /// The monitor's physical size in mm. Its outputs' sizes (EDID) come first. A server that does not know an output's
    /// size makes the monitor's up at 96 DPI (Xvfb: 212 mm for 800 px whatever its <c>-dpi</c>), so then the core
    /// screen's size is used: what <c>Xvfb -dpi</c>, Xorg's <c>DisplaySize</c>/<c>-dpi</c> and <c>xrandr --dpi</c> set.
    /// A monitor a client defined without outputs keeps its own size. Caller holds the gate.
    /// </summary>
    private (int WidthMm, int HeightMm) PhysicalSize(Interop.Xrandr.XRRMonitorInfo monitor, IntPtr resources)
    {
        if (resources != IntPtr.Zero && monitor.NOutput > 0 && monitor.Outputs != IntPtr.Zero)
        {
            nuint output = ((nuint*)monitor.Outputs)[0];
            X11Connection.ClearError();
            Interop.Xrandr.XRROutputInfoHead* info = Interop.Xrandr.XRRGetOutputInfo(_x.Handle, resources, output);
            _ = _x.SyncAndCheck();
            if (info is not null)
            {
                try
                {
                    if (info->MmWidth > 0 && info->MmHeight > 0)
                    {
                        return ((int)info->MmWidth, (int)info->MmHeight);
                    }
                }
                finally
                {
                    Interop.Xrandr.XRRFreeOutputInfo(info);
                }
            }
        }
        else if (monitor.NOutput == 0 && monitor.MWidth > 0 && monitor.MHeight > 0)
        {
            return (monitor.MWidth, monitor.MHeight);
        }

        return CoreScreenSize();
    }

    private (int WidthMm, int HeightMm) CoreScreenSize()
        => (Interop.Xlib.XDisplayWidthMM(_x.Handle, _x.Screen), Interop.Xlib.XDisplayHeightMM(_x.Handle, _x.Screen));

    public ValueTask<IReadOnlyList<Display>> GetDisplaysAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(Displays());
    }

    public ValueTask<Pixmap> CaptureAsync(CaptureOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(Capture(options, options.Format ?? PixmapFormat.Png));
    }

    internal Pixmap Capture(CaptureOptions options, PixmapFormat format)
    {
        Rect? area = ResolveArea(options.DisplayId, options.Region);
        DateTimeOffset at = DateTimeOffset.UtcNow;
        return _capture.Grab(area, frame =>
        {
            (byte[] data, int w, int h) = ImageCodec.Encode(frame, format, options.Quality, options.MaxWidth, options.MaxHeight);
            return new Pixmap(data, format, w, h, frame.Width, frame.Height, options.Region is null ? options.DisplayId : null, at);
        });
    }

    public ScreenFingerprint Fingerprint(Rect? region)
        => _capture.Grab(region, frame => ScreenFingerprint.FromBgra(
            new ReadOnlySpan<byte>((void*)frame.Pixels, ((frame.Height - 1) * frame.Stride) + (frame.Width * 4)), frame.Width, frame.Height, frame.Stride));

    /// <summary>Runs <paramref name="use"/> on the raw captured pixels (for OCR) without encoding.</summary>
    public T GrabRaw<T>(Rect? region, Func<BgraFrame, T> use) => _capture.Grab(region, use);

    private Rect? ResolveArea(string? displayId, Rect? region)
    {
        if (displayId is null)
        {
            return region;
        }

        Display display = Displays().Find(d => string.Equals(d.Id, displayId, StringComparison.Ordinal))
            ?? throw new NotFoundException($"No display with id '{displayId}'.", new Dictionary<string, object?> { ["display_id"] = displayId });
        if (region is null)
        {
            return display.Bounds;
        }

        Rect r = region.Value.Intersect(display.Bounds);
        return r.IsEmpty ? throw new InvalidArgumentException($"The region {region} is outside display '{displayId}'.") : r;
    }

    public ValueTask<Point> GetCursorPositionAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(_input.CursorPosition());
    }

    public async IAsyncEnumerable<DisplayFrame> SubscribeAsync(DisplayStreamOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        int fps = Math.Clamp(options.Fps, 1, _maxFps);
        var capture = new CaptureOptions(options.DisplayId, options.Region) { Format = PixmapFormat.Jpeg };
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1.0 / fps));
        long n = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Pixmap pixmap = Capture(capture, PixmapFormat.Jpeg);
            yield return new DisplayFrame(pixmap, n++, Keyframe: true);
            if (!await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                yield break;
            }
        }
    }
}

internal static class ListExtensions
{
    public static T? Find<T>(this IReadOnlyList<T> list, Predicate<T> match)
        where T : class
    {
        foreach (T item in list)
        {
            if (match(item))
            {
                return item;
            }
        }

        return null;
    }
}
