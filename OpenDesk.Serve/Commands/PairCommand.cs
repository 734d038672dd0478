using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using OpenDesk.Remote.Server;
using OpenDesk.Serve.Logging;

namespace OpenDesk.Serve.Commands;

/// <summary>
/// <c>opendesk pair [--code NNNNNN] [--timeout 300] [--port 8423] [--host 0.0.0.0] [--no-mdns] [--log-file PATH]</c>: opens pairing mode
/// and shows a banner with the code and the exact <c>opendesk pair-with …</c> line for the controller. Ends when a
/// controller pairs (it is trusted as <c>peer-&lt;6 hex&gt;</c>; its session stays usable until it leaves), when the
/// time runs out, or after 3 wrong codes. The first stdout line is machine-readable:
/// <c>opendesk pair listening on ws://HOST:PORT fp=… code=NNNNNN</c>.
/// </summary>
internal static class PairCommand
{
    public static Command Create()
    {
        var shared = new ServerCommandOptions();
        var codeOption = new Option<string?>("--code") { Description = "The 6-digit code (default: a random one)." };
        codeOption.Validators.Add(r =>
        {
            string? v = r.GetValueOrDefault<string?>();
            if (v is not null && (v.Length != 6 || !v.All(char.IsAsciiDigit)))
            {
                r.AddError("--code must be 6 digits.");
            }
        });
        var timeoutOption = new Option<int>("--timeout")
        {
            Description = "Seconds pairing stays open (default 300).",
            DefaultValueFactory = _ => 300,
        };

        var command = new Command("pair", "Pair a controller with this machine: shows a code to type on the controller.");
        shared.AddTo(command);
        command.Options.Add(codeOption);
        command.Options.Add(timeoutOption);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            TextWriter output = parseResult.InvocationConfiguration.Output;
            TextWriter error = parseResult.InvocationConfiguration.Error;
            string code = parseResult.GetValue(codeOption) ?? OpenDeskServer.GeneratePairingCode();
            var timeout = TimeSpan.FromSeconds(Math.Max(1, parseResult.GetValue(timeoutOption)));
            var settings = new ServerStartSettings("pair", EnableAdmin: false, EnableAudit: true, ApprovalMode.AllowAll, RequireController: false);
            (ServerStartup? startup, int exitCode) = await ServerStartup.StartAsync(parseResult, shared, settings, cancellationToken);
            if (startup is null)
            {
                return exitCode;
            }

            await using (startup)
            {
                OpenDeskServer server = startup.Server;
                await output.WriteLineAsync($"opendesk pair listening on ws://{startup.Host}:{server.Port} fp={server.Fingerprint} code={code}");
                string portArgument = server.Port == 8423 ? "" : $" --port {server.Port}";
                await output.WriteAsync(Banner(server.Port, server.Fingerprint, code, $"opendesk pair-with {AdvertisedHost(startup.Host)} {code}{portArgument}", timeout));
                await output.FlushAsync(cancellationToken);
                startup.ReportAdvertisement();
                CliLog.PairingOpen(startup.Log, code, timeout.TotalSeconds);

                using var countdown = new CancellationTokenSource();
                Task ticker = CountdownAsync(error, timeout, countdown.Token);
                PairingResult result;
                try
                {
                    result = await server.PairAsync(code, timeout, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    result = new PairingResult(false, null, null, "pairing cancelled");
                }
                finally
                {
                    await countdown.CancelAsync();
                    await ticker;
                }

                if (!result.Paired)
                {
                    CliLog.PairingEnded(startup.Log, result.Message);
                    return 1;
                }

                await output.WriteLineAsync($"✓ Paired with {result.PeerName} ({result.PeerFingerprint}). Start `opendesk serve` to let it connect later.");
                await output.FlushAsync(cancellationToken);
                if (server.PairedSessionCompletion is { } session)
                {
                    // The paired session stays usable until the controller leaves (the pair-with CLI leaves at once).
                    await session.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }

                return 0;
            }
        });
        return command;
    }

    /// <summary>The address to show in <c>pair-with</c> advice: the listen address, or this machine's LAN address.</summary>
    internal static string AdvertisedHost(string host)
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

    internal static string Banner(int port, string fingerprint, string code, string pairWith, TimeSpan timeout)
    {
        string[] lines =
        [
            "OpenDesk pairing",
            "",
            $"port         {port}",
            $"fingerprint  {fingerprint}",
            $"code         {code}",
            "",
            "On the controller, run:",
            "  " + pairWith,
            "",
            string.Create(CultureInfo.InvariantCulture, $"Pairing closes in {timeout.TotalSeconds:0} s or after 3 wrong codes."),
        ];
        int width = lines.Max(l => l.Length) + 2;
        var text = new System.Text.StringBuilder();
        text.Append('╭').Append('─', width).Append("╮\n");
        foreach (string line in lines)
        {
            text.Append("│ ").Append(line.PadRight(width - 1)).Append("│\n");
        }

        text.Append('╰').Append('─', width).Append("╯\n");
        return text.ToString();
    }

    private static async Task CountdownAsync(TextWriter error, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (Console.IsErrorRedirected)
        {
            return;
        }

        DateTime end = DateTime.UtcNow + timeout;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                TimeSpan left = end - DateTime.UtcNow;
                await error.WriteAsync(string.Create(CultureInfo.InvariantCulture, $"\rwaiting for the controller… {Math.Max(0, (int)left.TotalSeconds),3} s left "));
                await Task.Delay(1000, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
        }

        await error.WriteLineAsync();
    }
}
