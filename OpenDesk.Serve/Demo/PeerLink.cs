using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace OpenDesk.Serve.Demo;

/// <summary>
/// A paired peer on loopback, made only with the <c>opendesk</c> CLI: <c>opendesk pair</c> in a temporary server home,
/// <c>opendesk pair-with</c> from a temporary controller home, then <c>opendesk serve</c> on the same port (when the
/// pairing process does not keep serving). Owns the server process and both homes.
/// </summary>
internal sealed class PeerLink : IAsyncDisposable
{
    private readonly List<ChildProcess> _processes = [];

    private PeerLink(string name, string serverHome, string controllerHome, int port)
    {
        PeerName = name;
        ServerHome = serverHome;
        ControllerHome = controllerHome;
        Port = port;
    }

    /// <summary>The name the controller gave the peer.</summary>
    public string PeerName { get; }

    /// <summary>The serving side's home.</summary>
    public string ServerHome { get; }

    /// <summary>The controller's home (trusts the peer): point <c>opendesk mcp</c> here.</summary>
    public string ControllerHome { get; }

    /// <summary>The loopback port the peer listens on.</summary>
    public int Port { get; }

    /// <summary>The ready line of the serving process.</summary>
    public string ReadyLine { get; private set; } = "";

    /// <summary>The serving process (for RSS).</summary>
    public ChildProcess? Server { get; private set; }

    /// <summary>PIDs of the processes it started that may still run.</summary>
    public IEnumerable<int> Pids => _processes.Where(p => !p.HasExited).Select(p => p.Pid);

    /// <summary>What each stage took, for progress lines.</summary>
    public List<(string Stage, TimeSpan Elapsed, string Detail)> Stages { get; } = [];

    /// <summary>Pairs a fresh server home with a fresh controller home and leaves a server running.</summary>
    /// <param name="exe">How to run opendesk.</param>
    /// <param name="serverEnvironment">Environment of the serving side (its DISPLAY is the peer's desktop).</param>
    /// <param name="controllerEnvironment">Environment of the controller's commands.</param>
    /// <param name="peerName">Name for the peer on the controller side.</param>
    /// <param name="root">Folder for the two homes.</param>
    /// <param name="cancellationToken">Cancels the set-up.</param>
    public static async Task<PeerLink> CreateAsync(
        OpenDeskExe exe, IReadOnlyDictionary<string, string?> serverEnvironment, IReadOnlyDictionary<string, string?> controllerEnvironment,
        string peerName, string root, CancellationToken cancellationToken)
    {
        string serverHome = Path.Combine(root, "server-home");
        string controllerHome = Path.Combine(root, "controller-home");
        var link = new PeerLink(peerName, serverHome, controllerHome, FreeLoopbackPort());
        try
        {
            await link.PairAndServeAsync(exe, serverEnvironment, controllerEnvironment, cancellationToken);
            return link;
        }
        catch
        {
            await link.DisposeAsync();
            throw;
        }
    }

    private async Task PairAndServeAsync(
        OpenDeskExe exe, IReadOnlyDictionary<string, string?> serverEnv, IReadOnlyDictionary<string, string?> controllerEnv, CancellationToken ct)
    {
        string port = Port.ToString(CultureInfo.InvariantCulture);
        string code = RandomNumberGenerator.GetInt32(100_000, 1_000_000).ToString(CultureInfo.InvariantCulture);
        var sw = Stopwatch.StartNew();

        ChildProcess pair = exe.Start("opendesk pair", WithHome(serverEnv, ServerHome),
            "pair", "--home", ServerHome, "--port", port, "--host", "127.0.0.1", "--code", code, "--no-mdns", "--timeout", "120");
        _processes.Add(pair);
        _ = await pair.WaitForLineAsync(l => l.Contains("pair-with", StringComparison.Ordinal), TimeSpan.FromSeconds(60), ct);
        Stages.Add(("pair", sw.Elapsed, $"pairing mode on 127.0.0.1:{port} (pid {pair.Pid})"));

        sw.Restart();
        (int exit, string stdout, string stderr) = await ChildProcess.RunAsync(
            exe.File, exe.Args("pair-with", "127.0.0.1", code, "--port", port, "--name", PeerName, "--home", ControllerHome),
            WithHome(controllerEnv, ControllerHome), TimeSpan.FromSeconds(60), cancellationToken: ct);
        if (exit != 0)
        {
            throw new InvalidOperationException($"opendesk pair-with exited {exit}: {stdout.Trim()} {stderr.Trim()}\npair output:\n{pair.Tail()}");
        }

        Stages.Add(("pair-with", sw.Elapsed, FirstNonEmpty(stdout, stderr)));

        // `opendesk pair` either keeps serving after a successful pairing or ends; in the second case serve on the same port
        // (the controller cached this endpoint when it paired).
        sw.Restart();
        bool pairEnded;
        try
        {
            _ = await pair.WaitForExitAsync(TimeSpan.FromSeconds(30), ct);
            pairEnded = true;
        }
        catch (TimeoutException)
        {
            pairEnded = false;
        }

        if (!pairEnded)
        {
            Server = pair;
            ReadyLine = "(the pairing process keeps serving)";
            Stages.Add(("serve", sw.Elapsed, $"pairing process serves on 127.0.0.1:{port} (pid {pair.Pid})"));
            return;
        }

        ChildProcess serve = exe.Start("opendesk serve", WithHome(serverEnv, ServerHome),
            "serve", "--home", ServerHome, "--port", port, "--host", "127.0.0.1", "--no-mdns");
        _processes.Add(serve);
        ReadyLine = await serve.WaitForLineAsync(
            l => l.Contains("127.0.0.1:" + port, StringComparison.Ordinal) || l.Contains("listening", StringComparison.OrdinalIgnoreCase),
            TimeSpan.FromSeconds(60), ct);
        Server = serve;
        Stages.Add(("serve", sw.Elapsed, $"{ReadyLine.Trim()} (pid {serve.Pid})"));
    }

    private static string FirstNonEmpty(params string[] texts)
        => texts.SelectMany(t => t.Split('\n')).Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0) ?? "";

    /// <summary>A copy of <paramref name="environment"/> with <c>OPENDESK_HOME</c> set.</summary>
    public static Dictionary<string, string?> WithHome(IReadOnlyDictionary<string, string?> environment, string home)
        => new(environment, StringComparer.Ordinal) { ["OPENDESK_HOME"] = home };

    /// <summary>A TCP port that was free on 127.0.0.1 a moment ago.</summary>
    public static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>Stops the processes it started, by PID.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (ChildProcess p in Enumerable.Reverse(_processes))
        {
            await p.DisposeAsync();
        }

        _processes.Clear();
    }
}
