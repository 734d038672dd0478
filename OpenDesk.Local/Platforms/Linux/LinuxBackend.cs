using System.Runtime.Versioning;
using OpenDesk.Core;
using OpenDesk.Local.Ocr;

namespace OpenDesk.Local.Platforms.Linux;

/// <summary>Builds the Linux capability groups from what this machine really has, and the manifest that says so.</summary>
[SupportedOSPlatform("linux")]
internal sealed class LinuxBackend : IPlatformBackend
{
    private readonly X11Connection? _x;
    private readonly X11Capture? _capture;
    private readonly X11Clipboard? _clipboard;
    private readonly X11Input? _input;
    private readonly Dictionary<string, string> _unavailable = new(StringComparer.Ordinal);

    public LinuxBackend(X11Connection? x, string source, LocalComputerOptions options)
    {
        _x = x;
        DisplaySource = x is null ? "none" : source;
        Files = new LinuxFiles();
        Processes = new LinuxProcesses(options.DefaultCommandTimeout, options.MaxCommandOutputBytes);
        var caps = new List<Capability> { Capability.FsRead, Capability.FsWrite, Capability.ProcessList, Capability.ProcessShell, Capability.ProcessSpawn };
        var limits = new Dictionary<string, IReadOnlyDictionary<string, object?>>(StringComparer.Ordinal)
        {
            ["process.shell"] = new Dictionary<string, object?>
            {
                ["default_timeout_s"] = options.DefaultCommandTimeout.TotalSeconds,
                ["max_output_bytes"] = options.MaxCommandOutputBytes,
            },
        };

        if (x is null)
        {
            const string noDisplay = "No X display: set DISPLAY, or install Xvfb for a virtual display (apt-get install -y --no-install-recommends xvfb openbox).";
            foreach (Capability c in new[] { Capability.DisplayCapture, Capability.DisplayStream, Capability.InputPointer, Capability.InputKeyboard,
                Capability.InputText, Capability.WindowsList, Capability.WindowsManipulate, Capability.AppLifecycle, Capability.ClipboardRead,
                Capability.ClipboardWrite, Capability.UiTree, Capability.UiActions })
            {
                _unavailable[c.Name] = noDisplay;
            }
        }
        else
        {
            DisplayName = x.Name;
            var input = new X11Input(x);
            _input = input;
            _capture = new X11Capture(x);
            DisplayGroup = new LinuxDisplay(x, _capture, input, Math.Clamp(options.MaxStreamFps, 1, 30));
            caps.Add(Capability.DisplayCapture);
            caps.Add(Capability.DisplayStream);
            if (DisplayGroup.Displays().Count > 1)
            {
                caps.Add(Capability.DisplayMultiMonitor);
            }

            limits["display.capture"] = new Dictionary<string, object?>
            {
                ["encode"] = new[] { "png", "jpeg", "raw_rgba", "raw_rgb" },
                ["max_size"] = true,
                ["quality"] = true,
                ["x11_display"] = x.Name,
                ["display_source"] = DisplaySource,
                ["shm"] = DisplayGroup.UsesShm,
            };
            limits["display.stream"] = new Dictionary<string, object?> { ["max_fps"] = Math.Clamp(options.MaxStreamFps, 1, 30), ["format"] = "jpeg" };

            if (input.Available)
            {
                Input = new LinuxInput(input);
                caps.AddRange([Capability.InputPointer, Capability.InputKeyboard, Capability.InputText]);
                limits["input.text"] = new Dictionary<string, object?> { ["unicode"] = true };
            }
            else
            {
                _unavailable[Capability.InputPointer.Name] = "The X server has no XTEST extension.";
            }

            var clipboard = new X11Clipboard(x.Name);
            if (clipboard.Available)
            {
                _clipboard = clipboard;
                Clipboard = clipboard;
                caps.AddRange([Capability.ClipboardRead, Capability.ClipboardWrite, Capability.ClipboardMultiMime]);
                limits["clipboard.read"] = new Dictionary<string, object?> { ["mime_types"] = new[] { ClipboardContents.TextMimeType, "image/png" } };
            }
            else
            {
                clipboard.Dispose();
                _unavailable[Capability.ClipboardRead.Name] = "Could not open a second X connection for the clipboard.";
            }

            var windows = new X11Windows(x);
            if (windows.HasWindowManager)
            {
                Windows = new LinuxWindows(windows);
                Apps = new LinuxApps(windows);
                caps.AddRange([Capability.WindowsList, Capability.WindowsManipulate, Capability.AppLifecycle]);
                limits["windows.list"] = new Dictionary<string, object?> { ["window_manager"] = windows.WindowManagerName };
            }
            else
            {
                _unavailable[Capability.WindowsList.Name] = "No EWMH window manager runs on this display (e.g. apt-get install -y --no-install-recommends openbox).";
            }

            string? atspiReason = null;
            if (options.EnableAccessibility && AtspiAccessibility.TryCreate(windows, out atspiReason) is { } atspi)
            {
                UI = atspi;
                caps.AddRange([Capability.UiTree, Capability.UiActions]);
                limits["ui.tree"] = new Dictionary<string, object?> { ["max_nodes"] = 2000, ["budget_ms"] = 1000, ["partial"] = true };
            }
            else
            {
                _unavailable[Capability.UiTree.Name] = options.EnableAccessibility ? atspiReason ?? "AT-SPI is unavailable." : "Accessibility is disabled by the options.";
            }
        }

        if (LinuxPower.DetectLocker() is { } locker)
        {
            Power = new LinuxPower(locker);
            caps.Add(Capability.PowerLock);
        }
        else
        {
            _unavailable[Capability.PowerLock.Name] = "No screen locker runs in this session (xscreensaver, light-locker, gnome-screensaver or logind).";
        }

        if (options.EnableOcr && TesseractOcr.IsAvailable)
        {
            try
            {
                Ocr = TesseractOcr.Create();
                caps.Add(Capability.Ocr);
            }
            catch (CapabilityUnsupportedException e)
            {
                _unavailable[Capability.Ocr.Name] = e.Message;
            }
        }
        else
        {
            // Probing only when OCR is wanted: the probe loads libtesseract and its dependencies (~3.5 MB RSS).
            _unavailable[Capability.Ocr.Name] = options.EnableOcr ? TesseractOcr.UnavailableReason ?? "OCR is unavailable." : "OCR is disabled by the options.";
        }

        _unavailable[Capability.NotificationsList.Name] = "Reading desktop notifications is not implemented on Linux.";
        _unavailable["input.subscribe"] = "Observing input events is not implemented on Linux.";
        Manifest = new CapabilityManifest(caps, limits, Backend: LocalComputer.BackendName);
    }

    public string? DisplayName { get; }

    public string DisplaySource { get; }

    public CapabilityManifest Manifest { get; private set; }

    public IReadOnlyDictionary<string, string> UnavailableReasons => _unavailable;

    public LinuxDisplay? DisplayGroup { get; }

    public IScreenSource? Screen => DisplayGroup;

    public IComputerDisplay? Display => DisplayGroup;

    public IComputerInput? Input { get; }

    public IComputerWindows? Windows { get; }

    public IComputerApps? Apps { get; }

    public IComputerUI? UI { get; }

    public IComputerClipboard? Clipboard { get; }

    public IComputerFiles Files { get; }

    public IComputerProcesses Processes { get; }

    public IComputerPower? Power { get; }

    public TesseractOcr? Ocr { get; }

    public EnvironmentInfo DescribeEnvironment(IReadOnlyList<Display> displays) => SystemInfo.Describe(displays);

    public void Dispose()
    {
        _clipboard?.Dispose();
        _input?.Dispose();
        _capture?.Dispose();
        Ocr?.Dispose();
        _x?.Dispose();
    }
}
