using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace OpenDesk.Adapters.Tests;

/// <summary>One scripted model turn: tool calls, or a final text answer.</summary>
public sealed record ScriptTurn(IReadOnlyList<ScriptedCall> Calls, string? Text)
{
    public static ScriptTurn Tools(params ScriptedCall[] calls) => new(calls, null);

    public static ScriptTurn Tool(string name, string argumentsJson) => new([new ScriptedCall(name, argumentsJson)], null);

    public static ScriptTurn Answer(string text) => new([], text);
}

/// <summary>A tool call the fake model makes; <see cref="ArgumentsJson"/> is sent verbatim (it may be invalid JSON on purpose).</summary>
public sealed record ScriptedCall(string Name, string ArgumentsJson);

/// <summary>A request the endpoint received.</summary>
public sealed record RecordedRequest(string Path, JsonObject Body);

/// <summary>
/// A scripted, OpenAI-compatible chat endpoint on loopback (Kestrel, 127.0.0.1:0). Each request to
/// <c>/v1/chat/completions</c> (JSON or SSE when <c>stream</c> is true) or <c>/v1/responses</c> gets the next turn of
/// the script; once the script is used up it answers "done". Every request body is recorded. The script may also be
/// a function of the request (to check what the model received before answering).
/// </summary>
public sealed class ScriptedOpenAIEndpoint : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private readonly Queue<ScriptTurn> _script;
    private readonly Lock _gate = new();
    private int _callId;

    private ScriptedOpenAIEndpoint(WebApplication app, IEnumerable<ScriptTurn> script)
    {
        _app = app;
        _script = new Queue<ScriptTurn>(script);
    }

    /// <summary>The base URL to give the OpenAI SDK (<c>http://127.0.0.1:PORT/v1</c>).</summary>
    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>Every request body, oldest first.</summary>
    public IReadOnlyList<RecordedRequest> Requests => [.. _requests];

    /// <summary>Chat-completions request bodies only.</summary>
    public IReadOnlyList<JsonObject> ChatRequests => [.. _requests.Where(r => r.Path.EndsWith("/chat/completions", StringComparison.Ordinal)).Select(r => r.Body)];

    /// <summary>Turns left in the script.</summary>
    public int Remaining
    {
        get
        {
            lock (_gate)
            {
                return _script.Count;
            }
        }
    }

    /// <summary>Starts the endpoint with a script.</summary>
    public static async Task<ScriptedOpenAIEndpoint> StartAsync(params ScriptTurn[] script)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        WebApplication app = builder.Build();
        var endpoint = new ScriptedOpenAIEndpoint(app, script);
        app.MapPost("/v1/chat/completions", endpoint.ChatAsync);
        app.MapPost("/v1/responses", endpoint.ResponsesAsync);
        await app.StartAsync();
        endpoint.BaseUrl = new Uri(app.Urls.First() + "/v1");
        return endpoint;
    }

    /// <summary>Appends turns to the script.</summary>
    public void Enqueue(params ScriptTurn[] turns)
    {
        lock (_gate)
        {
            foreach (ScriptTurn t in turns)
            {
                _script.Enqueue(t);
            }
        }
    }

    private async Task<JsonObject> ReadAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        string text = await reader.ReadToEndAsync(context.RequestAborted);
        JsonObject body = JsonNode.Parse(text)!.AsObject();
        _requests.Enqueue(new RecordedRequest(context.Request.Path.Value ?? "", body));
        return body;
    }

    private ScriptTurn Next()
    {
        lock (_gate)
        {
            return _script.Count > 0 ? _script.Dequeue() : ScriptTurn.Answer("done");
        }
    }

    private string NewCallId() => "call_" + Interlocked.Increment(ref _callId).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private async Task ChatAsync(HttpContext context)
    {
        JsonObject body = await ReadAsync(context);
        ScriptTurn turn = Next();
        string model = body["model"]?.GetValue<string>() ?? "fake";
        var calls = turn.Calls.Select(c => (Id: NewCallId(), c.Name, c.ArgumentsJson)).ToList();
        bool stream = body["stream"]?.GetValue<bool>() ?? false;
        string finish = calls.Count > 0 ? "tool_calls" : "stop";
        if (!stream)
        {
            var message = new JsonObject { ["role"] = "assistant", ["content"] = turn.Text };
            if (calls.Count > 0)
            {
                message["tool_calls"] = new JsonArray([.. calls.Select(c => (JsonNode)new JsonObject
                {
                    ["id"] = c.Id,
                    ["type"] = "function",
                    ["function"] = new JsonObject { ["name"] = c.Name, ["arguments"] = c.ArgumentsJson },
                })]);
            }

            var response = new JsonObject
            {
                ["id"] = "chatcmpl-" + _requests.Count,
                ["object"] = "chat.completion",
                ["created"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
                ["model"] = model,
                ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["message"] = message, ["finish_reason"] = finish }),
                ["usage"] = new JsonObject { ["prompt_tokens"] = 10, ["completion_tokens"] = 5, ["total_tokens"] = 15 },
            };
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(response.ToJsonString(), context.RequestAborted);
            return;
        }

        context.Response.ContentType = "text/event-stream";
        var chunks = new List<JsonObject>();
        if (turn.Text is not null)
        {
            chunks.Add(Chunk(model, new JsonObject { ["role"] = "assistant", ["content"] = turn.Text }, null));
        }

        for (int i = 0; i < calls.Count; i++)
        {
            chunks.Add(Chunk(model, new JsonObject
            {
                ["role"] = "assistant",
                ["tool_calls"] = new JsonArray(new JsonObject
                {
                    ["index"] = i,
                    ["id"] = calls[i].Id,
                    ["type"] = "function",
                    ["function"] = new JsonObject { ["name"] = calls[i].Name, ["arguments"] = calls[i].ArgumentsJson },
                }),
            }, null));
        }

        chunks.Add(Chunk(model, new JsonObject(), finish));
        foreach (JsonObject chunk in chunks)
        {
            await context.Response.WriteAsync("data: " + chunk.ToJsonString() + "\n\n", context.RequestAborted);
        }

        await context.Response.WriteAsync("data: [DONE]\n\n", context.RequestAborted);
    }

    private static JsonObject Chunk(string model, JsonObject delta, string? finish) => new()
    {
        ["id"] = "chatcmpl-stream",
        ["object"] = "chat.completion.chunk",
        ["created"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
        ["model"] = model,
        ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = delta, ["finish_reason"] = finish }),
    };

    private async Task ResponsesAsync(HttpContext context)
    {
        JsonObject body = await ReadAsync(context);
        ScriptTurn turn = Next();
        var output = new JsonArray();
        int n = 0;
        foreach (ScriptedCall call in turn.Calls)
        {
            output.Add(new JsonObject
            {
                ["type"] = "function_call",
                ["id"] = "fc_" + ++n,
                ["call_id"] = NewCallId(),
                ["name"] = call.Name,
                ["arguments"] = call.ArgumentsJson,
                ["status"] = "completed",
            });
        }

        if (turn.Text is not null)
        {
            output.Add(new JsonObject
            {
                ["type"] = "message",
                ["id"] = "msg_1",
                ["role"] = "assistant",
                ["status"] = "completed",
                ["content"] = new JsonArray(new JsonObject { ["type"] = "output_text", ["text"] = turn.Text, ["annotations"] = new JsonArray() }),
            });
        }

        var response = new JsonObject
        {
            ["id"] = "resp_" + _requests.Count,
            ["object"] = "response",
            ["created_at"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ["status"] = "completed",
            ["model"] = body["model"]?.GetValue<string>() ?? "fake",
            ["output"] = output,
            ["parallel_tool_calls"] = true,
            ["tool_choice"] = "auto",
            ["tools"] = new JsonArray(),
            ["usage"] = new JsonObject
            {
                ["input_tokens"] = 10,
                ["output_tokens"] = 5,
                ["total_tokens"] = 15,
                ["input_tokens_details"] = new JsonObject { ["cached_tokens"] = 0 },
                ["output_tokens_details"] = new JsonObject { ["reasoning_tokens"] = 0 },
            },
        };
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(response.ToJsonString(), context.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>Pretty JSON of a node (for failure messages).</summary>
    public static string Show(JsonNode? node) => node?.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) ?? "null";
}
