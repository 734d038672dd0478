namespace OpenDesk.Core;

/// <summary>
/// What to capture (protocol-v1 <c>display.capture</c> params, plus encoding extensions a controller uses only when
/// the peer advertises them in <see cref="CapabilityManifest.Limits"/> under <c>display.capture</c>).
/// </summary>
/// <param name="DisplayId">One display, or null for the whole desktop (all displays).</param>
/// <param name="Region">A region in desktop space, or null for the whole display/desktop.</param>
/// <param name="Downscale">Protocol-v1 <c>downscale</c>: return the image at logical (desktop) size on HiDPI screens.</param>
public sealed record CaptureOptions(string? DisplayId = null, Rect? Region = null, bool Downscale = true)
{
    /// <summary>The whole desktop, PNG at desktop size (the protocol-v1 defaults).</summary>
    public static CaptureOptions Default { get; } = new();

    /// <summary>Extension: the encoding; null means PNG (the v1 default).</summary>
    public PixmapFormat? Format { get; init; }

    /// <summary>Extension: JPEG quality 1..100; null means the backend default (80).</summary>
    public int? Quality { get; init; }

    /// <summary>Extension: scale the image down (never up, keeping the aspect ratio) to fit this many image pixels wide.</summary>
    public int? MaxWidth { get; init; }

    /// <summary>Extension: scale the image down (never up, keeping the aspect ratio) to fit this many image pixels high.</summary>
    public int? MaxHeight { get; init; }
}

/// <summary>A <c>display.subscribe</c> request.</summary>
/// <param name="DisplayId">One display, or null for the whole desktop.</param>
/// <param name="Fps">Frames per second wanted (the backend caps it, e.g. at 30).</param>
/// <param name="Region">A region in desktop space, or null.</param>
public sealed record DisplayStreamOptions(string? DisplayId = null, int Fps = 30, Rect? Region = null);

/// <summary>A <c>ui.tree</c> request.</summary>
/// <param name="WindowId">A window id, or null.</param>
/// <param name="App">An application name, or null (with no window either: the focused application).</param>
/// <param name="MaxDepth">Maximum depth (protocol-v1 default 8).</param>
public sealed record UITreeQuery(string? WindowId = null, string? App = null, int MaxDepth = 8)
{
    /// <summary>Extension: maximum number of nodes (default 2000); the result is marked partial when hit.</summary>
    public int MaxNodes { get; init; } = 2000;

    /// <summary>Extension: time budget for the walk (default 1 s); the result is marked partial when hit.</summary>
    public TimeSpan Budget { get; init; } = TimeSpan.FromSeconds(1);
}

/// <summary>A <c>process.shell</c> request: one command line run by the platform shell.</summary>
/// <param name="Command">The command line.</param>
/// <param name="Timeout">Kill the command after this long; null for the backend default.</param>
/// <param name="WorkingDirectory">The working directory, or null.</param>
/// <param name="Environment">Extra environment variables, or null.</param>
public sealed record ShellCommand(string Command, TimeSpan? Timeout = null, string? WorkingDirectory = null, IReadOnlyDictionary<string, string>? Environment = null);

/// <summary>A <c>process.exec</c> request: a program and its arguments, no shell.</summary>
/// <param name="Argv">The program and its arguments.</param>
/// <param name="Timeout">Kill the process after this long; null for the backend default.</param>
/// <param name="WorkingDirectory">The working directory, or null.</param>
/// <param name="Environment">Extra environment variables, or null.</param>
/// <param name="Stdin">Bytes written to standard input, or null.</param>
public sealed record ExecCommand(IReadOnlyList<string> Argv, TimeSpan? Timeout = null, string? WorkingDirectory = null, IReadOnlyDictionary<string, string>? Environment = null, byte[]? Stdin = null);
