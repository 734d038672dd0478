using System.Net;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenDesk.Remote.Protocol;

namespace OpenDesk.Remote.Tests.Protocol;

/// <summary>The fixed keys of protocol-v1 §14 and shared helpers.</summary>
internal static class ProtocolTestKit
{
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    public static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal).Replace("\n", "", StringComparison.Ordinal));

    public static string ToHex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);

    public static byte[] Repeat(byte b) => Enumerable.Repeat(b, 32).ToArray();

    public static Identity ServerStatic() => Identity.FromPrivateKey(Repeat(0x11));

    public static Identity ClientStatic() => Identity.FromPrivateKey(Repeat(0x22));

    /// <summary>e_s = 33×32.</summary>
    public static HandshakeOptions ServerEphemeral() => new() { EphemeralKeys = new FixedEphemeralKeySource(0x33) };

    /// <summary>e_c = 44×32.</summary>
    public static HandshakeOptions ClientEphemeral() => new() { EphemeralKeys = new FixedEphemeralKeySource(0x44) };

    public static HandshakeOptions WithTimeout(TimeSpan timeout) => new() { Timeout = timeout };

    public static CancellationToken Token => TestContext.Current.CancellationToken;
}

/// <summary>Always hands out the key made of 32 copies of one byte.</summary>
internal sealed class FixedEphemeralKeySource(byte fill) : IEphemeralKeySource
{
    public byte[] Create() => ProtocolTestKit.Repeat(fill);
}

/// <summary>Relays messages between two transport pairs, letting a test inspect or rewrite them.</summary>
internal sealed class Relay : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _forward;
    private readonly Task _backward;

    /// <param name="clientSide">The end the client talks to.</param>
    /// <param name="serverSide">The end the server talks to.</param>
    /// <param name="clientToServer">Rewrites a client→server message (return null to drop it); index counts from 0.</param>
    /// <param name="serverToClient">Rewrites a server→client message.</param>
    public Relay(IMessageTransport clientSide, IMessageTransport serverSide,
        Func<int, byte[], byte[]?>? clientToServer = null, Func<int, byte[], byte[]?>? serverToClient = null)
    {
        _forward = PumpAsync(clientSide, serverSide, clientToServer ?? ((_, m) => m), ClientToServer);
        _backward = PumpAsync(serverSide, clientSide, serverToClient ?? ((_, m) => m), ServerToClient);
    }

    public List<byte[]> ClientToServer { get; } = [];

    public List<byte[]> ServerToClient { get; } = [];

    /// <summary>A client whose transport goes through a relay to a server transport.</summary>
    public static (IMessageTransport Client, IMessageTransport Server, Relay Relay) Create(
        Func<int, byte[], byte[]?>? clientToServer = null, Func<int, byte[], byte[]?>? serverToClient = null)
    {
        var (client, clientSide) = InMemoryTransport.CreatePair();
        var (serverSide, server) = InMemoryTransport.CreatePair();
        return (client, server, new Relay(clientSide, serverSide, clientToServer, serverToClient));
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_forward, _backward).WaitAsync(ProtocolTestKit.Wait);
        _stop.Dispose();
    }

    private async Task PumpAsync(IMessageTransport from, IMessageTransport to, Func<int, byte[], byte[]?> rewrite, List<byte[]> log)
    {
        int index = 0;
        try
        {
            while (await from.ReceiveAsync(_stop.Token) is { } message)
            {
                lock (log)
                {
                    log.Add(message);
                }

                byte[]? rewritten = rewrite(index++, message);
                if (rewritten is not null)
                {
                    await to.SendAsync(rewritten, _stop.Token);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or OpenDesk.Core.ProtocolException)
        {
        }
        finally
        {
            await to.CloseAsync(CancellationToken.None);
            await from.CloseAsync(CancellationToken.None);
        }
    }
}

/// <summary>A real Kestrel server on 127.0.0.1:0 that hands each WebSocket to a callback.</summary>
internal sealed class LoopbackWebSocketServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private LoopbackWebSocketServer(WebApplication app, Uri uri)
    {
        _app = app;
        Uri = uri;
    }

    public Uri Uri { get; }

    public static async Task<LoopbackWebSocketServer> StartAsync(Func<WebSocketTransport, Task> onConnection, int maxMessageSize = TransportDefaults.MaxMessageSize)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        WebApplication app = builder.Build();
        app.UseWebSockets();
        app.Run(async context =>
        {
            if (!context.WebSockets.IsWebSocketRequest)
            {
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
                return;
            }

            WebSocket socket = await context.WebSockets.AcceptWebSocketAsync();
            await using var transport = new WebSocketTransport(socket, maxMessageSize);
            await onConnection(transport);
        });
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var http = new Uri(address);
        return new LoopbackWebSocketServer(app, new Uri($"ws://127.0.0.1:{http.Port}"));
    }

    public async ValueTask DisposeAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(cts.Token);
        await _app.DisposeAsync();
    }
}
