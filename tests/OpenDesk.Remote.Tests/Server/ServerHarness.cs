using OpenDesk.Core;
using OpenDesk.Remote.Client;
using OpenDesk.Remote.Protocol;
using OpenDesk.Remote.Server;
using OpenDesk.Remote.Tests.Trust;
using OpenDesk.Remote.Trust;
using OpenDesk.Testing;

namespace OpenDesk.Remote.Tests.Server;

/// <summary>An in-process <see cref="OpenDeskServer"/> on 127.0.0.1 (free port, no mDNS) over a <see cref="FakeComputer"/>, with temporary homes.</summary>
internal sealed class ServerHarness : IAsyncDisposable
{
    private readonly TempHome _home;
    private readonly List<TempHome> _clientHomes = [];

    private ServerHarness(TempHome home, FakeComputer computer, OpenDeskServer server)
    {
        _home = home;
        Computer = computer;
        Server = server;
    }

    public FakeComputer Computer { get; }

    public OpenDeskServer Server { get; }

    public string Url => $"ws://127.0.0.1:{Server.Port}#{Convert.ToHexStringLower(Server.PublicKey)}";

    public static async Task<ServerHarness> StartAsync(Func<OpenDeskServerOptions, OpenDeskServerOptions>? configure = null, FakeComputer? computer = null)
    {
        var home = new TempHome();
        computer ??= new FakeComputer();
        var options = new OpenDeskServerOptions { Home = home.Home, Host = "127.0.0.1", Port = 0, AdvertiseMdns = false };
        options = configure?.Invoke(options) ?? options;
        var server = new OpenDeskServer(computer, options);
        await server.StartAsync();
        return new ServerHarness(home, computer, server);
    }

    public OpenDeskHome Home => _home.Home;

    /// <summary>A new controller home that both sides already trust (written directly into both trust files).</summary>
    public OpenDeskClientOptions NewTrustedController(string serverName = "desk", TimeSpan? reconnectBudget = null)
    {
        var client = new TempHome();
        _clientHomes.Add(client);
        byte[] clientPrivate = client.Home.LoadOrCreateIdentityKey();
        using var identity = Identity.FromPrivateKey(clientPrivate);
        new TrustStore(Home).Add(identity.PublicKey, PeerFingerprint.DefaultName(identity.PublicKey), TrustStore.ControllerRole);
        new TrustStore(client.Home).Add(Server.PublicKey, serverName, TrustStore.RemoteRole, "127.0.0.1", Server.Port);
        return Options(client.Home, reconnectBudget);
    }

    /// <summary>A new controller home that nobody trusts yet.</summary>
    public OpenDeskClientOptions NewController()
    {
        var client = new TempHome();
        _clientHomes.Add(client);
        return Options(client.Home, null);
    }

    private static OpenDeskClientOptions Options(OpenDeskHome home, TimeSpan? budget) => new()
    {
        Home = home,
        UseMdns = false,
        ConnectTimeout = TimeSpan.FromSeconds(10),
        ReconnectBudget = budget ?? TimeSpan.FromSeconds(30),
    };

    public string[] AuditLines()
    {
        if (!Directory.Exists(Home.AuditDirectory))
        {
            return [];
        }

        return [.. Directory.GetFiles(Home.AuditDirectory).OrderBy(f => f, StringComparer.Ordinal).SelectMany(f =>
        {
            using var stream = new FileStream(f, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        })];
    }

    /// <summary>Waits until <paramref name="condition"/> holds (polling a cheap in-memory condition; 10 s cap).</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!condition())
        {
            try
            {
                await Task.Delay(10, timeout.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException("timed out waiting for " + what);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        await Computer.DisposeAsync();
        _home.Dispose();
        foreach (TempHome h in _clientHomes)
        {
            h.Dispose();
        }
    }
}
