using System.Runtime.Versioning;
using OpenDesk.Core;
using OpenDesk.Local.Imaging;
using OpenDesk.Local.Ocr;
using OpenDesk.Local.Platforms;
using OpenDesk.Local.Platforms.Linux;

namespace OpenDesk.Local;

/// <summary>
/// This machine as an <see cref="IComputer"/>. On Linux it drives an X11 desktop natively (XRandR, MIT-SHM capture,
/// XTEST input, EWMH windows, X selections, AT-SPI through libatspi, OCR through libtesseract). Its capability manifest
/// advertises only what works on this machine; every other member throws <see cref="CapabilityUnsupportedException"/>.
/// All coordinates are desktop space (X11 root-window pixels).
/// </summary>
public sealed class LocalComputer : IComputer
{
    internal const string BackendName = "local/linux";

    private readonly IPlatformBackend? _linux;
    private readonly VirtualDisplay? _ownedDisplay;
    private readonly Unsupported _unsupported = new();
    private bool _disposed;

    private LocalComputer(IPlatformBackend linux, VirtualDisplay? ownedDisplay)
    {
        _linux = linux;
        _ownedDisplay = ownedDisplay;
    }

    /// <summary>The X display in use (e.g. <c>:0</c>), or null when there is none.</summary>
    public string? DisplayName => _linux?.DisplayName;

    /// <summary>How the display was chosen: <c>option</c>, <c>DISPLAY</c>, <c>socket-scan</c>, <c>virtual</c> or <c>none</c>.</summary>
    public string DisplaySource => _linux?.DisplaySource ?? "none";

    /// <summary>The virtual display this instance started and owns, or null.</summary>
    public VirtualDisplay? OwnedVirtualDisplay => _ownedDisplay;

    /// <summary>
    /// Why capabilities are missing on this machine, keyed by capability name, with the install line where one helps
    /// (for <c>opendesk check</c>).
    /// </summary>
    public IReadOnlyDictionary<string, string> UnavailableReasons => _linux?.UnavailableReasons ?? new Dictionary<string, string>();

    /// <summary>The OCR engine when libtesseract is installed (the <c>ocr</c> capability), else null.</summary>
    public TesseractOcr? Ocr => _linux?.Ocr;

    /// <inheritdoc />
    public IComputerDisplay Display => (IComputerDisplay?)_linux?.Display ?? _unsupported;

    /// <inheritdoc />
    public IComputerInput Input => (IComputerInput?)_linux?.Input ?? _unsupported;

    /// <inheritdoc />
    public IComputerWindows Windows => (IComputerWindows?)_linux?.Windows ?? _unsupported;

    /// <inheritdoc />
    public IComputerApps Apps => (IComputerApps?)_linux?.Apps ?? _unsupported;

    /// <inheritdoc />
    public IComputerUI UI => (IComputerUI?)_linux?.UI ?? _unsupported;

    /// <inheritdoc />
    public IComputerClipboard Clipboard => (IComputerClipboard?)_linux?.Clipboard ?? _unsupported;

    /// <inheritdoc />
    public IComputerFiles Files => (IComputerFiles?)_linux?.Files ?? _unsupported;

    /// <inheritdoc />
    public IComputerProcesses Processes => (IComputerProcesses?)_linux?.Processes ?? _unsupported;

    /// <inheritdoc />
    public IComputerPower Power => (IComputerPower?)_linux?.Power ?? _unsupported;

    /// <inheritdoc />
    public IComputerNotifications Notifications => _unsupported;

    /// <summary>
    /// Opens this machine's desktop. On Linux: the display from <paramref name="options"/>, else <c>$DISPLAY</c>, else the
    /// user's own X display found in <c>/tmp/.X11-unix</c>, else (unless disabled) a private virtual display that this
    /// instance owns and stops on dispose. Without any display, the desktop capabilities are simply not advertised.
    /// </summary>
    /// <param name="options">Options; null for the defaults.</param>
    /// <exception cref="PlatformNotSupportedException">The OS is not Linux.</exception>
    public static LocalComputer Create(LocalComputerOptions? options = null)
    {
        options ??= new LocalComputerOptions();
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("LocalComputer supports Linux/X11 only in this version.");
        }

        return CreateLinux(options);
    }

    [SupportedOSPlatform("linux")]
    private static LocalComputer CreateLinux(LocalComputerOptions options)
    {
        VirtualDisplay? vd = null;
        (X11Connection? x, string source) = options.UseVirtualDisplay == true ? (null, "virtual") : DisplayFinder.Find(options);
        if (x is null && options.UseVirtualDisplay != false && VirtualDisplay.IsAvailable)
        {
            vd = VirtualDisplay.Start(options.VirtualDisplay);
            vd.ApplyToCurrentProcess();
            x = X11Connection.TryOpen(vd.DisplayName);
            source = "virtual";
        }

        try
        {
            return new LocalComputer(new LinuxBackend(x, source, options), vd);
        }
        catch
        {
            x?.Dispose();
            vd?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A fingerprint of the desktop (or a desktop-space region) straight from the capture buffer, without encoding —
    /// for "did the screen change" and settle logic (about 1–2 ms for 1920x1080).
    /// </summary>
    /// <param name="region">A region in desktop space, or null for the whole desktop.</param>
    public ScreenFingerprint GetFingerprint(Rect? region = null)
        => (_linux?.Screen ?? throw Unsupported.Exception(Capability.DisplayCapture)).Fingerprint(region);

    /// <summary>Waits until the desktop is stable (two equal fingerprints in a row) or <paramref name="cap"/> runs out.</summary>
    /// <param name="baseline">The fingerprint before the action, or null.</param>
    /// <param name="cap">The longest wait.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    public ValueTask<SettleResult> WaitForSettleAsync(ScreenFingerprint? baseline, TimeSpan cap, CancellationToken cancellationToken = default)
        => ScreenSettle.WaitAsync(_ => ValueTask.FromResult(GetFingerprint()), baseline, cap, cancellationToken: cancellationToken);

    /// <inheritdoc />
    public ValueTask<CapabilityManifest> GetCapabilitiesAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(_linux?.Manifest ?? CapabilityManifest.Empty with { Backend = BackendName });
    }

    /// <inheritdoc />
    public async ValueTask<EnvironmentInfo> GetEnvironmentAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<Core.Display> displays = _linux?.Display is { } d && _linux.Screen is not null ? await d.GetDisplaysAsync(cancellationToken).ConfigureAwait(false) : [];
        return _linux?.DescribeEnvironment(displays) ?? new EnvironmentInfo("unknown", string.Empty, Environment.MachineName, "C", "UTC", displays);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return ValueTask.CompletedTask;
        }

        _disposed = true;
        _linux?.Dispose();
        if (OperatingSystem.IsLinux())
        {
            _ownedDisplay?.Dispose();
        }

        return ValueTask.CompletedTask;
    }
}
