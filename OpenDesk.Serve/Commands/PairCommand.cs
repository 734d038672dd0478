using System.CommandLine;
using System.Globalization;
using OpenDesk.Remote.Server;
using OpenDesk.Remote.Trust;

namespace OpenDesk.Serve.Commands;

/// <summary>
/// <c>opendesk pair [--code NNNNNN] [--timeout 300] [--port 8423] [--host 0.0.0.0] [--no-mdns]</c>: opens pairing mode
/// and shows a banner with the code and the exact <c>opendesk pair-with …</c> line for the controller. Ends when a
/// controller pairs (it is trusted as <c>peer-&lt;6 hex&gt;</c>; its session stays usable until it leaves), when the
/// time runs out, or after 3 wrong codes. The first stdout line is machine-readable:
/// <c>opendesk pair listening on ws://HOST:PORT fp=… code=NNNNNN</c>.
/// </summary>
internal static class PairCommand
{
    public static Command Create()
    {
        Option<string?> homeOption = HomeOption.Create();
        Option<int> portOption = ServeOptions.Port();
        Option<string> hostOption = ServeOptions.Host();
        Option<bool> noMdnsOption = ServeOptions.NoMdns();
        Option<bool> virtualDisplayOption = ServeOptions.VirtualDisplay();
        Option<string?> displayOption = ServeOptions.Display();
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

        var command = new Command("pair", "Pair a controller with this machine: shows a code to type on the controller.")
        {
            homeOption, codeOption, timeoutOption, portOption, hostOption, noMdnsOption, virtualDisplayOption, displayOption,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            TextWriter output = parseResult.InvocationConfiguration.Output;
            TextWriter error = parseResult.InvocationConfiguration.Error;
            var home = new OpenDeskHome(HomeOption.Resolve(parseResult.GetValue(homeOption)));
            string code = parseResult.GetValue(codeOption) ?? OpenDeskServer.GeneratePairingCode();
            var timeout = TimeSpan.FromSeconds(Math.Max(1, parseResult.GetValue(timeoutOption)));
            string host = parseResult.GetValue(hostOption)!;

            await using ComputerLease lease = ServeOptions.CreateComputer(parseResult.GetValue(virtualDisplayOption), parseResult.GetValue(displayOption), error, out int failure);
            if (lease.Computer is null)
            {
                return failure;
            }

            var options = new OpenDeskServerOptions
            {
                Home = home,
                Host = host,
                Port = parseResult.GetValue(portOption),
                AdvertiseMdns = !parseResult.GetValue(noMdnsOption),
                EnableAdmin = false,
                Notice = message => error.WriteLine("opendesk pair: " + message),
            };
            await using var server = new OpenDeskServer(lease.Computer, options);
            try
            {
                await server.StartAsync(cancellationToken);
            }
            catch (IOException e)
            {
                await error.WriteLineAsync($"opendesk pair: {e.Message}");
                return 1;
            }

            await output.WriteLineAsync($"opendesk pair listening on ws://{host}:{server.Port} fp={server.Fingerprint} code={code}");
            string portArgument = server.Port == 8423 ? "" : $" --port {server.Port}";
            await output.WriteAsync(Banner(server.Port, server.Fingerprint, code, $"opendesk pair-with {ServeOptions.AdvertisedHost(host)} {code}{portArgument}", timeout));
            await output.FlushAsync(cancellationToken);
            if (server.AdvertisedName is { } name)
            {
                await error.WriteLineAsync($"opendesk pair: advertised on the LAN as {name} (mDNS)");
            }

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
                await error.WriteLineAsync($"opendesk pair: {result.Message}");
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
        });
        return command;
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
