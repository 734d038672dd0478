using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using OpenAI.Chat;
using OpenAI.Responses;
using OpenDesk.Adapters;
using OpenDesk.Adapters.Tests;
using OpenDesk.IntegrationTests.Infrastructure;
using OpenDesk.Mcp;
using OpenDesk.Remote.Client;
using OpenDesk.Remote.Trust;
using OpenDesk.Testing;
using static OpenDesk.IntegrationTests.Remote.RemoteSteps;
using ChatMessage = OpenAI.Chat.ChatMessage;

namespace OpenDesk.IntegrationTests.Adapters;

/// <summary>
/// Issue 9: <c>peer</c> routing through each adapter (OpenAI SDK on Chat Completions and on the Responses API, Semantic
/// Kernel, M.E.AI; LangChain.js is in <see cref="LangChainPeerRoutingTests"/>) against a real <c>opendesk serve</c> on loopback (serving a
/// FakeComputer through <c>OPENDESK_TEST_COMPUTER</c>), paired through the CLI. The model is the scripted fake
/// endpoint of the adapter unit tests; the session is <c>McpSession(local FakeComputer, PeerDirectory(controller home))</c>.
/// The script first makes this machine the default (<c>opendesk_use local</c>; desk2, the only paired peer, would otherwise
/// be the implicit default), then every computer tool call names the peer; the results must say <c>[on desk2]</c>, the clipboard text written on the peer must be
/// read back from the peer (not from the local fake), the local fake must see no calls, and the server's audit log must
/// hold the actions.
/// </summary>
public sealed class AdapterPeerRoutingTests
{
    private const string PeerName = "desk2";
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(120);

    private static ScriptTurn[] Script(string prefix, string clipboardText, string typed)
    {
        string peer = $"\"peer\":\"{PeerName}\"";
        return
        [
            // desk2 is the only paired peer, so it would be the implicit default: make this machine the default first,
            // so that only the per-call `peer` can send the calls to desk2.
            ScriptTurn.Tool("opendesk_use", "{\"peer\":\"local\"}"),
            ScriptTurn.Tool(prefix + "screenshot", "{" + peer + "}"),
            ScriptTurn.Tool(prefix + "clipboard", $"{{\"action\":\"write\",\"text\":\"{clipboardText}\",{peer}}}"),
            ScriptTurn.Tool(prefix + "clipboard", $"{{\"action\":\"read\",{peer}}}"),
            ScriptTurn.Tool(prefix + "keyboard", $"{{\"action\":\"type\",\"text\":\"{typed}\",{peer}}}"),
            ScriptTurn.Answer("All done."),
        ];
    }

    /// <summary>The tool-result texts the model received (from the last chat request, which carries the whole history).</summary>
    private static List<string> ToolResults(ScriptedOpenAIEndpoint endpoint) =>
    [
        .. endpoint.ChatRequests[^1]["messages"]!.AsArray()
            .Where(m => m!["role"]!.GetValue<string>() == "tool")
            .Select(m => m!["content"] switch
            {
                JsonValue v => v.GetValue<string>(),
                JsonArray parts => string.Concat(parts.Select(p => p!["text"]?.GetValue<string>() ?? "")),
                _ => "",
            }),
    ];

    private static Task AssertRoutedToPeerAsync(LoopbackPeer peer, ScriptedOpenAIEndpoint endpoint, string clipboardText, string typed)
        => AssertRoutedToPeerAsync(peer, endpoint, ToolResults(endpoint), clipboardText, typed);

    private static async Task AssertRoutedToPeerAsync(LoopbackPeer peer, ScriptedOpenAIEndpoint endpoint, List<string> results, string clipboardText, string typed)
    {
        string all = string.Join("\n", results);
        Assert.True(results.Count == 5, all);
        Assert.Equal("Default peer is now: local", results[0]);
        results = results[1..];
        Assert.All(results, r => Assert.StartsWith($"[on {PeerName}]", r, StringComparison.Ordinal));
        Assert.StartsWith($"[on {PeerName}] Screenshot", results[0], StringComparison.Ordinal);
        Assert.Contains(clipboardText, results[2], StringComparison.Ordinal);
        Assert.Equal(0, endpoint.Remaining);

        // The local fake saw nothing: no capture, no input, no clipboard.
        Assert.DoesNotContain(peer.Local.Calls, c => c.StartsWith("display.", StringComparison.Ordinal)
            || c.StartsWith("input.", StringComparison.Ordinal) || c.StartsWith("clipboard.", StringComparison.Ordinal));
        Assert.Empty((await peer.Local.Clipboard.ReadAsync(TestContext.Current.CancellationToken)).Entries);

        // The serving side recorded the calls (the audit log never holds the typed text itself).
        (int code, string audit, string error) = await OpendeskProcess.RunOpendeskAsync(Step, "audit", "--home", peer.ServerHome, "--limit", "0");
        Assert.True(code == 0, audit + error);
        TestContext.Current.TestOutputHelper?.WriteLine(audit);
        Assert.Contains($"type {typed.Length} chars → ok", audit, StringComparison.Ordinal);
        Assert.Contains("clipboard", audit, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(typed, AuditText(peer.ServerHome), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenAI_SDK_loop_routes_peer_calls_to_a_loopback_opendesk_serve()
    {
        await using LoopbackPeer peer = await LoopbackPeer.StartAsync();
        const string clip = "openai-via-peer", typed = "hello openai";
        await using ScriptedOpenAIEndpoint endpoint = await ScriptedOpenAIEndpoint.StartAsync(Script("", clip, typed));
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(RunTimeout);
        ChatClient chat = OpenDeskOpenAITools.CreateClient(endpoint.BaseUrl, "test-key").GetChatClient("fake-model");
        var messages = new List<ChatMessage> { new UserChatMessage("On desk2: screenshot, copy, paste, type.") };

        OpenDeskAgentResult result = await OpenDeskAgentLoop.RunAsync(
            chat, new OpenDeskOpenAITools(peer.Tools), messages, cancellationToken: cts.Token);

        Assert.Equal("All done.", result.FinalText);
        await AssertRoutedToPeerAsync(peer, endpoint, clip, typed);
    }

#pragma warning disable OPENAI001 // the OpenAI SDK marks its Responses API types experimental; this test is about exactly that API
    [Fact]
    public async Task Responses_API_loop_routes_peer_calls_to_a_loopback_opendesk_serve()
    {
        await using LoopbackPeer peer = await LoopbackPeer.StartAsync();
        const string clip = "responses-via-peer", typed = "hello responses";
        await using ScriptedOpenAIEndpoint endpoint = await ScriptedOpenAIEndpoint.StartAsync(Script("", clip, typed));
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(RunTimeout);
        ResponsesClient client = OpenDeskOpenAITools.CreateClient(endpoint.BaseUrl, "test-key").GetResponsesClient();
        var input = new List<ResponseItem> { ResponseItem.CreateUserMessageItem("On desk2: screenshot, copy, paste, type.") };

        OpenDeskAgentResult result = await OpenDeskAgentLoop.RunAsync(
            client, "fake-model", new OpenDeskOpenAITools(peer.Tools), input, cancellationToken: cts.Token);

        Assert.Equal("All done.", result.FinalText);
        Assert.Equal(5, result.ToolCalls);
        Assert.Equal(6, endpoint.Requests.Count);
        Assert.All(endpoint.Requests, r => Assert.Equal("/v1/responses", r.Path));

        // The last request re-sends the whole conversation (stateless): each function_call the model made (with its
        // peer argument) is followed by the function_call_output for the same call_id.
        JsonArray items = endpoint.Requests[^1].Body["input"]!.AsArray();
        var calls = items.Where(i => Type(i) == "function_call").ToList();
        Assert.Equal(5, calls.Count);
        var outputs = new List<string>();
        foreach (JsonNode? call in calls)
        {
            string callId = call!["call_id"]!.GetValue<string>();
            Assert.Equal(outputs.Count == 0 ? "local" : PeerName, JsonNode.Parse(call["arguments"]!.GetValue<string>())!["peer"]!.GetValue<string>());
            JsonNode? next = items[items.IndexOf(call) + 1];
            Assert.True(Type(next) == "function_call_output" && next!["call_id"]!.GetValue<string>() == callId, ScriptedOpenAIEndpoint.Show(items));
            outputs.Add(next!["output"]!.GetValue<string>());
        }

        Assert.EndsWith("[1 image attached in the next user message]", outputs[1], StringComparison.Ordinal);

        // The follow-up to the screenshot call carries the peer's screenshot as an input_image in a user message item.
        JsonArray third = endpoint.Requests[2].Body["input"]!.AsArray();
        Assert.Equal(["message", "function_call", "function_call_output", "function_call", "function_call_output", "message"], third.Select(Type));
        JsonArray parts = third[^1]!["content"]!.AsArray();
        Assert.Equal("user", third[^1]!["role"]!.GetValue<string>());
        Assert.Equal("Image(s) returned by tool call " + calls[1]!["call_id"]!.GetValue<string>() + ":", parts[0]!["text"]!.GetValue<string>());
        string url = Assert.Single(parts, p => Type(p) == "input_image")!["image_url"]!.GetValue<string>();
        string format = System.Text.RegularExpressions.Regex.Match(outputs[1], @"^\[on desk2\] Screenshot \d+x\d+ \((\w+)\)").Groups[1].Value;
        Assert.StartsWith($"data:image/{format};base64,", url, StringComparison.Ordinal);
        byte[] image = Convert.FromBase64String(url[(url.IndexOf(',', StringComparison.Ordinal) + 1)..]);
        Assert.True(image.Length > 100 && (format == "jpeg" ? image[0] == 0xFF && image[1] == 0xD8 : image[1] == (byte)'P'), $"{format}: {image.Length} bytes");

        await AssertRoutedToPeerAsync(peer, endpoint, outputs, clip, typed);
    }
#pragma warning restore OPENAI001

    private static string? Type(JsonNode? item) => item?["type"]?.GetValue<string>();

    [Fact]
    public async Task Semantic_Kernel_auto_function_calling_routes_peer_calls_to_a_loopback_opendesk_serve()
    {
        await using LoopbackPeer peer = await LoopbackPeer.StartAsync();
        const string clip = "sk-via-peer", typed = "hello semantic kernel";
        await using ScriptedOpenAIEndpoint endpoint = await ScriptedOpenAIEndpoint.StartAsync(Script("opendesk_", clip, typed));
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(RunTimeout);
        IKernelBuilder builder = Kernel.CreateBuilder();
        builder.AddOpenDesk(Provider(endpoint), peer.Tools);
        Kernel kernel = builder.Build();
        var history = new ChatHistory();
        history.AddUserMessage("On desk2: screenshot, copy, paste, type.");
        var settings = new PromptExecutionSettings { FunctionChoiceBehavior = FunctionChoiceBehavior.Auto() };

        Microsoft.SemanticKernel.ChatMessageContent reply = await kernel.GetRequiredService<IChatCompletionService>()
            .GetChatMessageContentAsync(history, settings, kernel, cts.Token);

        Assert.Equal("All done.", reply.Content);
        await AssertRoutedToPeerAsync(peer, endpoint, clip, typed);
    }

    [Fact]
    public async Task MEAI_function_invocation_routes_peer_calls_to_a_loopback_opendesk_serve()
    {
        await using LoopbackPeer peer = await LoopbackPeer.StartAsync();
        const string clip = "meai-via-peer", typed = "hello extensions ai";
        await using ScriptedOpenAIEndpoint endpoint = await ScriptedOpenAIEndpoint.StartAsync(Script("", clip, typed));
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(RunTimeout);
        IChatClient chat = OpenDeskChatClient.Create(Provider(endpoint), peer.Tools);

        ChatResponse response = await chat.GetResponseAsync("On desk2: screenshot, copy, paste, type.", cancellationToken: cts.Token);

        Assert.Equal("All done.", response.Text);
        await AssertRoutedToPeerAsync(peer, endpoint, clip, typed);
    }

    private static IChatClient Provider(ScriptedOpenAIEndpoint endpoint) =>
        OpenDeskOpenAITools.CreateClient(endpoint.BaseUrl, "k").GetChatClient("fake-model").AsIChatClient();

    /// <summary>
    /// A real <c>opendesk serve</c> on 127.0.0.1 (FakeComputer) paired with a temporary controller home, and the catalog
    /// over <c>McpSession(local FakeComputer, PeerDirectory(controller home))</c>. Disposing ends the session, then kills
    /// the server by PID and deletes the homes.
    /// </summary>
    private sealed class LoopbackPeer : IAsyncDisposable
    {
        private readonly TestHomes _homes;
        private readonly OpendeskProcess _serve;

        private LoopbackPeer(TestHomes homes, OpendeskProcess serve)
        {
            _homes = homes;
            _serve = serve;
            Local = new FakeComputer();
            var directory = new PeerDirectory(
                new OpenDeskHome(homes["controller"]), new OpenDeskClientOptions { UseMdns = false, ReconnectBudget = TimeSpan.FromSeconds(30) });
            Session = new McpSession(Local, directory, new OpenDeskToolOptions { SettleQuietMs = 30, SettlePollMs = 10 });
            Tools = OpenDeskTools.Create(Session);
        }

        public FakeComputer Local { get; }

        public McpSession Session { get; }

        public IReadOnlyList<AIFunction> Tools { get; }

        public string ServerHome => _homes["server"];

        public static async Task<LoopbackPeer> StartAsync()
        {
            var homes = new TestHomes();
            try
            {
                int port = FreePort();
                await PairAsync(homes["server"], homes["controller"], PeerName, port);
                (OpendeskProcess serve, _, _) = await StartServeAsync(homes["server"], port);
                return new LoopbackPeer(homes, serve);
            }
            catch
            {
                homes.Dispose();
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            await Session.DisposeAsync();
            await _serve.DisposeAsync();
            _homes.Dispose();
        }
    }
}
