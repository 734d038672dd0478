using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using OpenAI.Chat;
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
/// Issue 9: <c>peer</c> routing through each adapter against a real <c>opendesk serve</c> on loopback (serving a
/// FakeComputer through <c>OPENDESK_TEST_COMPUTER</c>), paired through the CLI. The model is the scripted fake
/// endpoint of the adapter unit tests; the session is <c>McpSession(local FakeComputer, PeerDirectory(controller home))</c>.
/// Every tool call names the peer; the results must say <c>[on desk2]</c>, the clipboard text written on the peer must be
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

    private static async Task AssertRoutedToPeerAsync(LoopbackPeer peer, ScriptedOpenAIEndpoint endpoint, string clipboardText, string typed)
    {
        List<string> results = ToolResults(endpoint);
        string all = string.Join("\n", results);
        Assert.True(results.Count == 4, all);
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
