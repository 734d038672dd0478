using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using OpenDesk.Core;

namespace OpenDesk.Local.Platforms.Linux;

/// <summary>
/// <c>ui.*</c> through libatspi: trees of an application or window within a node and time budget (the root says
/// <c>partial</c> when it was hit), bounds in desktop (screen) coordinates, and element actions (AtspiAction,
/// AtspiEditableText, AtspiValue, AtspiComponent focus). Calls are serialised: libatspi is not thread-safe.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed unsafe class AtspiAccessibility : IComputerUI
{
    private const int MaxTextChars = 4096;
    private static readonly object s_gate = new();
    private static bool s_initialised;
    private static readonly string[] s_actionFallbacks = ["click", "press", "activate", "toggle", "jump"];
    private readonly X11Windows? _windows;

    private AtspiAccessibility(X11Windows? windows) => _windows = windows;

    /// <summary>Connects to the AT-SPI bus of this session, or returns null with the reason.</summary>
    public static AtspiAccessibility? TryCreate(X11Windows? windows, out string? reason)
    {
        reason = null;
        if (!NativeLibrary.TryLoad(Interop.Libraries.Atspi, typeof(AtspiAccessibility).Assembly, null, out IntPtr lib))
        {
            reason = "libatspi is not installed (apt-get install -y --no-install-recommends libatspi2.0-0 at-spi2-core).";
            return null;
        }

        NativeLibrary.Free(lib);
        string? bus = Environment.GetEnvironmentVariable("DBUS_SESSION_BUS_ADDRESS");
        string runtimeBus = $"/run/user/{Interop.Libc.geteuid()}/bus";
        if (string.IsNullOrEmpty(bus) && !File.Exists(runtimeBus))
        {
            reason = "No D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set), so the AT-SPI accessibility bus is unreachable; "
                + "run inside a desktop session or use --virtual-display (apt-get install -y --no-install-recommends dbus at-spi2-core).";
            return null;
        }

        lock (s_gate)
        {
            if (!s_initialised)
            {
                if (string.IsNullOrEmpty(bus))
                {
                    bus = "unix:path=" + runtimeBus;
                    Interop.Libc.SetEnvironment("DBUS_SESSION_BUS_ADDRESS", bus);
                }

                // libatspi aborts the whole process (g_error "Couldn't connect to accessibility bus") when the a11y bus
                // cannot be reached, so ask the session bus for its address first and hand it to libatspi directly.
                string? a11yBus = Environment.GetEnvironmentVariable("AT_SPI_BUS_ADDRESS");
                if (string.IsNullOrEmpty(a11yBus))
                {
                    a11yBus = QueryAccessibilityBus(bus, out reason);
                    if (a11yBus is null)
                    {
                        return null;
                    }

                    Interop.Libc.SetEnvironment("AT_SPI_BUS_ADDRESS", a11yBus);
                }

                _ = Interop.Atspi.atspi_init();
                Interop.Atspi.atspi_set_timeout(2000, 15000);
                s_initialised = true;
            }

            using SafeGObjectHandle desktop = Interop.Atspi.atspi_get_desktop(0);
            if (desktop.IsInvalid)
            {
                reason = "The AT-SPI registry did not answer.";
                return null;
            }

            int count = Interop.Atspi.atspi_accessible_get_child_count(desktop, out IntPtr err);
            string? message = Interop.GLib.TakeError(err);
            if (message is not null || count < 0)
            {
                reason = "The AT-SPI registry did not answer: " + message;
                return null;
            }
        }

        return new AtspiAccessibility(windows);
    }

    /// <summary>The AT-SPI bus address from <c>org.a11y.Bus.GetAddress</c> on the session bus, or null with the reason.</summary>
    private static string? QueryAccessibilityBus(string sessionBus, out string? reason)
    {
        var psi = new ProcessStartInfo("dbus-send")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in new[] { "--session", "--print-reply", "--reply-timeout=3000", "--dest=org.a11y.Bus", "/org/a11y/bus", "org.a11y.Bus.GetAddress" })
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["DBUS_SESSION_BUS_ADDRESS"] = sessionBus;
        try
        {
            using Process process = Process.Start(psi)!;
            Task<string> stdout = process.StandardOutput.ReadToEndAsync();
            Task<string> stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(5000))
            {
                process.Kill();
                reason = "The AT-SPI accessibility bus did not answer within 5 s.";
                return null;
            }

            string output = stdout.GetAwaiter().GetResult();
            int start = output.IndexOf("string \"", StringComparison.Ordinal);
            int end = start < 0 ? -1 : output.IndexOf('"', start + 8);
            if (process.ExitCode != 0 || start < 0 || end < 0)
            {
                reason = "The AT-SPI accessibility bus is not available on this session bus (install at-spi2-core): "
                    + stderr.GetAwaiter().GetResult().Trim();
                return null;
            }

            reason = null;
            return output[(start + 8)..end];
        }
        catch (System.ComponentModel.Win32Exception)
        {
            reason = "dbus-send is missing, so the AT-SPI accessibility bus cannot be located (apt-get install -y --no-install-recommends dbus).";
            return null;
        }
    }

    public ValueTask<UIElement> GetTreeAsync(UITreeQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        cancellationToken.ThrowIfCancellationRequested();
        (int pid, string? title) target = ResolveTarget(query);
        lock (s_gate)
        {
            Pump();
            using SafeGObjectHandle desktop = Interop.Atspi.atspi_get_desktop(0);
            (SafeGObjectHandle app, string appName, int appPid) = FindApp(desktop, target.pid, query.App)
                ?? throw new NotFoundException(target.pid > 0
                    ? $"The application of window {query.WindowId ?? "(focused)"} (pid {target.pid}) exposes no accessibility tree (only toolkits with AT-SPI support do, e.g. GTK, Qt)."
                    : $"No accessible application named '{query.App}'.",
                    new Dictionary<string, object?> { ["app"] = query.App, ["window_id"] = query.WindowId });
            using (app)
            {
                Interop.Atspi.atspi_accessible_clear_cache(app);
                SafeGObjectHandle root = app;
                var path = new List<int>();
                SafeGObjectHandle? frame = null;
                if (target.title is not null)
                {
                    (frame, int index) = FindFrame(app, target.title);
                    if (frame is not null)
                    {
                        root = frame;
                        path.Add(index);
                    }
                }

                try
                {
                    var walk = new Walk(query, appName, appPid, cancellationToken);
                    UIElement tree = walk.Visit(root, path, 0);
                    var meta = new Dictionary<string, object?>(tree.Metadata)
                    {
                        ["partial"] = walk.Partial,
                        ["node_count"] = walk.Count,
                        ["elapsed_ms"] = walk.Clock.Elapsed.TotalMilliseconds,
                    };
                    if (walk.PartialReason is not null)
                    {
                        meta["partial_reason"] = walk.PartialReason;
                    }

                    return ValueTask.FromResult(tree with { Metadata = meta });
                }
                finally
                {
                    frame?.Dispose();
                }
            }
        }
    }

    public ValueTask PerformActionAsync(UIElement element, string action, string? app, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(element);
        ArgumentException.ThrowIfNullOrWhiteSpace(action);
        cancellationToken.ThrowIfCancellationRequested();
        int pid = element.Metadata.TryGetValue("app_pid", out object? p) && p is not null ? System.Convert.ToInt32(p, CultureInfo.InvariantCulture) : 0;
        string? appName = app ?? (element.Metadata.TryGetValue("app", out object? a) ? a as string : null);
        IReadOnlyList<int> path = ReadPath(element.Metadata.TryGetValue("path", out object? raw) ? raw : null);
        lock (s_gate)
        {
            Pump();
            using SafeGObjectHandle desktop = Interop.Atspi.atspi_get_desktop(0);
            (SafeGObjectHandle appObj, _, _) = FindApp(desktop, pid, appName)
                ?? throw new NotFoundException($"The element's application ({appName ?? pid.ToString(CultureInfo.InvariantCulture)}) is not running or not accessible.");
            using (appObj)
            {
                using SafeGObjectHandle target = Locate(appObj, path, element)
                    ?? throw new NotFoundException($"The element '{element.Role}' '{element.Name}' is gone; get a fresh tree.",
                        new Dictionary<string, object?> { ["role"] = element.Role, ["name"] = element.Name });
                Perform(target, element, action);
            }
        }

        return ValueTask.CompletedTask;
    }

    private static void Perform(SafeGObjectHandle target, UIElement element, string action)
    {
        IntPtr err;
        if (string.Equals(action, UIActions.SetValue, StringComparison.OrdinalIgnoreCase))
        {
            string text = element.Value ?? string.Empty;
            using (SafeGObjectHandle editable = Interop.Atspi.atspi_accessible_get_editable_text_iface(target))
            {
                if (!editable.IsInvalid)
                {
                    int ok = Interop.Atspi.atspi_editable_text_set_text_contents(editable, text, out err);
                    ThrowIfFailed(ok, err, "set the text");
                    return;
                }
            }

            using (SafeGObjectHandle value = Interop.Atspi.atspi_accessible_get_value_iface(target))
            {
                if (!value.IsInvalid && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double number))
                {
                    int ok = Interop.Atspi.atspi_value_set_current_value(value, number, out err);
                    ThrowIfFailed(ok, err, "set the value");
                    return;
                }
            }

            throw new InvalidArgumentException($"The element '{element.Role}' '{element.Name}' is not editable.");
        }

        if (string.Equals(action, UIActions.Focus, StringComparison.OrdinalIgnoreCase))
        {
            using SafeGObjectHandle component = Interop.Atspi.atspi_accessible_get_component_iface(target);
            if (component.IsInvalid)
            {
                throw new InvalidArgumentException($"The element '{element.Role}' '{element.Name}' cannot take the focus.");
            }

            int ok = Interop.Atspi.atspi_component_grab_focus(component, out err);
            ThrowIfFailed(ok, err, "focus the element");
            return;
        }

        using SafeGObjectHandle actions = Interop.Atspi.atspi_accessible_get_action_iface(target);
        List<string> names = ActionNames(actions);
        int index = names.FindIndex(n => string.Equals(n, action, StringComparison.OrdinalIgnoreCase));
        if (index < 0 && Array.IndexOf(s_actionFallbacks, action.ToLowerInvariant()) >= 0)
        {
            foreach (string fallback in s_actionFallbacks)
            {
                index = names.FindIndex(n => string.Equals(n, fallback, StringComparison.OrdinalIgnoreCase));
                if (index >= 0)
                {
                    break;
                }
            }
        }

        if (index < 0)
        {
            throw new InvalidArgumentException(
                $"The element '{element.Role}' '{element.Name}' has no action '{action}' (it has: {(names.Count == 0 ? "none" : string.Join(", ", names))}).",
                new Dictionary<string, object?> { ["action"] = action, ["available"] = names.ToArray() });
        }

        int done = Interop.Atspi.atspi_action_do_action(actions, index, out err);
        ThrowIfFailed(done, err, $"do '{names[index]}'");
    }

    private static void ThrowIfFailed(int ok, IntPtr err, string what)
    {
        string? message = Interop.GLib.TakeError(err);
        if (message is not null || ok == 0)
        {
            throw new InternalErrorException($"AT-SPI could not {what}{(message is null ? "." : ": " + message)}");
        }
    }

    private (int Pid, string? Title) ResolveTarget(UITreeQuery query)
    {
        if (query.WindowId is not null)
        {
            Window w = _windows?.Get(query.WindowId) ?? throw new NotFoundException($"No window {query.WindowId}.");
            return (w.Pid ?? 0, w.Title);
        }

        if (query.App is not null)
        {
            return (0, null);
        }

        Window focused = _windows?.Focused() ?? throw new NotFoundException("No window has the focus; name an app or a window.");
        return (focused.Pid ?? 0, focused.Title);
    }

    private static (SafeGObjectHandle App, string Name, int Pid)? FindApp(SafeGObjectHandle desktop, int pid, string? name)
    {
        int count = Interop.Atspi.atspi_accessible_get_child_count(desktop, out IntPtr err);
        _ = Interop.GLib.TakeError(err);
        (SafeGObjectHandle, string, int)? byComm = null;
        for (int i = 0; i < count; i++)
        {
            SafeGObjectHandle app = Interop.Atspi.atspi_accessible_get_child_at_index(desktop, i, out err);
            if (Interop.GLib.TakeError(err) is not null || app.IsInvalid)
            {
                app.Dispose();
                continue;
            }

            int appPid = (int)Interop.Atspi.atspi_accessible_get_process_id(app, out err);
            _ = Interop.GLib.TakeError(err);
            string appName = Interop.GLib.TakeString(Interop.Atspi.atspi_accessible_get_name(app, out err)) ?? string.Empty;
            _ = Interop.GLib.TakeError(err);
            if ((pid > 0 && appPid == pid) || (pid <= 0 && name is not null && string.Equals(appName, name, StringComparison.OrdinalIgnoreCase)))
            {
                byComm?.Item1.Dispose();
                return (app, appName, appPid);
            }

            if (pid <= 0 && name is not null && byComm is null && string.Equals(Comm(appPid), name, StringComparison.OrdinalIgnoreCase))
            {
                byComm = (app, appName, appPid);
                continue;
            }

            app.Dispose();
        }

        return byComm;
    }

    private static string? Comm(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/comm").Trim();
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static (SafeGObjectHandle? Frame, int Index) FindFrame(SafeGObjectHandle app, string title)
    {
        int count = Interop.Atspi.atspi_accessible_get_child_count(app, out IntPtr err);
        _ = Interop.GLib.TakeError(err);
        for (int i = 0; i < count; i++)
        {
            SafeGObjectHandle child = Interop.Atspi.atspi_accessible_get_child_at_index(app, i, out err);
            _ = Interop.GLib.TakeError(err);
            if (!child.IsInvalid && string.Equals(Name(child), title, StringComparison.Ordinal))
            {
                return (child, i);
            }

            child.Dispose();
        }

        return (null, -1);
    }

    private static SafeGObjectHandle? Locate(SafeGObjectHandle app, IReadOnlyList<int> path, UIElement expected)
    {
        SafeGObjectHandle? current = null;
        SafeGObjectHandle parent = app;
        bool ok = true;
        foreach (int index in path)
        {
            SafeGObjectHandle next = Interop.Atspi.atspi_accessible_get_child_at_index(parent, index, out IntPtr err);
            if (Interop.GLib.TakeError(err) is not null || next.IsInvalid)
            {
                next.Dispose();
                ok = false;
                break;
            }

            current?.Dispose();
            current = next;
            parent = next;
        }

        if (ok && current is not null && Matches(current, expected))
        {
            return current;
        }

        current?.Dispose();

        // The tree changed: search the app for the same role and name (bounded).
        return Search(app, expected, 0, Stopwatch.StartNew());
    }

    private static SafeGObjectHandle? Search(SafeGObjectHandle node, UIElement expected, int depth, Stopwatch clock)
    {
        if (depth > 32 || clock.ElapsedMilliseconds > 2000)
        {
            return null;
        }

        int count = Interop.Atspi.atspi_accessible_get_child_count(node, out IntPtr err);
        _ = Interop.GLib.TakeError(err);
        for (int i = 0; i < Math.Min(count, 4000); i++)
        {
            SafeGObjectHandle child = Interop.Atspi.atspi_accessible_get_child_at_index(node, i, out err);
            _ = Interop.GLib.TakeError(err);
            if (child.IsInvalid)
            {
                child.Dispose();
                continue;
            }

            if (Matches(child, expected))
            {
                return child;
            }

            SafeGObjectHandle? found = Search(child, expected, depth + 1, clock);
            child.Dispose();
            if (found is not null)
            {
                return found;
            }
        }

        return null;
    }

    private static bool Matches(SafeGObjectHandle node, UIElement expected)
        => string.Equals(RoleName(node), expected.Role, StringComparison.Ordinal) && string.Equals(Name(node), expected.Name, StringComparison.Ordinal);

    private static IReadOnlyList<int> ReadPath(object? raw)
    {
        switch (raw)
        {
            case null:
                return [];
            case int[] ints:
                return ints;
            case System.Collections.IEnumerable items when raw is not string:
                var list = new List<int>();
                foreach (object? item in items)
                {
                    list.Add(System.Convert.ToInt32(item, CultureInfo.InvariantCulture));
                }

                return list;
            case string s:
                return s.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(x => int.Parse(x, CultureInfo.InvariantCulture)).ToList();
            default:
                return [];
        }
    }

    private static string Name(SafeGObjectHandle node)
    {
        string? name = Interop.GLib.TakeString(Interop.Atspi.atspi_accessible_get_name(node, out IntPtr err));
        _ = Interop.GLib.TakeError(err);
        return name ?? string.Empty;
    }

    private static string RoleName(SafeGObjectHandle node)
    {
        string? role = Interop.GLib.TakeString(Interop.Atspi.atspi_accessible_get_role_name(node, out IntPtr err));
        _ = Interop.GLib.TakeError(err);
        return role ?? "unknown";
    }

    private static List<string> ActionNames(SafeGObjectHandle actions)
    {
        var names = new List<string>();
        if (actions.IsInvalid)
        {
            return names;
        }

        int n = Interop.Atspi.atspi_action_get_n_actions(actions, out IntPtr err);
        _ = Interop.GLib.TakeError(err);
        for (int i = 0; i < n; i++)
        {
            names.Add(Interop.GLib.TakeString(Interop.Atspi.atspi_action_get_action_name(actions, i, out err)) ?? string.Empty);
            _ = Interop.GLib.TakeError(err);
        }

        return names;
    }

    /// <summary>Processes pending D-Bus signals (cache updates) without blocking.</summary>
    private static void Pump()
    {
        for (int i = 0; i < 1000 && Interop.GLib.g_main_context_iteration(IntPtr.Zero, 0) != 0; i++)
        {
        }
    }

    private sealed class Walk(UITreeQuery query, string appName, int appPid, CancellationToken cancellationToken)
    {
        public Stopwatch Clock { get; } = Stopwatch.StartNew();

        public int Count { get; private set; }

        public bool Partial { get; private set; }

        public string? PartialReason { get; private set; }

        public UIElement Visit(SafeGObjectHandle node, List<int> path, int depth)
        {
            Count++;
            string role = RoleName(node);
            string name = Name(node);
            bool focused = false, enabled = true;
            using (SafeGObjectHandle states = Interop.Atspi.atspi_accessible_get_state_set(node))
            {
                if (!states.IsInvalid)
                {
                    focused = Interop.Atspi.atspi_state_set_contains(states, Interop.Atspi.StateFocused) != 0;
                    enabled = Interop.Atspi.atspi_state_set_contains(states, Interop.Atspi.StateSensitive) != 0
                        || Interop.Atspi.atspi_state_set_contains(states, Interop.Atspi.StateEnabled) != 0;
                }
            }

            Rect? bounds = null;
            using (SafeGObjectHandle component = Interop.Atspi.atspi_accessible_get_component_iface(node))
            {
                if (!component.IsInvalid)
                {
                    Interop.Atspi.AtspiRect* r = Interop.Atspi.atspi_component_get_extents(component, Interop.Atspi.CoordTypeScreen, out IntPtr err);
                    _ = Interop.GLib.TakeError(err);
                    if (r is not null)
                    {
                        if (r->Width > 0 && r->Height > 0)
                        {
                            bounds = new Rect(r->X, r->Y, r->Width, r->Height);
                        }

                        Interop.GLib.g_free((IntPtr)r);
                    }
                }
            }

            List<string> actions;
            using (SafeGObjectHandle action = Interop.Atspi.atspi_accessible_get_action_iface(node))
            {
                actions = ActionNames(action);
            }

            string? value = ReadValue(node);
            var metadata = new Dictionary<string, object?>
            {
                ["path"] = path.ToArray(),
                ["app"] = appName,
                ["app_pid"] = appPid,
            };

            var children = new List<UIElement>();
            if (depth < query.MaxDepth)
            {
                int count = Interop.Atspi.atspi_accessible_get_child_count(node, out IntPtr err);
                _ = Interop.GLib.TakeError(err);
                for (int i = 0; i < count; i++)
                {
                    if (!HasBudget())
                    {
                        metadata["children_omitted"] = count - i;
                        break;
                    }

                    using SafeGObjectHandle child = Interop.Atspi.atspi_accessible_get_child_at_index(node, i, out err);
                    if (Interop.GLib.TakeError(err) is not null || child.IsInvalid)
                    {
                        continue;
                    }

                    path.Add(i);
                    children.Add(Visit(child, path, depth + 1));
                    path.RemoveAt(path.Count - 1);
                }
            }

            return new UIElement(role, name, value, bounds, focused, enabled, actions, children, metadata);
        }

        private bool HasBudget()
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (Count >= query.MaxNodes)
            {
                Partial = true;
                PartialReason ??= "max_nodes";
                return false;
            }

            if (Clock.Elapsed >= query.Budget)
            {
                Partial = true;
                PartialReason ??= "budget";
                return false;
            }

            return true;
        }

        private static string? ReadValue(SafeGObjectHandle node)
        {
            using (SafeGObjectHandle text = Interop.Atspi.atspi_accessible_get_text_iface(node))
            {
                if (!text.IsInvalid)
                {
                    int n = Interop.Atspi.atspi_text_get_character_count(text, out IntPtr err);
                    _ = Interop.GLib.TakeError(err);
                    if (n > 0)
                    {
                        string? s = Interop.GLib.TakeString(Interop.Atspi.atspi_text_get_text(text, 0, Math.Min(n, MaxTextChars), out err));
                        _ = Interop.GLib.TakeError(err);
                        return s;
                    }

                    return string.Empty;
                }
            }

            using SafeGObjectHandle value = Interop.Atspi.atspi_accessible_get_value_iface(node);
            if (!value.IsInvalid)
            {
                double v = Interop.Atspi.atspi_value_get_current_value(value, out IntPtr err);
                return Interop.GLib.TakeError(err) is null ? v.ToString(CultureInfo.InvariantCulture) : null;
            }

            return null;
        }
    }
}
