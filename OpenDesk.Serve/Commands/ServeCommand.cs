using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using OpenDesk.Core;
using OpenDesk.Local;
using OpenDesk.Remote.Server;
using OpenDesk.Remote.Trust;

namespace OpenDesk.Serve.Commands;

/// <summary>
/// <c>opendesk serve [--port 8423] [--host 0.0.0.0] [--no-mdns] [--approve auto|console] [--no-audit]
/// [--virtual-display] [--display :N]</c>: lets paired controllers drive this desktop. Prints one ready line on stdout
/// (<c>opendesk serve listening on ws://HOST:PORT fp=XXXX:XXXX:XXXX:XXXX</c>); refuses to start (exit 2) while no
/// controller is paired. For tests, <c>OPENDESK_TEST_COMPUTER=&lt;assembly path&gt;!&lt;type&gt;</c> replaces the local
/// computer with any <see cref="IComputer"/> that has a public parameterless constructor (e.g. FakeComputer).
/// </summary>
internal static class ServeCommand
{
    /// <summary>The hidden test switch (an environment variable, so it never shows in --help).</summary>
    public const string TestComputerVariable = "OPENDESK_TEST_COMPUTER";

    public static Command Create()
    {
        Option<string?> homeOption = HomeOption.Create();
        Option<int> portOption = ServeOptions.Port();
        Option<string> hostOption = ServeOptions.Host();
        Option<bool> noMdnsOption = ServeOptions.NoMdns();
        Option<bool> virtualDisplayOption = ServeOptions.VirtualDisplay();
        Option<string?> displayOption = ServeOptions.Display();
        var approveOption = new Option<string>("--approve")
        {
            Description = "Approval of controller calls: auto (allow all, default) or console (ask here before each action).",
            DefaultValueFactory = _ => "auto",
        };
        approveOption.AcceptOnlyFromAmong("auto", "console");
        var noAuditOption = new Option<bool>("--no-audit") { Description = "Do not write the audit log." };

        var command = new Command("serve", "Let paired controllers drive this desktop over the LAN (protocol v1).")
        {
            homeOption, portOption, hostOption, noMdnsOption, approveOption, noAuditOption, virtualDisplayOption, displayOption,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            TextWriter output = parseResult.InvocationConfiguration.Output;
            TextWriter error = parseResult.InvocationConfiguration.Error;
            var home = new OpenDeskHome(HomeOption.Resolve(parseResult.GetValue(homeOption)));
            home.EnsureExists();
            int controllers;
            try
            {
                controllers = ServeOptions.CountControllers(home);
            }
            catch (InvalidDataException e)
            {
                await error.WriteLineAsync($"opendesk serve: {e.Message}");
                return 1;
            }

            if (controllers == 0)
            {
                await error.WriteLineAsync(
                    "opendesk serve: no controller is paired with this machine yet, so nobody could connect.\n"
                    + "  Pair one first: run `opendesk pair` here, then `opendesk pair-with <this machine's IP> <CODE>` on the controller.");
                return 2;
            }

            await using ComputerLease lease = ServeOptions.CreateComputer(parseResult.GetValue(virtualDisplayOption), parseResult.GetValue(displayOption), error, out int failure);
            if (lease.Computer is null)
            {
                return failure;
            }

            var options = new OpenDeskServerOptions
            {
                Home = home,
                Host = parseResult.GetValue(hostOption)!,
                Port = parseResult.GetValue(portOption),
                AdvertiseMdns = !parseResult.GetValue(noMdnsOption),
                EnableAudit = !parseResult.GetValue(noAuditOption),
                Approval = parseResult.GetValue(approveOption) == "console" ? ApprovalMode.Console : ApprovalMode.AllowAll,
                Notice = message => error.WriteLine("opendesk serve: " + message),
            };
            await using var server = new OpenDeskServer(lease.Computer, options);
            try
            {
                await server.StartAsync(cancellationToken);
            }
            catch (IOException e)
            {
                await error.WriteLineAsync($"opendesk serve: {e.Message}");
                return 1;
            }

            await output.WriteLineAsync($"opendesk serve listening on ws://{options.Host}:{server.Port} fp={server.Fingerprint}");
            await output.FlushAsync(cancellationToken);
            if (server.AdvertisedName is { } name)
            {
                await error.WriteLineAsync($"opendesk serve: advertised on the LAN as {name} (mDNS)");
            }

            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
            }

            await error.WriteLineAsync("opendesk serve: stopping");
            return 0;
        });
        return command;
    }
}

/// <summary>Options and helpers shared by <c>serve</c> and <c>pair</c>.</summary>
internal static class ServeOptions
{
    public static Option<int> Port() => new("--port")
    {
        Description = "TCP port (default 8423; 0 picks a free port).",
        DefaultValueFactory = _ => 8423,
    };

    public static Option<string> Host() => new("--host")
    {
        Description = "Address to listen on (default 0.0.0.0, every IPv4 interface).",
        DefaultValueFactory = _ => "0.0.0.0",
    };

    public static Option<bool> NoMdns() => new("--no-mdns") { Description = "Do not advertise this server on the LAN (mDNS)." };

    public static Option<bool> VirtualDisplay() => new("--virtual-display")
    {
        Description = "Run on a private virtual display (Xvfb) instead of the current desktop.",
    };

    public static Option<string?> Display() => new("--display") { Description = "The X display to drive (default $DISPLAY)." };

    public static int CountControllers(OpenDeskHome home)
    {
        var directory = new OpenDesk.Remote.Client.PeerDirectory(home);
        return directory.GetAllPeers().Count(p => p.Role is "" or "controller");
    }

    /// <summary>The computer to serve: the test switch's type, else the local desktop.</summary>
    public static ComputerLease CreateComputer(bool virtualDisplay, string? display, TextWriter error, out int failure)
    {
        failure = 0;
        string? test = Environment.GetEnvironmentVariable(ServeCommand.TestComputerVariable);
        if (!string.IsNullOrWhiteSpace(test))
        {
            string[] parts = test.Split('!', 2);
            if (parts.Length != 2)
            {
                error.WriteLine($"opendesk: {ServeCommand.TestComputerVariable} must be <assembly path>!<type name>");
                failure = 64;
                return new ComputerLease(null);
            }

            Assembly assembly = Assembly.LoadFrom(Path.GetFullPath(parts[0]));
            Type type = assembly.GetType(parts[1], throwOnError: true)!;
            error.WriteLine($"opendesk: serving the test computer {type.FullName}");
            return new ComputerLease((IComputer)Activator.CreateInstance(type)!);
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
                error.WriteLine($"opendesk: started a private virtual display {vd.DisplayName}");
            }

            return new ComputerLease(local);
        }
        catch (Exception e) when (e is PlatformNotSupportedException or InvalidOperationException or IOException or OpenDeskException)
        {
            error.WriteLine($"opendesk: cannot open this desktop: {e.Message}");
            failure = 1;
            return new ComputerLease(null);
        }
    }

    /// <summary>The address to show in <c>pair-with</c> advice: the listen address, or this machine's LAN address.</summary>
    public static string AdvertisedHost(string host)
    {
        if (host is not ("0.0.0.0" or "::" or ""))
        {
            return host;
        }

        try
        {
            // No packet is sent: connecting a UDP socket only picks the outgoing interface.
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            socket.Connect(IPAddress.Parse("192.0.2.1"), 9);
            return ((IPEndPoint)socket.LocalEndPoint!).Address.ToString();
        }
        catch (SocketException)
        {
            return Dns.GetHostName();
        }
    }
}

/// <summary>Owns the served computer and disposes it.</summary>
internal sealed class ComputerLease(IComputer? computer) : IAsyncDisposable
{
    public IComputer? Computer { get; } = computer;

    public ValueTask DisposeAsync() => Computer?.DisposeAsync() ?? ValueTask.CompletedTask;
}
