using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Versioning;
using OpenDesk.Core;

namespace OpenDesk.Local.Platforms.Linux;

/// <summary><c>input.*</c> through XTEST.</summary>
[SupportedOSPlatform("linux")]
internal sealed class LinuxInput(X11Input input) : IComputerInput
{
    /// <summary>The XTEST input behind this group (tests restore its temporary keysym bindings).</summary>
    internal X11Input X11 => input;

    public ValueTask SendPointerAsync(PointerEvent pointerEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pointerEvent);
        cancellationToken.ThrowIfCancellationRequested();
        input.Pointer(pointerEvent);
        return ValueTask.CompletedTask;
    }

    public ValueTask SendKeyAsync(KeyEvent keyEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keyEvent);
        cancellationToken.ThrowIfCancellationRequested();
        input.Key(keyEvent);
        return ValueTask.CompletedTask;
    }

    public ValueTask TypeTextAsync(TextInput textInput, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(textInput);
        return input.TypeAsync(textInput, cancellationToken);
    }

#pragma warning disable CS1998 // Throws on the first MoveNextAsync: input.subscribe is not advertised.
    public async IAsyncEnumerable<InputEvent> SubscribeAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        throw Unsupported.Exception(new Capability("input.subscribe"));
#pragma warning disable CS0162
        yield break;
#pragma warning restore CS0162
    }
#pragma warning restore CS1998
}

/// <summary><c>windows.*</c> through EWMH.</summary>
[SupportedOSPlatform("linux")]
internal sealed class LinuxWindows(X11Windows windows) : IComputerWindows
{
    public ValueTask<IReadOnlyList<Window>> ListAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(windows.List());
    }

    public ValueTask<Window?> GetFocusedAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(windows.Focused());
    }

    public ValueTask FocusAsync(string windowId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        windows.Focus(windowId);
        return ValueTask.CompletedTask;
    }

    public ValueTask MoveAsync(string windowId, Rect bounds, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        windows.Move(windowId, bounds);
        return ValueTask.CompletedTask;
    }

    public ValueTask CloseAsync(string windowId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        windows.Close(windowId);
        return ValueTask.CompletedTask;
    }
}

/// <summary><c>apps.*</c>: names from window classes and processes; open via desktop files, executables or xdg-open; close via the WM, then SIGTERM.</summary>
[SupportedOSPlatform("linux")]
internal sealed class LinuxApps(X11Windows windows) : IComputerApps
{
    private static readonly TimeSpan s_gracefulTimeout = TimeSpan.FromSeconds(3);

    public ValueTask<IReadOnlyList<string>> ListAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        IReadOnlyList<string> names = windows.List().Select(w => w.AppName).Where(n => n.Length > 0)
            .Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        return ValueTask.FromResult(names);
    }

    public ValueTask OpenAsync(string name, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        cancellationToken.ThrowIfCancellationRequested();
        IReadOnlyList<string> argv = AppLauncher.Resolve(name)
            ?? throw new NotFoundException($"No application, file or URL named '{name}'.", new Dictionary<string, object?> { ["name"] = name });
        AppLauncher.Spawn(argv);
        return ValueTask.CompletedTask;
    }

    public ValueTask FocusAsync(string name, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Window w = Match(name).FirstOrDefault() ?? throw NotRunning(name);
        windows.Focus(w.Id);
        return ValueTask.CompletedTask;
    }

    public async ValueTask CloseAsync(string name, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);

        // Only windows on this desktop are matched: never processes elsewhere that happen to share the name.
        List<Window> matched = Match(name);
        if (matched.Count == 0)
        {
            throw NotRunning(name);
        }

        var pids = new HashSet<int>(matched.Where(w => w.Pid is not null).Select(w => w.Pid!.Value));
        foreach (Window w in matched)
        {
            try
            {
                windows.Close(w.Id);
            }
            catch (NotFoundException)
            {
            }
        }

        var ids = matched.Select(w => w.Id).ToHashSet(StringComparer.Ordinal);
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < s_gracefulTimeout && windows.List().Any(w => ids.Contains(w.Id)))
        {
            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }

        // Terminate what did not go away: SIGTERM (then SIGKILL) by PID, or XKillClient for windows without a PID.
        var remaining = windows.List().Where(w => ids.Contains(w.Id)).ToList();
        var alive = pids.Where(ProcessTree.IsAlive).ToList();
        foreach (int pid in alive)
        {
            _ = Interop.Libc.kill(pid, Interop.Libc.SIGTERM);
        }

        foreach (Window w in remaining.Where(w => w.Pid is null))
        {
            windows.KillClient(w.Id);
        }

        await ProcessTree.WaitForExitOrKillAsync(alive, s_gracefulTimeout, cancellationToken).ConfigureAwait(false);
    }

    private List<Window> Match(string name)
    {
        IReadOnlyList<Window> all = windows.List();
        var byClass = all.Where(w => string.Equals(w.AppName, name, StringComparison.OrdinalIgnoreCase)
            || windows.ClassNames(w.Id).Any(c => string.Equals(c, name, StringComparison.OrdinalIgnoreCase))
            || (w.Pid is int p && string.Equals(Comm(p), name, StringComparison.OrdinalIgnoreCase))).ToList();
        return byClass;
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

    private static NotFoundException NotRunning(string name)
        => new($"No running application named '{name}'.", new Dictionary<string, object?> { ["name"] = name });
}

/// <summary><c>power.lock</c> through the session's screen locker.</summary>
[SupportedOSPlatform("linux")]
internal sealed class LinuxPower(IReadOnlyList<string> lockCommand) : IComputerPower
{
    public async ValueTask LockAsync(CancellationToken cancellationToken)
    {
        CompletedCommand result = await CommandRunner.RunAsync(lockCommand, null, null, null, TimeSpan.FromSeconds(10), 64 * 1024, cancellationToken).ConfigureAwait(false);
        if (result.ReturnCode != 0)
        {
            throw new InternalErrorException($"'{string.Join(' ', lockCommand)}' failed with exit code {result.ReturnCode}: {System.Text.Encoding.UTF8.GetString(result.Stderr).Trim()}");
        }
    }

    /// <summary>The lock command of a locker that is really running in this session, or null.</summary>
    public static IReadOnlyList<string>? DetectLocker()
    {
        var names = ProcessTree.Snapshot().Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        if (names.Contains("xscreensaver") && VirtualDisplay.FindExecutable("xscreensaver-command") is string xs)
        {
            return [xs, "-lock"];
        }

        if (names.Contains("light-locker") && VirtualDisplay.FindExecutable("light-locker-command") is string ll)
        {
            return [ll, "-l"];
        }

        if (names.Contains("gnome-screensav") && VirtualDisplay.FindExecutable("gnome-screensaver-command") is string gs)
        {
            return [gs, "-l"];
        }

        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("XDG_SESSION_ID")) && Directory.Exists("/run/systemd/seats")
            && VirtualDisplay.FindExecutable("loginctl") is string lc)
        {
            return [lc, "lock-session"];
        }

        return null;
    }
}
