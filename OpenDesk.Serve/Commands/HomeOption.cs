using System.CommandLine;

namespace OpenDesk.Serve.Commands;

/// <summary>The shared <c>--home</c> option: the OpenDesk home directory (default <c>$OPENDESK_HOME</c> or <c>~/.opendesk</c>).</summary>
internal static class HomeOption
{
    public static Option<string?> Create() => new("--home")
    {
        Description = "OpenDesk home directory (default: $OPENDESK_HOME or ~/.opendesk).",
    };

    /// <summary>Resolves the home directory from the option value, the environment and the user profile.</summary>
    public static string Resolve(string? value)
    {
        if (!string.IsNullOrWhiteSpace(value))
        {
            return Path.GetFullPath(value);
        }

        string? fromEnvironment = Environment.GetEnvironmentVariable("OPENDESK_HOME");
        return !string.IsNullOrWhiteSpace(fromEnvironment)
            ? Path.GetFullPath(fromEnvironment)
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".opendesk");
    }
}
