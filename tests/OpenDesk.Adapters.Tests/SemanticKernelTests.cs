using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using TextContent = Microsoft.Extensions.AI.TextContent;

namespace OpenDesk.Adapters.Tests;

public sealed class SemanticKernelTests(ITestOutputHelper output)
{
    private static IChatClient Provider(ScriptedOpenAIEndpoint endpoint) =>
        OpenDeskOpenAITools.CreateClient(endpoint.BaseUrl, "k").GetChatClient("fake-model").AsIChatClient();

    private static async Task<ChatMessageContent> RunAsync(Kernel kernel, string prompt)
    {
        var history = new ChatHistory();
        history.AddUserMessage(prompt);
        var settings = new PromptExecutionSettings { FunctionChoiceBehavior = FunctionChoiceBehavior.Auto() };
        return await kernel.GetRequiredService<IChatCompletionService>().GetChatMessageContentAsync(history, settings, kernel);
    }

    [Fact]
    public void Plugin_registers_every_catalog_tool_without_doubling_the_prefix()
    {
        using var desk = new DeskScope();
        KernelPlugin plugin = OpenDeskKernelPlugin.Create(desk.Desk.Tools);

        Assert.Equal("opendesk", plugin.Name);
        Assert.Equal(desk.Desk.Tools.Count, plugin.FunctionCount);
        Assert.True(plugin.Contains("screenshot"));
        Assert.True(plugin.Contains("peers"));
        Assert.True(plugin.Contains("audit"));
        Assert.Equal("opendesk_screenshot", OpenDeskKernelPlugin.GetModelFacingName("screenshot"));
        Assert.Equal("opendesk_peers", OpenDeskKernelPlugin.GetModelFacingName("opendesk_peers"));
        Assert.Equal("desk_opendesk_peers", OpenDeskKernelPlugin.GetModelFacingName("opendesk_peers", "desk"));
    }

    [Fact]
    public async Task Kernel_InvokeAsync_returns_text_and_image_contents()
    {
        await using TestDesk desk = TestDesk.Create();
        var kernel = new Kernel();
        kernel.Plugins.AddOpenDesk(desk.Tools);

        FunctionResult result = await kernel.InvokeAsync("opendesk", "screenshot", new KernelArguments { ["format"] = "png" });

        var contents = Assert.IsAssignableFrom<IEnumerable<AIContent>>(result.GetValue<object>());
        Assert.Contains(contents, c => c is TextContent t && t.Text.StartsWith("Screenshot 1280x800", StringComparison.Ordinal));
        Assert.Contains(contents, c => c is DataContent d && d.MediaType == "image/png" && d.Data.Length > 100);

        // SK passes CLR values (strings); the catalog reads them, and OpenDesk errors come back as text.
        FunctionResult bad = await kernel.InvokeAsync("opendesk", "mouse", new KernelArguments { ["action"] = "fly" });
        Assert.StartsWith("Error: ", bad.GetValue<object>()!.ToString());
        FunctionResult typed = await kernel.InvokeAsync("opendesk", "keyboard", new KernelArguments { ["action"] = "type", ["text"] = "abc", ["settle_ms"] = "0" });
        Assert.Equal(["input.text 3 chars"], TestDesk.InputCalls(desk.Computer));
        Assert.NotNull(typed.GetValue<object>());
    }

    [Fact]
    public async Task Auto_function_calling_runs_screenshot_click_type_and_the_model_sees_the_image_and_exact_schemas()
    {
        await using TestDesk desk = TestDesk.Create();
        await using ScriptedOpenAIEndpoint endpoint = await ScriptedOpenAIEndpoint.StartAsync(
            TestDesk.ThreeStepScript("opendesk_screenshot", "opendesk_mouse", "opendesk_keyboard"));
        IKernelBuilder builder = Kernel.CreateBuilder();
        builder.AddOpenDesk(Provider(endpoint), desk.Tools);
        Kernel kernel = builder.Build();

        ChatMessageContent reply = await RunAsync(kernel, "Click Save, then type hello.");

        Assert.Equal("All done.", reply.Content);
        TestDesk.AssertThreeSteps(desk.Computer);
        Assert.Equal(4, endpoint.ChatRequests.Count);

        // Names: the plugin prefix, but no doubled prefix on the admin tools.
        var offered = TestDesk.OfferedTools(endpoint.ChatRequests[0]);
        Assert.Equal(
            desk.Tools.Select(t => OpenDeskKernelPlugin.GetModelFacingName(t.Name)).Order(),
            offered.Keys.Order());
        Assert.Contains("opendesk_screenshot", offered.Keys);
        Assert.Contains("opendesk_peers", offered.Keys);
        Assert.Contains("opendesk_audit", offered.Keys);

        // Schemas: the catalog's own. M.E.AI's OpenAI provider reorders keys and writes "required": [] when absent.
        foreach (var tool in desk.Tools)
        {
            (string description, JsonNode parameters) = offered[OpenDeskKernelPlugin.GetModelFacingName(tool.Name)];
            Assert.Equal(tool.Description, description);
            Assert.True(TestDesk.JsonEquals(TestDesk.WithRequired(tool.JsonSchema), parameters), $"{tool.Name}: {parameters.ToJsonString()}");
            Assert.Null(parameters["condition"]);
        }

        // The screenshot's tool message is text; the image follows in a user message.
        JsonArray sent = endpoint.ChatRequests[1]["messages"]!.AsArray();
        JsonNode toolMessage = sent.Single(m => m!["role"]!.GetValue<string>() == "tool")!;
        Assert.StartsWith("Screenshot 1280x800", toolMessage["content"]!.GetValue<string>());
        Assert.DoesNotContain("base64", toolMessage["content"]!.GetValue<string>());
        Assert.Equal("user", sent[^1]!["role"]!.GetValue<string>());
        TestDesk.AssertImageUrl(Assert.Single(TestDesk.ImageUrls(endpoint.ChatRequests[1])));
    }

    [Fact]
    public async Task Without_exact_schemas_the_model_gets_the_schema_SK_rebuilds()
    {
        await using TestDesk desk = TestDesk.Create();
        await using ScriptedOpenAIEndpoint endpoint = await ScriptedOpenAIEndpoint.StartAsync(ScriptTurn.Answer("ok"));
        IKernelBuilder builder = Kernel.CreateBuilder();
        builder.AddOpenDesk(Provider(endpoint), desk.Tools, new OpenDeskKernelOptions { ExactSchemas = false });
        Kernel kernel = builder.Build();

        await RunAsync(kernel, "hi");

        var offered = TestDesk.OfferedTools(endpoint.ChatRequests[0]);
        JsonNode original = TestDesk.Parse(desk.Tools.Single(t => t.Name == "mouse").JsonSchema)!;
        JsonNode rebuilt = offered["opendesk_mouse"].Parameters;
        output.WriteLine("catalog: " + original.ToJsonString());
        output.WriteLine("SK:      " + rebuilt.ToJsonString());
        Assert.False(TestDesk.JsonEquals(original, rebuilt));
        // What SK 1.82 does to the schema (documented in docs/adapters.md).
        Assert.Equal(
            original["properties"]!.AsObject().Select(p => p.Key).Order(),
            rebuilt["properties"]!.AsObject().Select(p => p.Key).Order());
        Assert.True(TestDesk.JsonEquals(original["properties"]!["action"], rebuilt["properties"]!["action"]));
        Assert.NotNull(rebuilt.AsObject()["condition"]);
    }

    [Fact]
    public async Task Peer_routing_works_through_the_SK_adapter()
    {
        await using TestDesk desk = TestDesk.Create(withPeer: true);
        await using ScriptedOpenAIEndpoint endpoint = await ScriptedOpenAIEndpoint.StartAsync(
            TestDesk.ThreeStepScript("opendesk_screenshot", "opendesk_mouse", "opendesk_keyboard", ",\"peer\":\"desk2\""));
        IKernelBuilder builder = Kernel.CreateBuilder();
        builder.AddOpenDesk(Provider(endpoint), desk.Tools);
        Kernel kernel = builder.Build();

        ChatMessageContent reply = await RunAsync(kernel, "On desk2: click Save, then type hello.");

        Assert.Equal("All done.", reply.Content);
        TestDesk.AssertThreeSteps(desk.Peers!.Remote);
        Assert.Empty(TestDesk.InputCalls(desk.Computer));
        TestDesk.AssertImageUrl(Assert.Single(TestDesk.ImageUrls(endpoint.ChatRequests[1])));
    }

    [Fact]
    public async Task Bad_tool_calls_get_error_results_and_SK_continues()
    {
        await using TestDesk desk = TestDesk.Create();
        await using ScriptedOpenAIEndpoint endpoint = await ScriptedOpenAIEndpoint.StartAsync(
            ScriptTurn.Tools(
                new ScriptedCall("opendesk_nope", "{}"),
                new ScriptedCall("opendesk_mouse", "{\"action\":\"fly\"}"),
                new ScriptedCall("opendesk_mouse", "{\"action\":\"click\", x: oops")),
            ScriptTurn.Tool("opendesk_keyboard", "{\"action\":\"type\",\"text\":\"hi\"}"),
            ScriptTurn.Answer("recovered"));
        IKernelBuilder builder = Kernel.CreateBuilder();
        builder.AddOpenDesk(Provider(endpoint), desk.Tools);
        Kernel kernel = builder.Build();

        ChatMessageContent reply = await RunAsync(kernel, "go");

        Assert.Equal("recovered", reply.Content);
        string[] results = [.. endpoint.ChatRequests[1]["messages"]!.AsArray()
            .Where(m => m!["role"]!.GetValue<string>() == "tool").Select(m => m!["content"]!.GetValue<string>())];
        output.WriteLine(string.Join("\n", results));
        Assert.Equal(3, results.Length);
        Assert.All(results, r => Assert.StartsWith("Error", r));
        Assert.Contains("not found", results[0]);
        Assert.Contains("'fly' is not one of", results[1]);
        Assert.StartsWith("Error: the arguments of 'mouse' are not a valid JSON object", results[2]);
        Assert.Equal(["input.text 2 chars"], TestDesk.InputCalls(desk.Computer));
    }

    private sealed class DeskScope : IDisposable
    {
        public TestDesk Desk { get; } = TestDesk.Create();

        public void Dispose() => Desk.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}
