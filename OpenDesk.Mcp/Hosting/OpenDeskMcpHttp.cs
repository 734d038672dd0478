using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace OpenDesk.Mcp;

/// <summary>
/// The catalog over MCP streamable HTTP on the loopback interface only (<c>http://127.0.0.1:PORT/mcp</c>). Requests whose
/// <c>Host</c> is not a loopback name, or whose <c>Origin</c> is present and not a loopback origin, get 403 (DNS-rebinding
/// protection). All HTTP sessions share the catalog's <see cref="McpSession"/> (one user, several clients).
/// </summary>
public sealed class OpenDeskMcpHttp : IAsyncDisposable
{
    private readonly WebApplication _app;

    private OpenDeskMcpHttp(WebApplication app, Uri endpoint)
    {
        _app = app;
        Endpoint = endpoint;
    }

    /// <summary>The MCP endpoint, e.g. <c>http://127.0.0.1:8424/mcp</c>.</summary>
    public Uri Endpoint { get; }

    /// <summary>Starts the server; returns once it listens.</summary>
    /// <param name="tools">The catalog.</param>
    /// <param name="port">The TCP port on 127.0.0.1; 0 picks a free one (see <see cref="Endpoint"/>).</param>
    /// <param name="configureLogging">Configures logging (send it to stderr), or null for none.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    public static async Task<OpenDeskMcpHttp> StartAsync(
        IEnumerable<AIFunction> tools,
        int port,
        Action<ILoggingBuilder>? configureLogging,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tools);
        ArgumentOutOfRangeException.ThrowIfNegative(port);
        IReadOnlyList<AIFunction> catalog = [.. tools];
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Configuration["AllowedHosts"] = "localhost;127.0.0.1;[::1]";
        builder.Logging.ClearProviders();
        configureLogging?.Invoke(builder.Logging);
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
        builder.Services
            .AddMcpServer(o =>
            {
                o.ServerInfo = OpenDeskMcp.ServerInfo;
                o.ServerInstructions = OpenDeskMcp.Instructions;
            })
            .WithHttpTransport()
            .WithOpenDeskTools(catalog);

        WebApplication app = builder.Build();
        app.Use(static async (context, next) =>
        {
            if (!IsAllowed(context.Request))
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                await context.Response.WriteAsync("Forbidden: only loopback Host and Origin are accepted.", context.RequestAborted).ConfigureAwait(false);
                return;
            }

            await next(context).ConfigureAwait(false);
        });
        app.MapMcp("/mcp");
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        int bound = new Uri(address).Port;
        return new OpenDeskMcpHttp(app, new Uri($"http://127.0.0.1:{bound}/mcp"));
    }

    /// <summary>Waits until the server stops (Ctrl+C or <paramref name="cancellationToken"/>).</summary>
    /// <param name="cancellationToken">Stops the server.</param>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken) => _app.WaitForShutdownAsync(cancellationToken);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>True when the Host header names the loopback interface and the Origin (if any) is a loopback origin.</summary>
    internal static bool IsAllowed(HttpRequest request)
    {
        if (!IsLoopbackName(request.Host.Host))
        {
            return false;
        }

        string? origin = request.Headers.Origin;
        if (string.IsNullOrEmpty(origin))
        {
            return true;
        }

        return Uri.TryCreate(origin, UriKind.Absolute, out Uri? uri) && IsLoopbackName(uri.Host);
    }

    private static bool IsLoopbackName(string? host)
        => host is not null && (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
            || host == "127.0.0.1" || host == "[::1]" || host == "::1");
}
