using System.Runtime.CompilerServices;
using OpenDesk.Core;
using OpenDesk.Remote.Protocol;

namespace OpenDesk.Remote.Server;

/// <summary>Who is calling: one authenticated session.</summary>
internal sealed record CallerContext(string SessionId, string PeerName, byte[] PeerPublicKey);

/// <summary>
/// Maps every protocol-v1 method (§11.1) onto an <see cref="IComputer"/>: validates params (bad → <c>invalid_argument</c>),
/// rejects unknown methods (<c>capability_unsupported</c> naming the method) and methods whose capability the manifest
/// lacks, runs the policy before each call (streams once, at subscribe), and audits each call with a summary.
/// Results are protocol-v1 value maps (or null).
/// </summary>
internal sealed class ComputerDispatcher
{
    private static readonly Dictionary<string, Capability[]> s_required = new(StringComparer.Ordinal)
    {
        ["display.capture"] = [Capability.DisplayCapture],
        ["display.subscribe"] = [Capability.DisplayStream],
        ["input.pointer"] = [Capability.InputPointer],
        ["input.key"] = [Capability.InputKeyboard],
        ["input.text"] = [Capability.InputText],
        ["windows.list"] = [Capability.WindowsList],
        ["windows.focused"] = [Capability.WindowsList],
        ["windows.focus"] = [Capability.WindowsManipulate, Capability.WindowsList],
        ["windows.move"] = [Capability.WindowsManipulate, Capability.WindowsList],
        ["windows.close"] = [Capability.WindowsManipulate, Capability.WindowsList],
        ["apps.open"] = [Capability.AppLifecycle],
        ["apps.close"] = [Capability.AppLifecycle],
        ["apps.focus"] = [Capability.AppLifecycle],
        ["apps.list"] = [Capability.AppLifecycle],
        ["ui.tree"] = [Capability.UiTree],
        ["ui.action"] = [Capability.UiActions],
        ["clipboard.read"] = [Capability.ClipboardRead],
        ["clipboard.write"] = [Capability.ClipboardWrite],
        ["fs.read"] = [Capability.FsRead],
        ["fs.list"] = [Capability.FsRead],
        ["fs.stat"] = [Capability.FsRead],
        ["fs.write"] = [Capability.FsWrite],
        ["fs.delete"] = [Capability.FsWrite],
        ["fs.move"] = [Capability.FsWrite],
        ["fs.mkdir"] = [Capability.FsWrite],
        ["process.list"] = [Capability.ProcessList],
        ["process.shell"] = [Capability.ProcessShell],
        ["process.exec"] = [Capability.ProcessSpawn, Capability.ProcessShell],
        ["power.lock"] = [Capability.PowerLock],
        ["notifications.list"] = [Capability.NotificationsList],
    };

    private static readonly HashSet<string> s_unary = new(StringComparer.Ordinal)
    {
        "system.capabilities", "system.environment", "display.displays", "display.capture", "display.cursor_position",
        "input.pointer", "input.key", "input.text", "windows.list", "windows.focused", "windows.focus", "windows.move",
        "windows.close", "apps.open", "apps.close", "apps.focus", "apps.list", "ui.tree", "ui.action", "clipboard.read",
        "clipboard.write", "fs.read", "fs.write", "fs.list", "fs.stat", "fs.delete", "fs.move", "fs.mkdir",
        "process.list", "process.shell", "process.exec", "power.lock", "notifications.list",
    };

    private readonly IComputer _computer;
    private readonly ICallPolicy _policy;
    private readonly AuditLog _audit;
    private readonly CallerContext _caller;
    private CapabilityManifest? _manifest;

    public ComputerDispatcher(IComputer computer, ICallPolicy policy, AuditLog audit, CallerContext caller, CapabilityManifest? manifest = null)
    {
        _computer = computer;
        _policy = policy;
        _audit = audit;
        _caller = caller;
        _manifest = manifest;
    }

    /// <summary>The capabilities of which at least one must be advertised for <paramref name="method"/> (empty: none needed).</summary>
    public static IReadOnlyList<Capability> RequiredCapabilities(string method)
        => s_required.TryGetValue(method, out Capability[]? needed) ? needed : [];

    /// <summary>Every unary method name (33).</summary>
    public static IReadOnlyCollection<string> UnaryMethods => s_unary;

    /// <summary>Runs one unary call.</summary>
    public async Task<object?> InvokeAsync(string method, IReadOnlyDictionary<string, object?>? parameters, CancellationToken cancellationToken)
    {
        IReadOnlyDictionary<string, object?> p = parameters ?? new Dictionary<string, object?>();
        string summary = CallSummary.Summarise(method, p);
        try
        {
            if (!s_unary.Contains(method))
            {
                throw MethodUnsupported(method);
            }

            await CheckCapabilityAsync(method, cancellationToken).ConfigureAwait(false);
            await _policy.CheckAsync(new PolicyRequest(_caller.PeerName, _caller.PeerPublicKey, method, summary), cancellationToken).ConfigureAwait(false);
            object? result = await DispatchAsync(method, new ValueCodec.WireMap(p, "params"), cancellationToken).ConfigureAwait(false);
            _audit.Call(_caller.SessionId, _caller.PeerName, _caller.PeerPublicKey, method, summary, null);
            return result;
        }
        catch (Exception ex)
        {
            _audit.Call(_caller.SessionId, _caller.PeerName, _caller.PeerPublicKey, method, summary, ex);
            throw;
        }
    }

    /// <summary>Runs one streaming call; the policy is checked once, before the first item.</summary>
    public async IAsyncEnumerable<object?> StreamAsync(string method, IReadOnlyDictionary<string, object?>? parameters, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        IReadOnlyDictionary<string, object?> p = parameters ?? new Dictionary<string, object?>();
        string summary = CallSummary.Summarise(method, p);
        IAsyncEnumerable<object?> items;
        try
        {
            if (!MethodSets.Streaming.Contains(method))
            {
                throw MethodUnsupported(method);
            }

            await CheckCapabilityAsync(method, cancellationToken).ConfigureAwait(false);
            await _policy.CheckAsync(new PolicyRequest(_caller.PeerName, _caller.PeerPublicKey, method, summary), cancellationToken).ConfigureAwait(false);
            items = OpenStream(method, p, cancellationToken);
            _audit.Call(_caller.SessionId, _caller.PeerName, _caller.PeerPublicKey, method, summary, null);
        }
        catch (Exception ex)
        {
            _audit.Call(_caller.SessionId, _caller.PeerName, _caller.PeerPublicKey, method, summary, ex);
            throw;
        }

        await foreach (object? item in items.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            yield return item;
        }
    }

    private CapabilityUnsupportedException MethodUnsupported(string method)
        => new($"method '{method}' is not supported", new Dictionary<string, object?> { ["capability"] = method, ["backend"] = _manifest?.Backend ?? "unknown" });

    private async ValueTask CheckCapabilityAsync(string method, CancellationToken cancellationToken)
    {
        if (!s_required.TryGetValue(method, out Capability[]? needed))
        {
            return;
        }

        _manifest ??= await _computer.GetCapabilitiesAsync(cancellationToken).ConfigureAwait(false);
        if (!needed.Any(_manifest.Has))
        {
            throw new CapabilityUnsupportedException(needed[0].Name, _manifest.Backend);
        }
    }

    private IAsyncEnumerable<object?> OpenStream(string method, IReadOnlyDictionary<string, object?> p, CancellationToken cancellationToken)
    {
        switch (method)
        {
            case "display.subscribe":
                DisplayStreamOptions options = ValueCodec.ReadDisplayStreamOptions(p);
                if (options.Fps is <= 0 or > 240)
                {
                    throw new InvalidArgumentException("params.fps: must be between 1 and 240");
                }

                return Map(_computer.Display.SubscribeAsync(options, cancellationToken), f => ValueCodec.ToWire(f), cancellationToken);
            default:
                return Map(_computer.Input.SubscribeAsync(cancellationToken), e => ValueCodec.ToWire(e), cancellationToken);
        }
    }

    private static async IAsyncEnumerable<object?> Map<T>(IAsyncEnumerable<T> source, Func<T, object?> encode, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (T item in source.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            yield return encode(item);
        }
    }

    private async Task<object?> DispatchAsync(string method, ValueCodec.WireMap p, CancellationToken ct)
    {
        IComputer c = _computer;
        switch (method)
        {
            case "system.capabilities":
                return ValueCodec.ToPeerWire(await c.GetCapabilitiesAsync(ct).ConfigureAwait(false), "");
            case "system.environment":
                return ValueCodec.ToWire(await c.GetEnvironmentAsync(ct).ConfigureAwait(false));
            case "display.displays":
                return ValueCodec.Items(await c.Display.GetDisplaysAsync(ct).ConfigureAwait(false), d => ValueCodec.ToWire(d));
            case "display.capture":
                return ValueCodec.ToWire(await c.Display.CaptureAsync(ValueCodec.ReadCaptureOptions(p.Map), ct).ConfigureAwait(false));
            case "display.cursor_position":
                return ValueCodec.ToWire(await c.Display.GetCursorPositionAsync(ct).ConfigureAwait(false));
            case "input.pointer":
                await c.Input.SendPointerAsync(ValueCodec.ReadPointerEvent(p.Required("event"), "params.event"), ct).ConfigureAwait(false);
                return null;
            case "input.key":
                await c.Input.SendKeyAsync(ValueCodec.ReadKeyEvent(p.Required("event"), "params.event"), ct).ConfigureAwait(false);
                return null;
            case "input.text":
                await c.Input.TypeTextAsync(ValueCodec.ReadTextInput(p.Required("text_input"), "params.text_input"), ct).ConfigureAwait(false);
                return null;
            case "windows.list":
                return ValueCodec.Items(await c.Windows.ListAsync(ct).ConfigureAwait(false), w => ValueCodec.ToWire(w));
            case "windows.focused":
                Window? focused = await c.Windows.GetFocusedAsync(ct).ConfigureAwait(false);
                return new Dictionary<string, object?> { ["window"] = focused is null ? null : ValueCodec.ToWire(focused) };
            case "windows.focus":
                await c.Windows.FocusAsync(p.String("window_id"), ct).ConfigureAwait(false);
                return null;
            case "windows.move":
                await c.Windows.MoveAsync(p.String("window_id"), p.Rect("bounds"), ct).ConfigureAwait(false);
                return null;
            case "windows.close":
                await c.Windows.CloseAsync(p.String("window_id"), ct).ConfigureAwait(false);
                return null;
            case "apps.open":
                await c.Apps.OpenAsync(p.String("name"), ct).ConfigureAwait(false);
                return null;
            case "apps.close":
                await c.Apps.CloseAsync(p.String("name"), ct).ConfigureAwait(false);
                return null;
            case "apps.focus":
                await c.Apps.FocusAsync(p.String("name"), ct).ConfigureAwait(false);
                return null;
            case "apps.list":
                return ValueCodec.Items(await c.Apps.ListAsync(ct).ConfigureAwait(false), a => a);
            case "ui.tree":
                UITreeQuery query = ValueCodec.ReadUITreeQuery(p.Map);
                if (query.MaxDepth is < 0 or > 256)
                {
                    throw new InvalidArgumentException("params.max_depth: must be between 0 and 256");
                }

                return ValueCodec.ToWire(await c.UI.GetTreeAsync(query, ct).ConfigureAwait(false));
            case "ui.action":
                UIElement element = ValueCodec.ReadUIElement(p.Required("element"), "params.element");
                await c.UI.PerformActionAsync(element, p.OptString("action") ?? UIActions.Click, p.OptString("app"), ct).ConfigureAwait(false);
                return null;
            case "clipboard.read":
                return ValueCodec.ToWire(await c.Clipboard.ReadAsync(ct).ConfigureAwait(false));
            case "clipboard.write":
                await c.Clipboard.WriteAsync(ValueCodec.ReadClipboardContents(p.Required("contents"), "params.contents"), ct).ConfigureAwait(false);
                return null;
            case "fs.read":
                return new Dictionary<string, object?> { ["data"] = await c.Files.ReadAsync(p.String("path"), ct).ConfigureAwait(false) };
            case "fs.write":
                await c.Files.WriteAsync(p.String("path"), p.Bytes("data"), ct).ConfigureAwait(false);
                return null;
            case "fs.list":
                return ValueCodec.Items(await c.Files.ListAsync(p.String("path"), ct).ConfigureAwait(false), f => ValueCodec.ToWire(f));
            case "fs.stat":
                return ValueCodec.ToWire(await c.Files.StatAsync(p.String("path"), ct).ConfigureAwait(false));
            case "fs.delete":
                await c.Files.DeleteAsync(p.String("path"), ct).ConfigureAwait(false);
                return null;
            case "fs.move":
                await c.Files.MoveAsync(p.String("src"), p.String("dst"), ct).ConfigureAwait(false);
                return null;
            case "fs.mkdir":
                await c.Files.CreateDirectoryAsync(p.String("path"), p.Bool("parents", true), ct).ConfigureAwait(false);
                return null;
            case "process.list":
                return ValueCodec.Items(await c.Processes.ListAsync(ct).ConfigureAwait(false), x => ValueCodec.ToWire(x));
            case "process.shell":
                ShellCommand shell = ValueCodec.ReadShellCommand(p.Map);
                CheckTimeout(shell.Timeout);
                return ValueCodec.ToWire(await c.Processes.ShellAsync(shell, ct).ConfigureAwait(false));
            case "process.exec":
                ExecCommand exec = ValueCodec.ReadExecCommand(p.Map);
                if (exec.Argv.Count == 0)
                {
                    throw new InvalidArgumentException("params.argv: must not be empty");
                }

                CheckTimeout(exec.Timeout);
                return ValueCodec.ToWire(await c.Processes.ExecAsync(exec, ct).ConfigureAwait(false));
            case "power.lock":
                await c.Power.LockAsync(ct).ConfigureAwait(false);
                return null;
            case "notifications.list":
                return ValueCodec.Items(await c.Notifications.ListAsync(ct).ConfigureAwait(false), n => ValueCodec.ToWire(n));
            default:
                throw MethodUnsupported(method);
        }
    }

    private static void CheckTimeout(TimeSpan? timeout)
    {
        if (timeout is { } t && (t <= TimeSpan.Zero || t > TimeSpan.FromDays(1)))
        {
            throw new InvalidArgumentException("params.timeout: must be between 0 and 86400 seconds");
        }
    }
}
