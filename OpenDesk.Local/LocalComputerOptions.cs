namespace OpenDesk.Local;

/// <summary>How <see cref="LocalComputer.Create"/> finds (or starts) a desktop and what it turns on.</summary>
public sealed class LocalComputerOptions
{
    /// <summary>The X display to use (e.g. <c>:0</c>); null: <c>$DISPLAY</c>, else the user's own display found in <c>/tmp/.X11-unix</c>.</summary>
    public string? DisplayName { get; init; }

    /// <summary>Look for the user's X display in <c>/tmp/.X11-unix</c> when <c>DISPLAY</c> is missing (default true).</summary>
    public bool FindDisplay { get; init; } = true;

    /// <summary>
    /// Start a private <see cref="Local.VirtualDisplay"/> (Xvfb + openbox + AT-SPI bus): <c>true</c> always, <c>null</c>
    /// (default) only when no display is found, <c>false</c> never (then the desktop capabilities are not advertised).
    /// </summary>
    public bool? UseVirtualDisplay { get; init; }

    /// <summary>Options for a virtual display started by <see cref="LocalComputer.Create"/>.</summary>
    public VirtualDisplayOptions VirtualDisplay { get; init; } = new();

    /// <summary>Use the AT-SPI accessibility bus when one is reachable (default true).</summary>
    public bool EnableAccessibility { get; init; } = true;

    /// <summary>Load libtesseract for OCR when it is installed (default true).</summary>
    public bool EnableOcr { get; init; } = true;

    /// <summary>Default timeout of <c>process.shell</c>/<c>process.exec</c> when the request has none (default 60 s).</summary>
    public TimeSpan DefaultCommandTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Cap on captured stdout and stderr of a command, each (default 1 MiB); the rest is read and dropped.</summary>
    public int MaxCommandOutputBytes { get; init; } = 1 << 20;

    /// <summary>Maximum frames per second of <c>display.subscribe</c> (default and cap 30).</summary>
    public int MaxStreamFps { get; init; } = 30;
}
