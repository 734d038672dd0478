using System.CommandLine;
using System.Reflection;
using Microsoft.Extensions.Logging;
using OpenDesk.Core;
using OpenDesk.Local;
using OpenDesk.Remote.Server;
using OpenDesk.Remote.Trust;
using OpenDesk.Serve.Logging;

namespace OpenDesk.Serve.Commands;

/// <summary>The options <c>serve</c> and <c>pair</c> share, created once per command.</summary>
internal sealed class ServerCommandOptions
{
    public Option<string?> Home { get; } = HomeOption.Create();

    public Option<int> Port { get; } = new("--port")
    {
        Description = "TCP port (default 8423; 0 picks a free port).",
        DefaultValueFactory = _ => 8423,
    };

    public Option<string> Host { get; } = new("--host")
    {
        Description = "Address to listen on (default 0.0.0.0, every IPv4 interface).",
        DefaultValueFactory = _ => "0.0.0.0",
    };

    public Option<bool> NoMdns { get; } = new("--no-mdns") { Description = "Do not advertise this server on the LAN (mDNS)." };

    public Option<bool> VirtualDisplay { get; } = new("--virtual-display")
    {
        Description = "Run on a private virtual display (Xvfb) instead of the current desktop.",
    };

    public Option<string?> Display { get; } = new("--display") { Description = "The X display to drive (default $DISPLAY)." };

    public Option<string?> LogFile { get; } = new("--log-file")
    {
        Description = "Also append the log (sessions opened, closed, rejected; problems) to this file (created 0600).",
    };

    /// <summary>Adds every shared option to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        foreach (Option option in (Option[])[Home, Port, Host, NoMdns, VirtualDisplay, Display, LogFile])
        {
            command.Options.Add(option);
        }
    }
}

/// <summary>What differs between <c>serve</c> and <c>pair</c> when the server starts.</summary>
/// <param name="Command">The command name (<c>serve</c> or <c>pair</c>): the log category and stderr prefix.</param>
/// <param name="EnableAdmin">Answer the admin socket.</param>
/// <param name="EnableAudit">Write the audit log.</param>
/// <param name="Approval">The call policy.</param>
/// <param name="RequireController">Refuse to start (exit 2) while no controller is paired.</param>
internal sealed record ServerStartSettings(string Command, bool EnableAdmin, bool EnableAudit, ApprovalMode Approval, bool RequireController);

/// <summary>
/// The start-up shared by <c>opendesk serve</c> and <c>opendesk pair</c>: the log (stderr, and <c>--log-file</c>), the
/// home, the served computer, and the listening <see cref="OpenDeskServer"/>. Disposing stops the server, then releases
/// the computer and the log.
/// </summary>
internal sealed class ServerStartup : IAsyncDisposable
{
    /// <summary>The hidden test switch (an environment variable, so it never shows in --help).</summary>
    public const string TestComputerVariable = "OPENDESK_TEST_COMPUTER";

    private readonly ILoggerFactory _loggers;
    private IComputer? _computer;
    private OpenDeskServer? _server;

    private ServerStartup(ILoggerFactory loggers, ILogger log, string host)
    {
        _loggers = loggers;
        Log = log;
        Host = host;
    }

    /// <summary>The command's logger (category <c>opendesk.serve</c> / <c>opendesk.pair</c>).</summary>
    public ILogger Log { get; }

    /// <summary>The listen address given on the command line.</summary>
    public string Host { get; }

    /// <summary>The running server.</summary>
    public OpenDeskServer Server => _server ?? throw new InvalidOperationException("the server has not started");

    /// <summary>Starts everything; on failure the reason is logged and the exit code returned (with no startup).</summary>
    public static async Task<(ServerStartup? Startup, int ExitCode)> StartAsync(ParseResult parseResult, ServerCommandOptions o, ServerStartSettings settings, CancellationToken cancellationToken)
    {
        TextWriter error = parseResult.InvocationConfiguration.Error;
        string category = "opendesk." + settings.Command;
        var providers = new List<ILoggerProvider> { new TerminalLoggerProvider(error, "opendesk " + settings.Command, category) };
        if (parseResult.GetValue(o.LogFile) is { Length: > 0 } logFile)
        {
            try
            {
                providers.Add(FileLoggerProvider.Open(logFile));
            }
            catch (IOException e)
            {
                await error.WriteLineAsync($"opendesk {settings.Command}: {e.Message}");
                return (null, 1);
            }
        }

        var loggers = new LoggerFactory(providers);
        var startup = new ServerStartup(loggers, loggers.CreateLogger(category), parseResult.GetValue(o.Host)!);
        int exitCode = 1;
        try
        {
            exitCode = await startup.StartCoreAsync(parseResult, o, settings, cancellationToken);
            return exitCode == 0 ? (startup, 0) : (null, exitCode);
        }
        finally
        {
            if (exitCode != 0)
            {
                await startup.DisposeAsync();
            }
        }
    }

    private async Task<int> StartCoreAsync(ParseResult parseResult, ServerCommandOptions o, ServerStartSettings settings, CancellationToken cancellationToken)
    {
        var home = new OpenDeskHome(HomeOption.Resolve(parseResult.GetValue(o.Home)));
        home.EnsureExists();
        if (settings.RequireController)
        {
            int controllers;
            try
            {
                controllers = CountControllers(home);
            }
            catch (InvalidDataException e)
            {
                CliLog.CannotStart(Log, e.Message);
                return 1;
            }

            if (controllers == 0)
            {
                CliLog.NoController(Log);
                return 2;
            }
        }

        (_computer, int failure) = CreateComputer(parseResult.GetValue(o.VirtualDisplay), parseResult.GetValue(o.Display));
        if (_computer is null)
        {
            return failure;
        }

        var options = new OpenDeskServerOptions
        {
            Home = home,
            Host = Host,
            Port = parseResult.GetValue(o.Port),
            AdvertiseMdns = !parseResult.GetValue(o.NoMdns),
            EnableAdmin = settings.EnableAdmin,
            EnableAudit = settings.EnableAudit,
            Approval = settings.Approval,
            Logger = _loggers.CreateLogger(OpenDeskServer.LogCategory),
        };
        var server = new OpenDeskServer(_computer, options);
        try
        {
            await server.StartAsync(cancellationToken);
        }
        catch (IOException e)
        {
            await server.DisposeAsync();
            CliLog.CannotStart(Log, e.Message);
            return 1;
        }

        _server = server;
        CliLog.Listening(Log, Host, server.Port, server.Fingerprint);
        return 0;
    }

    /// <summary>Logs the mDNS name when the server advertises itself.</summary>
    public void ReportAdvertisement()
    {
        if (Server.AdvertisedName is { } name)
        {
            CliLog.Advertised(Log, name);
        }
    }

    public static int CountControllers(OpenDeskHome home)
    {
        var directory = new OpenDesk.Remote.Client.PeerDirectory(home);
        return directory.GetAllPeers().Count(p => p.Role is "" or "controller");
    }

    /// <summary>The computer to serve: the test switch's type, else the local desktop; null and an exit code on failure.</summary>
    private (IComputer? Computer, int Failure) CreateComputer(bool virtualDisplay, string? display)
    {
        string? test = Environment.GetEnvironmentVariable(TestComputerVariable);
        if (!string.IsNullOrWhiteSpace(test))
        {
            string[] parts = test.Split('!', 2);
            if (parts.Length != 2)
            {
                CliLog.BadTestComputer(Log, TestComputerVariable);
                return (null, 64);
            }

            Assembly assembly = Assembly.LoadFrom(Path.GetFullPath(parts[0]));
            Type type = assembly.GetType(parts[1], throwOnError: true)!;
            CliLog.TestComputer(Log, type.FullName!);
            return ((IComputer)Activator.CreateInstance(type)!, 0);
        }

        try
        {
            LocalComputer local = LocalComputer.Create(new LocalComputerOptions
            {
                DisplayName = display,
                UseVirtualDisplay = virtualDisplay ? true : null,

                // Protocol v1 has no OCR method: controllers recognise text on their side from captured frames. Not
                // loading Tesseract and its language data saves ~20 MB of serve RSS.
                EnableOcr = false,
            });
            if (OperatingSystem.IsLinux() && local.OwnedVirtualDisplay is { } vd)
            {
                CliLog.VirtualDisplayStarted(Log, vd.DisplayName);
            }

            return (local, 0);
        }
        catch (Exception e) when (e is PlatformNotSupportedException or InvalidOperationException or IOException or OpenDeskException)
        {
            CliLog.CannotOpenDesktop(Log, e.Message);
            return (null, 1);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        if (_computer is not null)
        {
            await _computer.DisposeAsync();
        }

        _loggers.Dispose();
    }
}
