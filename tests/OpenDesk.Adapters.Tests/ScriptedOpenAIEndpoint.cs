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
/// the script; once the script is used up it answers "done". Every request body is recorded. Like OpenAI, it rejects
/// (HTTP 400, <c>invalid_request_error</c>, without using up a turn) a conversation whose tool results do not match
/// its tool calls: on Chat Completions every assistant <c>tool_calls</c> entry must be answered by a <c>role: tool</c>
/// message before any other message, a tool message must answer such a call, and its content may hold only text (no
/// images); on the Responses API every <c>function_call</c> item needs a <c>function_call_output</c> with its
/// <c>call_id</c> and the other way round. Rejections are kept in <see cref="Rejections"/>.
/// </summary>
public sealed class ScriptedOpenAIEndpoint : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private readonly ConcurrentQueue<string> _rejections = new();
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

    /// <summary>Why requests were rejected with HTTP 400, oldest first (empty when every request was well formed).</summary>
    public IReadOnlyList<string> Rejections => [.. _rejections];

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

    /// <summary>Answers 400 the way OpenAI does when <paramref name="problem"/> is not null; true when it did.</summary>
    private async Task<bool> RejectAsync(HttpContext context, string? problem, string param)
    {
        if (problem is null)
        {
            return false;
        }

        _rejections.Enqueue(problem);
        context.Response.StatusCode = StatusCodes.Status400BadRequest;
        context.Response.ContentType = "application/json";
        var error = new JsonObject
        {
            ["error"] = new JsonObject { ["message"] = problem, ["type"] = "invalid_request_error", ["param"] = param, ["code"] = null },
        };
        await context.Response.WriteAsync(error.ToJsonString(), context.RequestAborted);
        return true;
    }

    /// <summary>What OpenAI would refuse in a chat-completions message list (tool results that do not match tool calls, images in tool messages), or null.</summary>
    public static string? CheckChatMessages(JsonObject body)
    {
        if (body["messages"] is not JsonArray messages)
        {
            return "'messages' is required";
        }

        var unanswered = new List<string>();
        for (int i = 0; i < messages.Count; i++)
        {
            string role = messages[i]?["role"]?.GetValue<string>() ?? "";
            if (role == "tool")
            {
                string id = messages[i]!["tool_call_id"]?.GetValue<string>() ?? "";
                if (!unanswered.Remove(id))
                {
                    return $"Invalid parameter: messages[{i}] with role 'tool' must be a response to a preceding message with 'tool_calls' (tool_call_id '{id}').";
                }

                if (messages[i]!["content"] is JsonArray parts
                    && parts.Select(p => p?["type"]?.GetValue<string>()).FirstOrDefault(t => t != "text") is { } type)
                {
                    return $"Invalid 'messages[{i}]': a message with role 'tool' may only contain text parts, not '{type}'.";
                }

                continue;
            }

            if (unanswered.Count > 0)
            {
                return "An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. "
                    + $"The following tool_call_ids did not have response messages: {string.Join(", ", unanswered)}";
            }

            if (role == "assistant" && messages[i]!["tool_calls"] is JsonArray calls)
            {
                unanswered.AddRange(calls.Select(c => c?["id"]?.GetValue<string>() ?? ""));
            }
        }

        return unanswered.Count > 0
            ? $"An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: {string.Join(", ", unanswered)}"
            : null;
    }

    /// <summary>What the Responses API would refuse in an input item list (function calls and outputs that do not pair up by <c>call_id</c>), or null.</summary>
    public static string? CheckResponsesInput(JsonObject body)
    {
        if (body["input"] is not JsonArray items)
        {
            return null; // a plain string input holds no calls
        }

        var calls = new HashSet<string>(StringComparer.Ordinal);
        var outputs = new HashSet<string>(StringComparer.Ordinal);
        foreach (JsonNode? item in items)
        {
            string type = item?["type"]?.GetValue<string>() ?? "";
            string id = item?["call_id"]?.GetValue<string>() ?? "";
            if (type == "function_call")
            {
                calls.Add(id);
            }
            else if (type == "function_call_output")
            {
                if (!calls.Contains(id))
                {
                    return $"No tool call found for function call output with call_id {id}.";
                }

                outputs.Add(id);
            }
        }

        string? missing = calls.FirstOrDefault(c => !outputs.Contains(c));
        return missing is null ? null : $"No tool output found for function call {missing}.";
    }

    private async Task ChatAsync(HttpContext context)
    {
        JsonObject body = await ReadAsync(context);
        if (await RejectAsync(context, CheckChatMessages(body), "messages"))
        {
            return;
        }

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
        if (await RejectAsync(context, CheckResponsesInput(body), "input"))
        {
            return;
        }

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
