using System.Reflection;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;
using OpenDesk.Core;

namespace OpenDesk.Mcp;

/// <summary>MCP wiring of the catalog: tool conversion with error mapping, server info, and the stdio server.</summary>
public static class OpenDeskMcp
{
    /// <summary>The server name reported in <c>initialize</c>.</summary>
    public const string ServerName = "opendesk";

    /// <summary>The server identity reported in <c>initialize</c> (name <c>opendesk</c>, the OpenDesk version).</summary>
    public static Implementation ServerInfo { get; } = new()
    {
        Name = ServerName,
        Title = "OpenDesk",
        Version = typeof(OpenDeskMcp).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0",
    };

    /// <summary>Instructions sent to clients in <c>initialize</c>.</summary>
    public const string Instructions =
        "OpenDesk drives this computer and paired peers. Take a screenshot first: mouse and ui coordinates are pixels of the "
        + "last full screenshot of that computer. Every computer tool takes an optional `peer`; opendesk_peers lists them.";

    /// <summary>
    /// Wraps a catalog tool as an MCP tool: the schema is kept exactly, images become image blocks, an
    /// <see cref="OpenDeskException"/> becomes a <see cref="CallToolResult"/> with <c>isError</c> and its message,
    /// any other exception an <c>isError</c> result with a generic message (details only in the log).
    /// </summary>
    /// <param name="function">A catalog tool.</param>
    /// <param name="logger">Where unexpected failures are logged, or null.</param>
    public static McpServerTool ToMcpTool(AIFunction function, ILogger? logger = null)
        => McpServerTool.Create(new ErrorMappingFunction(function, logger ?? NullLogger.Instance));

    /// <summary>Adds the catalog tools (with <see cref="ToMcpTool"/>) to an MCP server builder.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="tools">The catalog, from <see cref="OpenDeskTools.Create"/>.</param>
    /// <param name="logger">Where unexpected failures are logged, or null.</param>
    public static IMcpServerBuilder WithOpenDeskTools(this IMcpServerBuilder builder, IEnumerable<AIFunction> tools, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(tools);
        return builder.WithTools([.. tools.Select(t => ToMcpTool(t, logger))]);
    }

    /// <summary>Server options carrying <see cref="ServerInfo"/>, <see cref="Instructions"/> and the catalog.</summary>
    /// <param name="tools">The catalog.</param>
    /// <param name="logger">Where unexpected failures are logged, or null.</param>
    public static McpServerOptions CreateServerOptions(IEnumerable<AIFunction> tools, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(tools);
        var collection = new McpServerPrimitiveCollection<McpServerTool>();
        foreach (AIFunction t in tools)
        {
            collection.Add(ToMcpTool(t, logger));
        }

        return new McpServerOptions
        {
            ServerInfo = ServerInfo,
            ServerInstructions = Instructions,
            ToolCollection = collection,
        };
    }

    /// <summary>Serves the catalog over stdio until the client disconnects or <paramref name="cancellationToken"/> fires. Nothing but MCP is written to stdout.</summary>
    /// <param name="tools">The catalog.</param>
    /// <param name="loggerFactory">Logging (send it to stderr), or null.</param>
    /// <param name="cancellationToken">Stops the server.</param>
    public static async Task RunStdioAsync(IEnumerable<AIFunction> tools, ILoggerFactory? loggerFactory, CancellationToken cancellationToken)
    {
        loggerFactory ??= NullLoggerFactory.Instance;
        McpServerOptions options = CreateServerOptions(tools, loggerFactory.CreateLogger("OpenDesk.Mcp"));
        var transport = new StdioServerTransport(options, loggerFactory);
        await using (transport.ConfigureAwait(false))
        {
            McpServer server = McpServer.Create(transport, options, loggerFactory);
            await using (server.ConfigureAwait(false))
            {
                await server.RunAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Serves the catalog over a pair of streams (tests, pipes).</summary>
    /// <param name="tools">The catalog.</param>
    /// <param name="input">Client → server stream.</param>
    /// <param name="output">Server → client stream.</param>
    /// <param name="loggerFactory">Logging, or null.</param>
    /// <param name="cancellationToken">Stops the server.</param>
    public static async Task RunStreamAsync(IEnumerable<AIFunction> tools, Stream input, Stream output, ILoggerFactory? loggerFactory, CancellationToken cancellationToken)
    {
        loggerFactory ??= NullLoggerFactory.Instance;
        McpServerOptions options = CreateServerOptions(tools, loggerFactory.CreateLogger("OpenDesk.Mcp"));
        var transport = new StreamServerTransport(input, output, ServerName, loggerFactory);
        await using (transport.ConfigureAwait(false))
        {
            McpServer server = McpServer.Create(transport, options, loggerFactory);
            await using (server.ConfigureAwait(false))
            {
                await server.RunAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }
}

/// <summary>Turns model-facing failures into <c>isError</c> tool results (the SDK would hide or prefix the message).</summary>
internal sealed class ErrorMappingFunction(AIFunction inner, ILogger logger) : DelegatingAIFunction(inner)
{
    protected override async ValueTask<object?> InvokeCoreAsync(AIFunctionArguments arguments, CancellationToken cancellationToken)
    {
        try
        {
            return await base.InvokeCoreAsync(arguments, cancellationToken).ConfigureAwait(false);
        }
        catch (OpenDeskException e)
        {
            return Error(e.Message);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            logger.LogError(e, "Tool {Tool} failed unexpectedly", Name);
            return Error($"internal error in tool '{Name}' ({e.GetType().Name}); details are in the server log.");
        }
    }

    private static CallToolResult Error(string message)
        => new() { IsError = true, Content = [new TextContentBlock { Text = message }] };
}
