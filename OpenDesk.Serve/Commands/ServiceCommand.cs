using System.CommandLine;
using System.Diagnostics;
using System.Security;
using System.Text;

namespace OpenDesk.Serve.Commands;

/// <summary>
/// <c>opendesk install-service [--port 8423] [--no-start]</c> and <c>opendesk uninstall-service</c>: run
/// <c>opendesk serve</c> at login as the current user: a systemd user unit on Linux, a launchd agent on macOS, a Task
/// Scheduler task on Windows. The rendering is pure (unit-tested); installing runs the service manager.
/// </summary>
internal static class ServiceCommand
{
    public const string SystemdUnitName = "opendesk.service";
    public const string LaunchdLabel = "com.opendesk.serve";
    public const string TaskName = "opendesk";

    public static Command CreateInstall()
    {
        Option<string?> homeOption = HomeOption.Create();
        var portOption = new Option<int>("--port") { Description = "Port for the service (default 8423).", DefaultValueFactory = _ => 8423 };
        var noStartOption = new Option<bool>("--no-start") { Description = "Install only; do not start it now." };
        var command = new Command("install-service", "Start `opendesk serve` at login (systemd user unit, launchd agent or scheduled task).") { homeOption, portOption, noStartOption };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            TextWriter output = parseResult.InvocationConfiguration.Output;
            string? home = parseResult.GetValue(homeOption) is { } h ? HomeOption.Resolve(h) : null;
            var spec = new ServiceSpec(CurrentCommand(), parseResult.GetValue(portOption), home, HomeOption.Resolve(home));
            bool start = !parseResult.GetValue(noStartOption);
            if (OperatingSystem.IsLinux())
            {
                string path = SystemdUnitPath();
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                await File.WriteAllTextAsync(path, RenderSystemdUnit(spec), cancellationToken);
                await output.WriteLineAsync($"wrote {path}");
                if (start)
                {
                    await RunAsync(output, "systemctl", ["--user", "daemon-reload"], cancellationToken);
                    await RunAsync(output, "systemctl", ["--user", "enable", "--now", SystemdUnitName], cancellationToken);
                }
            }
            else if (OperatingSystem.IsMacOS())
            {
                string path = LaunchdPlistPath();
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                await File.WriteAllTextAsync(path, RenderLaunchdPlist(spec), cancellationToken);
                await output.WriteLineAsync($"wrote {path}");
                if (start)
                {
                    await RunAsync(output, "launchctl", ["unload", path], cancellationToken);
                    await RunAsync(output, "launchctl", ["load", "-w", path], cancellationToken);
                }
            }
            else if (OperatingSystem.IsWindows())
            {
                await RunAsync(output, "schtasks", RenderSchtasksCreate(spec), cancellationToken);
                if (start)
                {
                    await RunAsync(output, "schtasks", ["/run", "/tn", TaskName], cancellationToken);
                }
            }
            else
            {
                await parseResult.InvocationConfiguration.Error.WriteLineAsync("opendesk install-service: this OS is not supported");
                return 1;
            }

            return 0;
        });
        return command;
    }

    public static Command CreateUninstall()
    {
        var command = new Command("uninstall-service", "Remove the login service installed by `opendesk install-service`.");
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            TextWriter output = parseResult.InvocationConfiguration.Output;
            if (OperatingSystem.IsLinux())
            {
                await RunAsync(output, "systemctl", ["--user", "disable", "--now", SystemdUnitName], cancellationToken);
                File.Delete(SystemdUnitPath());
                await RunAsync(output, "systemctl", ["--user", "daemon-reload"], cancellationToken);
            }
            else if (OperatingSystem.IsMacOS())
            {
                await RunAsync(output, "launchctl", ["unload", LaunchdPlistPath()], cancellationToken);
                File.Delete(LaunchdPlistPath());
            }
            else if (OperatingSystem.IsWindows())
            {
                await RunAsync(output, "schtasks", ["/delete", "/tn", TaskName, "/f"], cancellationToken);
            }

            await output.WriteLineAsync("service removed");
            return 0;
        });
        return command;
    }

    /// <summary>What to run: the program (and its arguments before <c>serve</c>), the port and an explicit home.</summary>
    internal sealed record ServiceSpec(IReadOnlyList<string> Program, int Port, string? Home, string ResolvedHome)
    {
        public IReadOnlyList<string> Arguments => [.. Program, "serve", "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), .. Home is null ? Array.Empty<string>() : ["--home", Home]];
    }

    /// <summary>The command that runs this opendesk: the apphost, or <c>dotnet opendesk.dll</c>.</summary>
    internal static IReadOnlyList<string> CurrentCommand()
    {
        string process = Environment.ProcessPath ?? "opendesk";
        return Path.GetFileNameWithoutExtension(process) == "dotnet"
            ? [process, typeof(ServiceCommand).Assembly.Location]
            : [process];
    }

    internal static string SystemdUnitPath()
    {
        string config = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME") is { Length: > 0 } x ? x
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config");
        return Path.Combine(config, "systemd", "user", SystemdUnitName);
    }

    internal static string LaunchdPlistPath()
        => Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), "Library", "LaunchAgents", LaunchdLabel + ".plist");

    internal static string RenderSystemdUnit(ServiceSpec spec) => $"""
        [Unit]
        Description=OpenDesk server (opendesk serve)
        After=network-online.target
        Wants=network-online.target

        [Service]
        Type=simple
        ExecStart={string.Join(' ', spec.Arguments.Select(SystemdQuote))}
        Restart=on-failure
        RestartSec=5

        [Install]
        WantedBy=default.target

        """;

    internal static string RenderLaunchdPlist(ServiceSpec spec)
    {
        var args = new StringBuilder();
        foreach (string a in spec.Arguments)
        {
            args.Append("    <string>").Append(SecurityElement.Escape(a)).Append("</string>\n");
        }

        return $"""
            <?xml version="1.0" encoding="UTF-8"?>
            <!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
            <plist version="1.0">
            <dict>
              <key>Label</key>
              <string>{LaunchdLabel}</string>
              <key>ProgramArguments</key>
              <array>
            {args.ToString().TrimEnd('\n')}
              </array>
              <key>RunAtLoad</key>
              <true/>
              <key>KeepAlive</key>
              <true/>
              <key>StandardOutPath</key>
              <string>{SecurityElement.Escape(Path.Combine(spec.ResolvedHome, "serve.log"))}</string>
              <key>StandardErrorPath</key>
              <string>{SecurityElement.Escape(Path.Combine(spec.ResolvedHome, "serve.err"))}</string>
            </dict>
            </plist>

            """;
    }

    internal static IReadOnlyList<string> RenderSchtasksCreate(ServiceSpec spec)
        => ["/create", "/tn", TaskName, "/tr", string.Join(' ', spec.Arguments.Select(WindowsQuote)), "/sc", "onlogon", "/rl", "limited", "/f"];

    private static string SystemdQuote(string value)
        => value.Length > 0 && value.All(c => char.IsAsciiLetterOrDigit(c) || "/._-:=+,@".Contains(c, StringComparison.Ordinal))
            ? value
            : "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("%", "%%", StringComparison.Ordinal) + "\"";

    private static string WindowsQuote(string value) => value.Contains(' ', StringComparison.Ordinal) || value.Contains('"', StringComparison.Ordinal)
        ? "\"" + value.Replace("\"", "\\\"", StringComparison.Ordinal) + "\""
        : value;

    private static async Task RunAsync(TextWriter output, string program, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string a in arguments)
        {
            info.ArgumentList.Add(a);
        }

        try
        {
            using Process process = Process.Start(info)!;
            await process.WaitForExitAsync(cancellationToken);
            string err = await process.StandardError.ReadToEndAsync(cancellationToken);
            await output.WriteLineAsync($"{program} {string.Join(' ', arguments)}: exit {process.ExitCode}{(err.Length > 0 ? " " + err.Trim() : "")}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            await output.WriteLineAsync($"{program}: not available ({e.Message})");
        }
    }
}
