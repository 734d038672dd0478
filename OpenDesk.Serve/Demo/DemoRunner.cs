using System.Diagnostics;
using System.Globalization;
using System.Runtime.Versioning;
using OpenDesk.Local;

namespace OpenDesk.Serve.Demo;

/// <summary>Settings of one <c>opendesk demo</c> run.</summary>
internal sealed class DemoSettings
{
    /// <summary>How to start <c>opendesk</c> child processes.</summary>
    public required OpenDeskExe Exe { get; init; }

    /// <summary>Folder for the screenshots (created); null for a new folder under the temp directory.</summary>
    public string? OutputDirectory { get; init; }

    /// <summary>Also pair a loopback peer and drive it (default true).</summary>
    public bool Peer { get; init; } = true;

    /// <summary>Size of each virtual desktop.</summary>
    public int Width { get; init; } = 1280;

    /// <summary>Size of each virtual desktop.</summary>
    public int Height { get; init; } = 800;

    /// <summary>Leave the temporary homes on disk.</summary>
    public bool KeepHomes { get; init; }
}

/// <summary>
/// The quick-start demo: two private desktops with real apps, a loopback peer paired through the CLI, and a scripted
/// agent driving <c>opendesk mcp</c> on both. Every position it clicks comes from that run's marks or OCR words.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class DemoRunner(TextWriter output, DemoSettings settings)
{
    private const string TagVariable = "OPENDESK_DEMO_RUN";
    private const string PeerName = "demo-peer";
    private const string ContinueLabel = "Continue";
    private static readonly string[] s_selectAll = ["ctrl", "a"];
    private static readonly string[] s_copy = ["ctrl", "c"];
    private readonly DemoSteps _steps = new(output);
    private readonly string _tag = Guid.NewGuid().ToString("N");
    private string _shots = "";
    private int _shotNumber;

    /// <summary>Runs the demo; returns the process exit code (0 only when every step passed).</summary>
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var total = Stopwatch.StartNew();
        if (!VirtualDisplay.IsAvailable)
        {
            output.WriteLine("opendesk demo needs Xvfb (apt-get install xvfb openbox xterm zenity mousepad at-spi2-core tesseract-ocr).");
            return 2;
        }

        string stamp = DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        string root = Path.Combine(Path.GetTempPath(), $"opendesk-demo-{stamp}-{_tag[..6]}");
        _ = Directory.CreateDirectory(root);
        _shots = Path.GetFullPath(settings.OutputDirectory ?? Path.Combine(root, "screenshots"));
        _ = Directory.CreateDirectory(_shots);
        output.WriteLine($"OpenDesk demo: two private desktops, a paired loopback peer '{PeerName}', a scripted agent over `opendesk mcp`.");
        output.WriteLine($"Screenshots: {_shots}");
        output.WriteLine();

        // Everything started from here on (and whatever those processes start) carries this tag, so nothing is left behind.
        Environment.SetEnvironmentVariable(TagVariable, _tag);

        // The apps get private settings (no dconf writes, no session-restore prompts, the user's own config untouched).
        foreach ((string name, string dir) in new[] { ("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"), ("XDG_CACHE_HOME", "cache") })
        {
            Environment.SetEnvironmentVariable(name, Directory.CreateDirectory(Path.Combine(root, "xdg", dir)).FullName);
        }

        Environment.SetEnvironmentVariable("GSETTINGS_BACKEND", "memory");
        var resources = new Resources();
        try
        {
            await RunStepsAsync(resources, root, cancellationToken);
        }
        finally
        {
            await _steps.RunAsync("teardown", "stop everything", () => StopAllAsync(resources));
            if (!settings.KeepHomes)
            {
                TryDelete(Path.Combine(root, "server-home"));
                TryDelete(Path.Combine(root, "controller-home"));
                TryDelete(Path.Combine(root, "xdg"));
            }
        }

        _steps.PrintSummary(total.Elapsed);
        output.WriteLine($"Screenshots: {_shots}");
        return _steps.AllOk ? 0 : 1;
    }

    private sealed class Resources
    {
        public VirtualDisplay? LocalDesktop { get; set; }

        public VirtualDisplay? PeerDesktop { get; set; }

        public List<Process> Apps { get; } = [];

        public Dictionary<string, Process> Dialogs { get; } = [];

        public PeerLink? Link { get; set; }

        public McpDriver? Mcp { get; set; }
    }

    private async Task RunStepsAsync(Resources r, string root, CancellationToken ct)
    {
        bool ok = await _steps.RunAsync("setup", "local desktop", async () =>
        {
            r.LocalDesktop = StartDesktop();
            return await StartAppsAsync(r, r.LocalDesktop, "local", ct);
        });
        if (settings.Peer && ok)
        {
            ok = await _steps.RunAsync("setup", "peer desktop", async () =>
            {
                r.PeerDesktop = StartDesktop();
                return await StartAppsAsync(r, r.PeerDesktop, PeerName, ct);
            });
            ok = ok && await _steps.RunAsync("setup", "pair + serve", async () =>
            {
                r.Link = await PeerLink.CreateAsync(
                    settings.Exe, Env(r.PeerDesktop!), Env(r.LocalDesktop!), PeerName, root, ct);
                return string.Join("; ", r.Link.Stages.Select(s => $"{s.Stage} {DemoSteps.Ms(s.Elapsed)}: {s.Detail}"));
            });
        }

        if (!ok)
        {
            return;
        }

        ok = await _steps.RunAsync("setup", "opendesk mcp", async () =>
        {
            string home = r.Link?.ControllerHome ?? Path.Combine(root, "controller-home");
            r.Mcp = await McpDriver.StartAsync(settings.Exe, PeerLink.WithHome(Env(r.LocalDesktop!), home), [], ct);
            IReadOnlyList<string> tools = await r.Mcp.ListToolNamesAsync(ct);
            string[] needed = ["screenshot", "mouse", "keyboard", "ui", "app", "clipboard", "ocr", "opendesk_status"];
            string[] missing = [.. needed.Where(n => !tools.Contains(n))];
            return missing.Length > 0
                ? throw new DemoCheckException($"tools missing: {string.Join(", ", missing)}")
                : $"initialized in {DemoSteps.Ms(r.Mcp.StartupTime)} (pid {r.Mcp.Pid}), {tools.Count} tools";
        });
        if (!ok)
        {
            return;
        }

        await AgentAsync(r, "local", ct);
        if (r.Link is not null)
        {
            await AgentAsync(r, PeerName, ct);
        }

        _ = await _steps.RunAsync("both", "opendesk_status", async () =>
        {
            ToolCall status = await r.Mcp!.CallAsync("opendesk_status", new Dictionary<string, object?>(), ct);
            Require(!status.IsError, status);
            if (r.Link is not null && !status.Text.Contains(PeerName, StringComparison.Ordinal))
            {
                throw new DemoCheckException($"status does not mention the open connection to {PeerName}: {status.Text}");
            }

            return status.Text.ReplaceLineEndings(" | ");
        });
    }

    /// <summary>The scripted agent on one target: every coordinate comes from marks or OCR words of this run.</summary>
    private async Task AgentAsync(Resources r, string target, CancellationToken ct)
    {
        McpDriver mcp = r.Mcp!;
        string text = $"Hello from OpenDesk on {target}";
        Dictionary<string, object?> Args(params (string Key, object? Value)[] pairs)
        {
            var d = new Dictionary<string, object?>(StringComparer.Ordinal) { ["peer"] = target };
            foreach ((string k, object? v) in pairs)
            {
                d[k] = v;
            }

            return d;
        }

        IReadOnlyList<ScreenMark> marks = [];
        bool ok = await _steps.RunAsync(target, "screenshot", async () =>
        {
            ToolCall shot = await mcp.CallAsync("screenshot", Args(("marks", true), ("format", "png")), ct);
            string saved = SaveImage(shot, target, "desktop");
            marks = ScreenReading.Marks(shot.Text);
            return $"{shot.FirstLine(60)} {(MarksAvailable(shot) ? $"{marks.Count} marks" : MarksLine(shot))}; saved {saved}";
        });

        _ = ok && await _steps.RunAsync(target, "click a button", async () =>
        {
            Process dialog = r.Dialogs[target];
            (int x, int y, string how) = await FindContinueButtonAsync(mcp, marks, target, Args, ct);
            ToolCall click = await mcp.CallAsync("mouse", Args(("action", "click"), ("x", x), ("y", y)), ct);
            Require(!click.IsError, click);
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            cts.CancelAfter(TimeSpan.FromSeconds(10));
            try
            {
                await dialog.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new DemoCheckException($"clicked {how} at ({x}, {y}) but the zenity dialog is still open: {click.FirstLine()}");
            }

            return dialog.ExitCode == 0
                ? $"clicked {how} at ({x}, {y}): the zenity dialog closed with its Continue button (exit 0)"
                : throw new DemoCheckException($"the zenity dialog exited {dialog.ExitCode}, not 0 (Continue)");
        });

        IReadOnlyList<ScreenMark> editorMarks = [];
        ok = await _steps.RunAsync(target, "open an app", async () =>
        {
            ToolCall open = await mcp.CallAsync("app", Args(("action", "open"), ("name", "mousepad"), ("settle_ms", 2000)), ct);
            Require(!open.IsError, open);

            // Wait for the editor the way an agent would: list the apps again until it shows, then look at the screen.
            var sw = Stopwatch.StartNew();
            ToolCall list;
            do
            {
                list = await mcp.CallAsync("app", Args(("action", "list")), ct);
                Require(!list.IsError, list);
            }
            while (!list.Text.Contains("mousepad", StringComparison.OrdinalIgnoreCase) && sw.Elapsed < TimeSpan.FromSeconds(20));
            if (!list.Text.Contains("mousepad", StringComparison.OrdinalIgnoreCase))
            {
                throw new DemoCheckException($"mousepad is not among the running apps: {list.Text.ReplaceLineEndings(" ")}");
            }

            ToolCall shot;
            do
            {
                shot = await mcp.CallAsync("screenshot", Args(("marks", true), ("format", "png")), ct);
                editorMarks = ScreenReading.Marks(shot.Text);
            }
            while (TextArea(editorMarks) is null && MarksAvailable(shot) && sw.Elapsed < TimeSpan.FromSeconds(20));

            string saved = SaveImage(shot, target, "editor-open");
            return TextArea(editorMarks) is { } area
                ? $"{open.FirstLine(50)} its text area is mark [{area.Number}] at ({area.X}, {area.Y}); saved {saved}"
                : MarksAvailable(shot)
                    ? throw new DemoCheckException($"no text area among the marks after opening mousepad: {shot.Text}")
                    : $"{open.FirstLine(50)} (no marks on this computer: {MarksLine(shot)}); saved {saved}";
        });

        ok = ok && await _steps.RunAsync(target, "type text", async () =>
        {
            string where = "into the focused editor (no marks to click)";
            if (TextArea(editorMarks) is { } area)
            {
                ToolCall click = await mcp.CallAsync("mouse", Args(("action", "click"), ("x", area.X), ("y", area.Y)), ct);
                Require(!click.IsError, click);
                where = $"after clicking the text area at ({area.X}, {area.Y})";
            }

            ToolCall type = await mcp.CallAsync("keyboard", Args(("action", "type"), ("text", text)), ct);
            Require(!type.IsError, type);
            return $"{type.FirstLine(70)} {where}";
        });

        _ = ok && await _steps.RunAsync(target, "read back (OCR)", async () =>
        {
            // OCR the editor's text area (its mark's box), as an agent would zoom in on the part it cares about.
            Dictionary<string, object?> args = TextArea(editorMarks) is { } area
                ? Args(("region", new[] { area.X - (area.Width / 2), area.Y - (area.Height / 2), area.Width, area.Height }))
                : Args();
            var sw = Stopwatch.StartNew();
            while (true)
            {
                ToolCall ocr = await mcp.CallAsync("ocr", args, ct);
                Require(!ocr.IsError, ocr);
                IReadOnlyList<OcrWord> words = ScreenReading.Words(ocr.Text);
                if (ScreenReading.ContainsPhrase(words, text))
                {
                    OcrWord first = ScreenReading.FindWord(words, "Hello")!;
                    return $"OCR of {(args.ContainsKey("region") ? "the text area" : "the screen")} reads \"{text}\" (\"Hello\" at ({first.X}, {first.Y}))";
                }

                if (sw.Elapsed > TimeSpan.FromSeconds(10))
                {
                    throw new DemoCheckException($"OCR did not find \"{text}\": {ScreenReading.OcrText(ocr.Text).ReplaceLineEndings(" ")}");
                }
            }
        });

        _ = ok && await _steps.RunAsync(target, "read back (a11y)", async () =>
        {
            // The accessibility tree: the text area's value as the Set-of-Marks lists it (looked at again while the
            // budget-limited tree walk comes back partial without it).
            var sw = Stopwatch.StartNew();
            while (true)
            {
                ToolCall shot = await mcp.CallAsync("screenshot", Args(("marks", true)), ct);
                Require(!shot.IsError, shot);
                if (TextArea(ScreenReading.Marks(shot.Text)) is { } area && area.Label.Contains(text, StringComparison.Ordinal))
                {
                    return $"the accessibility tree gives text area mark [{area.Number}] the value \"{area.Label}\"";
                }

                if (sw.Elapsed > TimeSpan.FromSeconds(10))
                {
                    throw new DemoCheckException(TextArea(ScreenReading.Marks(shot.Text)) is { } other
                        ? $"the text area's accessible value is \"{other.Label}\", not \"{text}\""
                        : $"no text area among the marks: {MarksLine(shot)}");
                }
            }
        });

        _ = ok && await _steps.RunAsync(target, "clipboard round trip", async () =>
        {
            ToolCall all = await mcp.CallAsync("keyboard", Args(("action", "hotkey"), ("keys", s_selectAll)), ct);
            Require(!all.IsError, all);
            ToolCall copy = await mcp.CallAsync("keyboard", Args(("action", "hotkey"), ("keys", s_copy)), ct);
            Require(!copy.IsError, copy);
            ToolCall read = await mcp.CallAsync("clipboard", Args(("action", "read")), ct);
            Require(!read.IsError, read);
            if (!read.Text.Contains(text, StringComparison.Ordinal))
            {
                throw new DemoCheckException($"after ctrl+a, ctrl+c the clipboard holds \"{read.Text}\", not \"{text}\"");
            }

            string token = $"OpenDesk clipboard {Guid.NewGuid():N}"[..30];
            ToolCall write = await mcp.CallAsync("clipboard", Args(("action", "write"), ("text", token)), ct);
            Require(!write.IsError, write);
            ToolCall back = await mcp.CallAsync("clipboard", Args(("action", "read")), ct);
            Require(!back.IsError, back);
            return back.Text.Contains(token, StringComparison.Ordinal)
                ? $"copied from the editor: \"{text}\"; wrote and read back \"{token}\""
                : throw new DemoCheckException($"wrote \"{token}\" but read \"{back.Text}\"");
        });

        _ = ok && await _steps.RunAsync(target, "final screenshot", async () =>
        {
            ToolCall shot = await mcp.CallAsync("screenshot", Args(("format", "png")), ct);
            return $"saved {SaveImage(shot, target, "final")}";
        });
    }

    private static bool MarksAvailable(ToolCall shot) => !shot.Text.Contains("Marks unavailable", StringComparison.Ordinal);

    private static string MarksLine(ToolCall shot)
        => shot.Text.Split('\n').FirstOrDefault(l => l.StartsWith("Marks", StringComparison.Ordinal))?.Trim() ?? "no marks";

    private static ScreenMark? TextArea(IReadOnlyList<ScreenMark> marks)
        => marks.Where(m => m.Role is "text" or "entry" || m.Role.Contains("text", StringComparison.OrdinalIgnoreCase))
            .OrderByDescending(m => m.Width * m.Height)
            .FirstOrDefault();

    private static async Task<(int X, int Y, string How)> FindContinueButtonAsync(
        McpDriver mcp, IReadOnlyList<ScreenMark> marks, string target,
        Func<(string, object?)[], Dictionary<string, object?>> args, CancellationToken ct)
    {
        if (ScreenReading.FindMark(marks, ContinueLabel, "button") is { } mark)
        {
            return (mark.X, mark.Y, $"mark [{mark.Number}] {mark.Role} \"{mark.Label}\"");
        }

        // No accessibility marks: use what OCR reads on the screen instead.
        ToolCall ocr = await mcp.CallAsync("ocr", args([]), ct);
        Require(!ocr.IsError, ocr);
        OcrWord word = ScreenReading.FindWord(ScreenReading.Words(ocr.Text), ContinueLabel)
            ?? throw new DemoCheckException($"no {ContinueLabel} button on {target}: neither a mark nor an OCR word");
        return (word.X, word.Y, $"OCR word \"{word.Text}\"");
    }

    private VirtualDisplay StartDesktop()
        => VirtualDisplay.Start(new VirtualDisplayOptions { Width = settings.Width, Height = settings.Height });

    private static async Task<string> StartAppsAsync(Resources r, VirtualDisplay desktop, string label, CancellationToken ct)
    {
        string title = $"OpenDesk demo terminal on {label}";
        r.Apps.Add(desktop.StartProcess("xterm", "-geometry", "70x8+10+10", "-fa", "DejaVu Sans Mono", "-fs", "12", "-T", title,
            "-e", "sh", "-c", $"echo 'This is the {label} desktop of the OpenDesk demo.'; exec cat"));
        await WaitForWindowAsync(desktop, title, ct);
        string dialogTitle = $"OpenDesk demo dialog on {label}";
        Process dialog = desktop.StartProcess("zenity", "--info", "--title", dialogTitle, "--text", $"Hello from the {label} desktop.", "--ok-label", ContinueLabel);
        r.Apps.Add(dialog);
        r.Dialogs[label] = dialog;
        await WaitForWindowAsync(desktop, dialogTitle, ct);
        return $"{desktop.DisplayName} {desktop.Options.Width}x{desktop.Options.Height}"
            + $"{(desktop.HasWindowManager ? " + openbox" : "")}{(desktop.HasAccessibilityBus ? " + AT-SPI" : "")}; xterm and a zenity dialog";
    }

    private static async Task WaitForWindowAsync(VirtualDisplay desktop, string title, CancellationToken ct)
    {
        if (ChildProcess.Which("xdotool") is not { } xdotool)
        {
            return;
        }

        (int code, _, string err) = await ChildProcess.RunAsync(
            xdotool, ["search", "--sync", "--onlyvisible", "--name", title], Env(desktop), TimeSpan.FromSeconds(30), cancellationToken: ct);
        if (code != 0)
        {
            throw new DemoCheckException($"window '{title}' did not appear on {desktop.DisplayName}: {err}");
        }
    }

    private static Dictionary<string, string?> Env(VirtualDisplay desktop)
    {
        var env = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach ((string k, string v) in desktop.Environment)
        {
            env[k] = v;
        }

        env.TryAdd("DBUS_SESSION_BUS_ADDRESS", null);
        return env;
    }

    private string SaveImage(ToolCall shot, string target, string what)
    {
        Require(!shot.IsError, shot);
        if (shot.Images.Count == 0)
        {
            throw new DemoCheckException($"{shot.Tool} returned no image: {shot.Text}");
        }

        (byte[] data, string mime) = shot.Images[0];
        (int w, int h) = ScreenReading.DecodeSize(data) ?? throw new DemoCheckException($"the {mime} image does not decode");
        if (ScreenReading.ImageSize(shot.Text) is { } said && (said.Width != w || said.Height != h))
        {
            throw new DemoCheckException($"the image is {w}x{h} but the result says {said.Width}x{said.Height}");
        }

        string ext = mime.Contains("png", StringComparison.OrdinalIgnoreCase) ? "png" : "jpg";
        string name = string.Create(CultureInfo.InvariantCulture, $"{++_shotNumber:00}-{target}-{what}.{ext}");
        File.WriteAllBytes(Path.Combine(_shots, name), data);
        return $"{name} ({w}x{h})";
    }

    private static void Require(bool condition, ToolCall call)
    {
        if (!condition)
        {
            throw new DemoCheckException($"{call.Tool} returned an error: {call.Text}");
        }
    }

    private async Task<string> StopAllAsync(Resources r)
    {
        var stopped = new List<string>();
        if (r.Mcp is not null)
        {
            stopped.Add($"mcp {r.Mcp.Pid}");
            await r.Mcp.DisposeAsync();
        }

        if (r.Link is not null)
        {
            stopped.AddRange(r.Link.Pids.Select(p => $"serve {p}"));
            await r.Link.DisposeAsync();
        }

        // Apps the agent opened (children of opendesk mcp/serve) and the ones we started: all carry this run's tag.
        List<int> tagged = ChildProcess.FindTagged(TagVariable, _tag);
        var desktopPids = new HashSet<int>((r.LocalDesktop?.ProcessIds ?? []).Concat(r.PeerDesktop?.ProcessIds ?? []));
        List<int> apps = [.. tagged.Where(p => !desktopPids.Contains(p))];
        if (apps.Count > 0)
        {
            _ = await ChildProcess.TerminateAsync(apps, TimeSpan.FromSeconds(3));
            stopped.Add($"{apps.Count} app process(es)");
        }

        foreach (Process p in r.Apps)
        {
            p.Dispose();
        }

        foreach (VirtualDisplay? d in new[] { r.LocalDesktop, r.PeerDesktop })
        {
            if (d is not null)
            {
                stopped.Add($"desktop {d.DisplayName} ({d.ProcessIds.Count} processes)");
                await d.DisposeAsync();
            }
        }

        Environment.SetEnvironmentVariable(TagVariable, null);
        List<int> left = ChildProcess.FindTagged(TagVariable, _tag).Where(ChildProcess.IsAlive).ToList();
        if (left.Count > 0)
        {
            _ = await ChildProcess.TerminateAsync(left, TimeSpan.FromSeconds(3));
            throw new DemoCheckException($"processes were still running after stop and had to be killed: {string.Join(", ", left)}");
        }

        return $"stopped {string.Join(", ", stopped)}; no process of this run is left";
    }

    private static void TryDelete(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
