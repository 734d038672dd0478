using System.Diagnostics;
using System.Runtime.Versioning;
using System.Text.RegularExpressions;

namespace OpenDesk.Local.Platforms.Linux;

/// <summary>Resolves an app name to a command line: a desktop file id or name, an executable, or a file/URL for xdg-open.</summary>
[SupportedOSPlatform("linux")]
internal static partial class AppLauncher
{
    public static IReadOnlyList<string>? Resolve(string name)
    {
        string trimmed = name.Trim();
        if (Uri.TryCreate(trimmed, UriKind.Absolute, out Uri? uri) && uri.Scheme is "http" or "https" or "mailto" or "ftp")
        {
            return VirtualDisplay.FindExecutable("xdg-open") is string xo ? [xo, trimmed] : null;
        }

        if (trimmed.EndsWith(".desktop", StringComparison.Ordinal) && File.Exists(trimmed))
        {
            return FromDesktopFile(trimmed);
        }

        if (trimmed.Contains('/', StringComparison.Ordinal))
        {
            if (File.Exists(trimmed) && IsExecutable(trimmed))
            {
                return [trimmed];
            }

            if (File.Exists(trimmed) || Directory.Exists(trimmed))
            {
                return VirtualDisplay.FindExecutable("xdg-open") is string xo ? [xo, trimmed] : null;
            }

            return null;
        }

        if (FindDesktopFile(trimmed) is string desktop && FromDesktopFile(desktop) is { } fromDesktop)
        {
            return fromDesktop;
        }

        if (VirtualDisplay.FindExecutable(trimmed) is string exe)
        {
            return [exe];
        }

        if (VirtualDisplay.FindExecutable(trimmed.ToLowerInvariant()) is string lower)
        {
            return [lower];
        }

        return null;
    }

    public static void Spawn(IReadOnlyList<string> argv)
    {
        var psi = new ProcessStartInfo(argv[0])
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string a in argv.Skip(1))
        {
            psi.ArgumentList.Add(a);
        }

        using Process p = Process.Start(psi) ?? throw new Core.InternalErrorException($"Could not start {argv[0]}.");
        p.StandardInput.Close();
        p.OutputDataReceived += static (_, _) => { };
        p.ErrorDataReceived += static (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
    }

    private static bool IsExecutable(string path)
        => (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;

    private static IEnumerable<string> ApplicationDirs()
    {
        string dataHome = Environment.GetEnvironmentVariable("XDG_DATA_HOME") is { Length: > 0 } dh ? dh
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local/share");
        string dataDirs = Environment.GetEnvironmentVariable("XDG_DATA_DIRS") is { Length: > 0 } dd ? dd : "/usr/local/share:/usr/share";
        yield return Path.Combine(dataHome, "applications");
        foreach (string d in dataDirs.Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            yield return Path.Combine(d, "applications");
        }
    }

    private static string? FindDesktopFile(string name)
    {
        string id = name.EndsWith(".desktop", StringComparison.Ordinal) ? name : name + ".desktop";
        var dirs = ApplicationDirs().Where(Directory.Exists).ToList();
        foreach (string dir in dirs)
        {
            string candidate = Path.Combine(dir, id);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        // By the Name= entry (case-insensitive), e.g. "Calculator".
        foreach (string dir in dirs)
        {
            foreach (string file in Directory.EnumerateFiles(dir, "*.desktop"))
            {
                foreach (string line in File.ReadLines(file))
                {
                    if (line.StartsWith("Name=", StringComparison.Ordinal) && string.Equals(line[5..].Trim(), name, StringComparison.OrdinalIgnoreCase))
                    {
                        return file;
                    }
                }
            }
        }

        return null;
    }

    private static List<string>? FromDesktopFile(string file)
    {
        bool inEntry = false;
        foreach (string raw in File.ReadLines(file))
        {
            string line = raw.Trim();
            if (line.StartsWith('['))
            {
                inEntry = line == "[Desktop Entry]";
                continue;
            }

            if (inEntry && line.StartsWith("Exec=", StringComparison.Ordinal))
            {
                var argv = SplitExec(line[5..]);
                return argv.Count > 0 ? argv : null;
            }
        }

        return null;
    }

    /// <summary>Splits an Exec= value (desktop entry spec quoting) and drops field codes such as %f, %U.</summary>
    private static List<string> SplitExec(string exec)
    {
        var result = new List<string>();
        foreach (Match m in ExecToken().Matches(exec))
        {
            string token = m.Groups[1].Success ? m.Groups[1].Value.Replace("\\\"", "\"", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal) : m.Groups[2].Value;
            if (token.Length == 2 && token[0] == '%')
            {
                continue;
            }

            result.Add(token.Replace("%%", "%", StringComparison.Ordinal));
        }

        return result;
    }

    [GeneratedRegex("\"((?:[^\"\\\\]|\\\\.)*)\"|(\\S+)")]
    private static partial Regex ExecToken();
}
