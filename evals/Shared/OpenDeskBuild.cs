using System.Reflection;
using System.Reflection.PortableExecutable;
using System.Text.Json;

namespace OpenDesk.Benchmarking;

/// <summary>Which <c>opendesk.dll</c> a benchmark runs, and how it was built (evals/Directory.Build.targets).</summary>
internal static class OpenDeskBuild
{
    /// <summary>
    /// The ReadyToRun publish that a Release build of the benchmark project made (what <c>dotnet pack</c> ships), or the
    /// plain build output when there is none.
    /// </summary>
    public static string DefaultDll(Assembly program)
    {
        string? Metadata(string key) =>
            program.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == key)?.Value;
        string? published = Metadata("OpenDeskPublishedDll");
        return published is not null && File.Exists(published) ? published : Metadata("OpenDeskDll") ?? "opendesk.dll";
    }

    /// <summary>"ReadyToRun, tiered compilation off", "JIT only, tiered compilation on", …</summary>
    public static string Describe(string dll)
    {
        bool readyToRun;
        using (var pe = new PEReader(File.OpenRead(dll)))
        {
            readyToRun = pe.PEHeaders.CorHeader?.ManagedNativeHeaderDirectory.Size > 0;
        }

        bool tiered = true;
        string config = Path.ChangeExtension(dll, ".runtimeconfig.json");
        if (File.Exists(config))
        {
            using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(config));
            if (doc.RootElement.TryGetProperty("runtimeOptions", out JsonElement options)
                && options.TryGetProperty("configProperties", out JsonElement properties)
                && properties.TryGetProperty("System.Runtime.TieredCompilation", out JsonElement value)
                && value.ValueKind == JsonValueKind.False)
            {
                tiered = false;
            }
        }

        return (readyToRun ? "ReadyToRun" : "JIT only") + ", tiered compilation " + (tiered ? "on" : "off");
    }
}
