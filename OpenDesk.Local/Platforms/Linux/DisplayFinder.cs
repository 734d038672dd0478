using System.Globalization;
using System.Runtime.Versioning;

namespace OpenDesk.Local.Platforms.Linux;

/// <summary>
/// Finds the user's X display. MCP clients often start servers with a minimal environment (no <c>DISPLAY</c>), so
/// after <c>$DISPLAY</c> it tries the sockets in <c>/tmp/.X11-unix</c> with <c>XAUTHORITY</c> or <c>~/.Xauthority</c>.
/// </summary>
[SupportedOSPlatform("linux")]
internal static class DisplayFinder
{
    public static (X11Connection? Connection, string Source) Find(LocalComputerOptions options)
    {
        if (!string.IsNullOrEmpty(options.DisplayName))
        {
            return (X11Connection.TryOpen(options.DisplayName), "option");
        }

        string? env = Environment.GetEnvironmentVariable("DISPLAY");
        if (!string.IsNullOrEmpty(env) && X11Connection.TryOpen(env) is { } fromEnv)
        {
            return (fromEnv, "DISPLAY");
        }

        if (!options.FindDisplay || !Directory.Exists("/tmp/.X11-unix"))
        {
            return (null, "none");
        }

        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("XAUTHORITY")))
        {
            string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            string xauth = Path.Combine(home, ".Xauthority");
            if (File.Exists(xauth))
            {
                Interop.Libc.SetEnvironment("XAUTHORITY", xauth);
            }
        }

        var numbers = new List<int>();
        foreach (string socket in Directory.EnumerateFileSystemEntries("/tmp/.X11-unix", "X*"))
        {
            if (int.TryParse(Path.GetFileName(socket).AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out int n))
            {
                numbers.Add(n);
            }
        }

        numbers.Sort();
        foreach (int n in numbers)
        {
            string name = ":" + n.ToString(CultureInfo.InvariantCulture);
            if (X11Connection.TryOpen(name) is { } x)
            {
                // Child processes (apps.open) and libraries that read the native environment need it too.
                Interop.Libc.SetEnvironment("DISPLAY", name);
                return (x, "socket-scan");
            }
        }

        return (null, "none");
    }
}
