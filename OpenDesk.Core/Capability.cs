namespace OpenDesk.Core;

/// <summary>
/// A protocol-v1 capability name (e.g. <c>display.capture</c>). An open set: a peer may advertise names this
/// version does not know; they are kept as they are.
/// </summary>
/// <param name="Name">The wire name.</param>
public readonly record struct Capability(string Name)
{
#pragma warning disable CS1591 // The names are self-describing wire names.
    public static readonly Capability DisplayCapture = new("display.capture");
    public static readonly Capability DisplayMultiMonitor = new("display.multi_monitor");
    public static readonly Capability DisplayStream = new("display.stream");
    public static readonly Capability InputPointer = new("input.pointer");
    public static readonly Capability InputKeyboard = new("input.keyboard");
    public static readonly Capability InputText = new("input.text");
    public static readonly Capability InputPen = new("input.pen");
    public static readonly Capability InputTouch = new("input.touch");
    public static readonly Capability InputIme = new("input.ime");
    public static readonly Capability UiTree = new("ui.tree");
    public static readonly Capability UiActions = new("ui.actions");
    public static readonly Capability UiSubscribe = new("ui.subscribe");
    public static readonly Capability WindowsList = new("windows.list");
    public static readonly Capability WindowsManipulate = new("windows.manipulate");
    public static readonly Capability WindowsSubscribe = new("windows.subscribe");
    public static readonly Capability AppLifecycle = new("app.lifecycle");
    public static readonly Capability ClipboardRead = new("clipboard.read");
    public static readonly Capability ClipboardWrite = new("clipboard.write");
    public static readonly Capability ClipboardMultiMime = new("clipboard.multi_mime");
    public static readonly Capability FsRead = new("fs.read");
    public static readonly Capability FsWrite = new("fs.write");
    public static readonly Capability FsWatch = new("fs.watch");
    public static readonly Capability ProcessList = new("process.list");
    public static readonly Capability ProcessShell = new("process.shell");
    public static readonly Capability ProcessSpawn = new("process.spawn");
    public static readonly Capability Ocr = new("ocr");
    public static readonly Capability AudioVolume = new("audio.volume");
    public static readonly Capability AudioPlay = new("audio.play");
    public static readonly Capability AudioStream = new("audio.stream");
    public static readonly Capability PowerLock = new("power.lock");
    public static readonly Capability PowerSleep = new("power.sleep");
    public static readonly Capability NotificationsList = new("notifications.list");
    public static readonly Capability NotificationsSubscribe = new("notifications.subscribe");
#pragma warning restore CS1591

    /// <summary>Every capability name protocol v1 defines, in spec order.</summary>
    public static IReadOnlyList<Capability> Known { get; } =
    [
        DisplayCapture, DisplayMultiMonitor, DisplayStream, InputPointer, InputKeyboard, InputText, InputPen, InputTouch,
        InputIme, UiTree, UiActions, UiSubscribe, WindowsList, WindowsManipulate, WindowsSubscribe, AppLifecycle,
        ClipboardRead, ClipboardWrite, ClipboardMultiMime, FsRead, FsWrite, FsWatch, ProcessList, ProcessShell,
        ProcessSpawn, Ocr, AudioVolume, AudioPlay, AudioStream, PowerLock, PowerSleep, NotificationsList,
        NotificationsSubscribe,
    ];

    /// <summary>True when protocol v1 defines this name (a Python peer rejects any other name in a manifest).</summary>
    public bool IsKnown => Known.Contains(this);

    /// <inheritdoc />
    public override string ToString() => Name;
}

/// <summary>
/// What a computer can do (protocol-v1 <c>CapabilityManifest</c>). Sent by a server in its HELLO and returned by
/// <c>system.capabilities</c>. Extensions beyond v1 are advertised as entries in <see cref="Limits"/> under an existing
/// capability key, so that strict Python peers still accept the manifest.
/// </summary>
/// <param name="Capabilities">The capabilities (a set; sent as an array).</param>
/// <param name="Limits">Per-capability limits and extension flags, e.g. <c>{"display.stream": {"max_fps": 30}}</c>.</param>
/// <param name="ProtocolVersion">The protocol version string; <c>0.1</c> for Python peers.</param>
/// <param name="Backend">The backend name, e.g. <c>local/linux</c>.</param>
/// <param name="Description">The machine's self-description (HELLO only; empty from <c>system.capabilities</c>).</param>
public sealed record CapabilityManifest(
    IReadOnlyList<Capability> Capabilities,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, object?>> Limits,
    string ProtocolVersion = "0.1",
    string Backend = "unknown",
    string Description = "")
{
    /// <summary>An empty manifest (no capabilities).</summary>
    public static CapabilityManifest Empty { get; } = new([], new Dictionary<string, IReadOnlyDictionary<string, object?>>());

    /// <summary>True when <paramref name="capability"/> is advertised.</summary>
    /// <param name="capability">The capability.</param>
    public bool Has(Capability capability) => Capabilities.Contains(capability);

    /// <summary>The limit value <paramref name="key"/> of <paramref name="capability"/>, or null.</summary>
    /// <param name="capability">The capability key in <see cref="Limits"/>.</param>
    /// <param name="key">The limit name, e.g. <c>max_fps</c>.</param>
    public object? GetLimit(Capability capability, string key)
        => Limits.TryGetValue(capability.Name, out var map) && map.TryGetValue(key, out var value) ? value : null;
}
