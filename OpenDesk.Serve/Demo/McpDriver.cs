using System.Diagnostics;
using System.Text;
using System.Text.Json;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace OpenDesk.Serve.Demo;

/// <summary>How to start the <c>opendesk</c> executable as a child process.</summary>
/// <param name="File">The program (the apphost, or <c>dotnet</c>).</param>
/// <param name="Prefix">Arguments before the command (the dll path when running through <c>dotnet</c>).</param>
internal sealed record OpenDeskExe(string File, IReadOnlyList<string> Prefix)
{
    /// <summary>The running process itself (demo inside <c>opendesk</c>).</summary>
    public static OpenDeskExe Self(string entryAssemblyPath)
    {
        string process = Environment.ProcessPath ?? "dotnet";
        return Path.GetFileNameWithoutExtension(process) == "dotnet"
            ? new OpenDeskExe(process, [entryAssemblyPath])
            : new OpenDeskExe(process, []);
    }

    /// <summary>A built <c>opendesk.dll</c> run through <c>dotnet</c>.</summary>
    public static OpenDeskExe FromDll(string dll) => new(ChildProcess.Which("dotnet") ?? "dotnet", [dll]);

    /// <summary>Arguments for one command.</summary>
    public IEnumerable<string> Args(params string[] args) => Prefix.Concat(args);

    /// <summary>Starts <c>opendesk ARGS</c> as an owned child process.</summary>
    public ChildProcess Start(string name, IReadOnlyDictionary<string, string?> environment, params string[] args)
        => ChildProcess.Start(name, File, Args(args), environment);
}

/// <summary>One tool call as the scripted agent saw it.</summary>
/// <param name="Tool">Tool name.</param>
/// <param name="Text">All text blocks joined by newlines.</param>
/// <param name="Images">Decoded image blocks (bytes and MIME type).</param>
/// <param name="IsError">The result's isError flag (or a protocol error).</param>
/// <param name="Elapsed">Client send to result received.</param>
internal sealed record ToolCall(string Tool, string Text, IReadOnlyList<(byte[] Data, string MimeType)> Images, bool IsError, TimeSpan Elapsed)
{
    /// <summary>The first line of the text, for progress output.</summary>
    public string FirstLine(int max = 110)
    {
        string line = Text.Split('\n', 2)[0].Trim();
        return line.Length <= max ? line : line[..(max - 1)] + "…";
    }
}

/// <summary>
/// A scripted MCP client on a real <c>opendesk mcp</c> child process (stdio). Records every call with its latency.
/// </summary>
internal sealed class McpDriver : IAsyncDisposable
{
    private readonly ChildProcess _process;
    private readonly McpClient _client;
    private readonly List<ToolCall> _calls = [];

    private McpDriver(ChildProcess process, McpClient client, TimeSpan startup)
    {
        _process = process;
        _client = client;
        StartupTime = startup;
    }

    /// <summary>Process start to the initialize answer.</summary>
    public TimeSpan StartupTime { get; }

    /// <summary>The server process id.</summary>
    public int Pid => _process.Pid;

    /// <summary>The server process (stderr lines, RSS).</summary>
    public ChildProcess Process => _process;

    /// <summary>Every call so far.</summary>
    public IReadOnlyList<ToolCall> Calls => _calls;

    /// <summary>Starts <c>opendesk mcp</c> with <paramref name="environment"/> and completes the MCP initialize handshake.</summary>
    public static async Task<McpDriver> StartAsync(
        OpenDeskExe exe, IReadOnlyDictionary<string, string?> environment, IEnumerable<string> extraArgs, CancellationToken cancellationToken)
    {
        var sw = Stopwatch.StartNew();
        ChildProcess process = ChildProcess.Start("opendesk mcp", exe.File, exe.Args(["mcp", .. extraArgs]), environment, rawStdio: true);
        try
        {
            var transport = new StreamClientTransport(process.Process.StandardInput.BaseStream, process.Process.StandardOutput.BaseStream);
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            cts.CancelAfter(TimeSpan.FromSeconds(60));
            McpClient client = await McpClient.CreateAsync(
                transport,
                new McpClientOptions
                {
                    ClientInfo = new Implementation { Name = "opendesk-scripted-agent", Version = "1.0" },

                    // The initialize handshake, as today's desktop clients do. Left unset, the SDK first probes with
                    // server/discover (2026-07-28) for 5 s and, when a slow JIT start misses that, falls back to an
                    // initialize the server then refuses on that revision.
                    ProtocolVersion = "2025-11-25",
                    InitializationTimeout = TimeSpan.FromSeconds(60),
                },
                cancellationToken: cts.Token);
            return new McpDriver(process, client, sw.Elapsed);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            string tail = process.Tail();
            await process.DisposeAsync();
            throw new InvalidOperationException($"opendesk mcp did not initialize: {e.Message}\n{tail}", e);
        }
    }

    /// <summary>Names of the tools the server lists.</summary>
    public async Task<IReadOnlyList<string>> ListToolNamesAsync(CancellationToken cancellationToken)
    {
        IList<McpClientTool> tools = await _client.ListToolsAsync(cancellationToken: cancellationToken);
        return [.. tools.Select(t => t.Name)];
    }

    /// <summary>Calls a tool; protocol failures become an error result (as a model would see them).</summary>
    public async Task<ToolCall> CallAsync(string tool, IReadOnlyDictionary<string, object?> arguments, CancellationToken cancellationToken)
    {
        var sw = Stopwatch.StartNew();
        ToolCall call;
        try
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            cts.CancelAfter(TimeSpan.FromSeconds(90));
            CallToolResult result = await _client.CallToolAsync(tool, arguments, cancellationToken: cts.Token);
            sw.Stop();
            var text = new StringBuilder();
            var images = new List<(byte[], string)>();
            foreach (ContentBlock block in result.Content)
            {
                switch (block)
                {
                    case TextContentBlock t:
                        _ = text.Length > 0 ? text.Append('\n').Append(t.Text) : text.Append(t.Text);
                        break;
                    case ImageContentBlock i:
                        images.Add((i.DecodedData.ToArray(), i.MimeType));
                        break;
                    default:
                        break;
                }
            }

            call = new ToolCall(tool, text.ToString(), images, result.IsError == true, sw.Elapsed);
        }
        catch (Exception e) when (e is McpException or JsonException or IOException or InvalidOperationException
            || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            sw.Stop();
            call = new ToolCall(tool, $"(call failed: {e.GetType().Name}: {e.Message})", [], true, sw.Elapsed);
        }

        lock (_calls)
        {
            _calls.Add(call);
        }

        return call;
    }

    /// <summary>Closes the client and stops the server process by PID.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await _client.DisposeAsync();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
        }

        await _process.DisposeAsync();
    }
}
