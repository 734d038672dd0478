using System.Runtime.Versioning;
using OpenDesk.Core;

namespace OpenDesk.Local.Platforms.Linux;

[SupportedOSPlatform("linux")]
internal static class SystemInfo
{
    public static EnvironmentInfo Describe(IReadOnlyList<Display> displays)
    {
        string version = Environment.OSVersion.VersionString;
        try
        {
            foreach (string line in File.ReadLines("/etc/os-release"))
            {
                if (line.StartsWith("PRETTY_NAME=", StringComparison.Ordinal))
                {
                    version = line["PRETTY_NAME=".Length..].Trim('"') + " (kernel " + Environment.OSVersion.Version + ")";
                    break;
                }
            }
        }
        catch (IOException)
        {
        }

        string locale = Environment.GetEnvironmentVariable("LC_ALL") is { Length: > 0 } lcAll ? lcAll
            : Environment.GetEnvironmentVariable("LANG") is { Length: > 0 } lang ? lang : "C";
        string tz = Environment.GetEnvironmentVariable("TZ") is { Length: > 0 } t ? t : TimeZoneInfo.Local.Id;
        return new EnvironmentInfo("linux", version, Environment.MachineName, locale, tz, displays);
    }
}
