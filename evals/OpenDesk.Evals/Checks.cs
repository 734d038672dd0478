using System.Text;
using OpenDesk.Serve.Demo;

namespace OpenDesk.Evals;

/// <summary>
/// Independent checks of the final state: files, xclip, xdotool, wmctrl, AT-SPI through Debian's python3-pyatspi, and
/// tesseract on an xwd capture. None of them goes through OpenDesk.
/// </summary>
internal static class Checks
{
    /// <summary>Polls a file until its trimmed text equals <paramref name="expected"/>; null when it does, else the reason.</summary>
    public static async Task<string?> FileEqualsAsync(string path, string expected, TimeSpan? timeout = null)
    {
        string? last = null;
        bool ok = await Desktop.Until(() =>
        {
            last = File.Exists(path) ? File.ReadAllText(path).Trim() : null;
            return Task.FromResult(last == expected);
        }, timeout ?? TimeSpan.FromSeconds(5));
        return ok ? null : last is null ? $"{Path.GetFileName(path)} does not exist" : $"{Path.GetFileName(path)} holds \"{last}\", expected \"{expected}\"";
    }

    /// <summary>The CLIPBOARD text read with xclip.</summary>
    public static async Task<string> ClipboardAsync(Desktop d)
    {
        (int code, string stdout, _) = await d.RunAsync("xclip", ["-o", "-selection", "clipboard"], timeout: TimeSpan.FromSeconds(10));
        return code == 0 ? stdout : "";
    }

    /// <summary>The active window's title (xdotool).</summary>
    public static async Task<string> ActiveWindowTitleAsync(Desktop d)
    {
        (int code, string stdout, _) = await d.RunAsync("xdotool", ["getactivewindow", "getwindowname"]);
        return code == 0 ? stdout.Trim() : "";
    }

    /// <summary>Waits (3 s) until the active window's title satisfies <paramref name="want"/>; null when it does, else the reason.</summary>
    public static async Task<string?> ActiveWindowAsync(Desktop d, Func<string, bool> want, string expected)
    {
        string title = "";
        bool ok = await Desktop.Until(async () => want(title = await ActiveWindowTitleAsync(d)), TimeSpan.FromSeconds(3));
        return ok ? null : $"the active window is \"{title}\", expected {expected}";
    }

    /// <summary>Window titles (wmctrl -l).</summary>
    public static async Task<IReadOnlyList<string>> WindowTitlesAsync(Desktop d)
    {
        (_, string stdout, _) = await d.RunAsync("wmctrl", ["-l"]);
        return [.. stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split((char[]?)null, 4, StringSplitOptions.RemoveEmptyEntries))
            .Where(p => p.Length == 4).Select(p => p[3])];
    }

    /// <summary>Waits for a process to exit; its exit code, or null when it is still running.</summary>
    public static async Task<int?> ExitCodeAsync(ChildProcess p, TimeSpan? timeout = null)
    {
        try
        {
            return await p.WaitForExitAsync(timeout ?? TimeSpan.FromSeconds(5));
        }
        catch (TimeoutException)
        {
            return null;
        }
    }

    /// <summary>Text of the text widgets of an app, read over AT-SPI by python3-pyatspi (empty when pyatspi is missing).</summary>
    public static async Task<string?> AtspiTextAsync(Desktop d, string app)
    {
        const string script = """
            import sys, pyatspi
            want = sys.argv[1].lower()
            out = []
            def walk(a, depth=0):
                if a is None or depth > 40: return
                try:
                    if a.getRoleName() in ('text', 'entry', 'password text'):
                        t = a.queryText(); out.append(t.getText(0, t.characterCount))
                except Exception: pass
                for c in a:
                    walk(c, depth + 1)
            for app in pyatspi.Registry.getDesktop(0):
                if app is not None and want in (app.name or '').lower():
                    walk(app)
            print('\n'.join(out))
            """;
        if (!File.Exists("/usr/bin/python3"))
        {
            return null;
        }

        (int code, string stdout, string stderr) = await d.RunAsync("/usr/bin/python3", ["-c", script, app], timeout: TimeSpan.FromSeconds(20));
        return code == 0 ? stdout.Trim() : stderr.Contains("No module named 'pyatspi'", StringComparison.Ordinal) ? null : $"(pyatspi failed: {stderr.Trim()})";
    }

    /// <summary>OCR of one window: xwd captures it, tesseract reads it (both independent of OpenDesk).</summary>
    public static async Task<string> OcrWindowAsync(Desktop d, string windowId, string workDirectory)
    {
        string xwd = Path.Combine(workDirectory, "check.xwd");
        string ppm = Path.Combine(workDirectory, "check.ppm");
        (int code, _, string err) = await d.RunAsync("sh", ["-c", $"xwd -silent -id {windowId} > '{xwd}'"]);
        if (code != 0)
        {
            return $"(xwd failed: {err})";
        }

        XwdToPpm(File.ReadAllBytes(xwd), ppm, scale: 2);
        (int tcode, string text, string terr) = await d.RunAsync("tesseract", [ppm, "-", "--psm", "11"], timeout: TimeSpan.FromSeconds(60));
        return tcode == 0 ? text : $"(tesseract failed: {terr})";
    }

    /// <summary>Converts an xwd dump (32 bpp ZPixmap, as Xvfb writes it) to a PPM, enlarged by an integer factor for OCR.</summary>
    public static void XwdToPpm(byte[] xwd, string path, int scale)
    {
        static int U32(byte[] b, int o) => (b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3];
        int headerSize = U32(xwd, 0);
        int width = U32(xwd, 16);
        int height = U32(xwd, 20);
        int bytesPerLine = U32(xwd, 48);
        int colors = U32(xwd, 76);
        int offset = headerSize + (colors * 12);
        using var f = File.Create(path);
        byte[] header = Encoding.ASCII.GetBytes($"P6\n{width * scale} {height * scale}\n255\n");
        f.Write(header);
        byte[] row = new byte[width * scale * 3];
        for (int y = 0; y < height; y++)
        {
            int line = offset + (y * bytesPerLine);
            for (int x = 0; x < width; x++)
            {
                int p = line + (x * 4);
                for (int s = 0; s < scale; s++)
                {
                    int o = ((x * scale) + s) * 3;
                    row[o] = xwd[p + 2];
                    row[o + 1] = xwd[p + 1];
                    row[o + 2] = xwd[p];
                }
            }

            for (int s = 0; s < scale; s++)
            {
                f.Write(row);
            }
        }
    }
}
