using System.Text.Json.Nodes;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Responses;
using ChatMessage = OpenAI.Chat.ChatMessage;

namespace OpenDesk.Adapters.Tests;

public sealed class OpenAISdkTests
{
    private static ChatClient Chat(ScriptedOpenAIEndpoint endpoint) =>
        OpenDeskOpenAITools.CreateClient(endpoint.BaseUrl, "test-key").GetChatClient("fake-model");

    [Fact]
    public async Task ChatTools_carry_the_catalog_names_descriptions_and_schemas_verbatim()
    {
        await using TestDesk desk = TestDesk.Create();
        var adapter = new OpenDeskOpenAITools(desk.Tools);
        await using ScriptedOpenAIEndpoint endpoint = await ScriptedOpenAIEndpoint.StartAsync(ScriptTurn.Answer("hi"));

        await Chat(endpoint).CompleteChatAsync([new UserChatMessage("hello")], new ChatCompletionOptions { Tools = { adapter.ChatTools[0] } });
        foreach (ChatTool t in adapter.ChatTools)
        {
            Assert.Contains(desk.Tools, f => f.Name == t.FunctionName && f.Description == t.FunctionDescription);
        }

        var messages = new List<ChatMessage> { new UserChatMessage("go") };
        await OpenDeskAgentLoop.RunAsync(Chat(endpoint), adapter, messages);
        Dictionary<string, (string Description, JsonNode Parameters)> offered = TestDesk.OfferedTools(endpoint.ChatRequests[^1]);
        Assert.Equal(desk.Tools.Select(t => t.Name).Order(), offered.Keys.Order());
        foreach (var tool in desk.Tools)
        {
            Assert.Equal(tool.Description, offered[tool.Name].Description);
            // Verbatim: the same JSON text, key order included.
            Assert.Equal(TestDesk.Parse(tool.JsonSchema)!.ToJsonString(), offered[tool.Name].Parameters.ToJsonString());
        }

        Assert.Contains("peer", offered["screenshot"].Parameters["properties"]!.AsObject().Select(p => p.Key));
    }

    [Fact]
    public async Task Agent_loop_runs_screenshot_click_type_and_the_model_sees_the_image_in_a_user_message()
    {
        await using TestDesk desk = TestDesk.Create();
        await using ScriptedOpenAIEndpoint endpoint = await ScriptedOpenAIEndpoint.StartAsync(TestDesk.ThreeStepScript());
        var adapter = new OpenDeskOpenAITools(desk.Tools);
        var messages = new List<ChatMessage> { new SystemChatMessage("You drive a computer."), new UserChatMessage("Click Save, then type hello.") };

        OpenDeskAgentResult result = await OpenDeskAgentLoop.RunAsync(Chat(endpoint), adapter, messages);

        Assert.Equal("All done.", result.FinalText);
        Assert.Equal(4, result.Iterations);
        Assert.Equal(3, result.ToolCalls);
        Assert.False(result.ReachedIterationCap);
        TestDesk.AssertThreeSteps(desk.Computer);

        // Request 2 (after the screenshot): assistant tool_calls, the tool message (text only), then one user message with the image.
        JsonArray sent = endpoint.ChatRequests[1]["messages"]!.AsArray();
        JsonNode tool = sent.Single(m => m!["role"]!.GetValue<string>() == "tool")!;
        Assert.Equal("call_1", tool["tool_call_id"]!.GetValue<string>());
        string toolText = tool["content"]!.GetValue<string>();
        Assert.StartsWith("Screenshot 1280x800", toolText);
        Assert.EndsWith("[1 image attached in the next user message]", toolText);
        JsonNode last = sent[^1]!;
        Assert.Equal("user", last["role"]!.GetValue<string>());
        Assert.Equal("Image(s) returned by tool call call_1:", last["content"]![0]!["text"]!.GetValue<string>());
        string url = Assert.Single(TestDesk.ImageUrls(endpoint.ChatRequests[1]));
        TestDesk.AssertImageUrl(url);

        // The later tool messages are text (mouse and keyboard return no image).
        JsonArray final = endpoint.ChatRequests[3]["messages"]!.AsArray();
        Assert.Equal(3, final.Count(m => m!["role"]!.GetValue<string>() == "tool"));
        Assert.Contains(final, m => m!["role"]!.GetValue<string>() == "tool" && m["content"]!.GetValue<string>().Contains("click", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Parallel_tool_calls_in_one_turn_run_in_order_and_images_follow_all_tool_messages()
    {
        await using TestDesk desk = TestDesk.Create();
        await using ScriptedOpenAIEndpoint endpoint = await ScriptedOpenAIEndpoint.StartAsync(
            ScriptTurn.Tools(
                new ScriptedCall("screenshot", "{}"),
                new ScriptedCall("mouse", "{\"action\":\"move\",\"x\":10,\"y\":20,\"settle_ms\":0}"),
                new ScriptedCall("screenshot", "{\"format\":\"png\"}")),
            ScriptTurn.Answer("ok"));
        var messages = new List<ChatMessage> { new UserChatMessage("go") };

        OpenDeskAgentResult result = await OpenDeskAgentLoop.RunAsync(Chat(endpoint), new OpenDeskOpenAITools(desk.Tools), messages);

        Assert.Equal("ok", result.FinalText);
        Assert.Equal(3, result.ToolCalls);
        JsonArray sent = endpoint.ChatRequests[1]["messages"]!.AsArray();
        string[] roles = [.. sent.Select(m => m!["role"]!.GetValue<string>())];
        Assert.Equal(["user", "assistant", "tool", "tool", "tool", "user"], roles);
        Assert.Equal(["call_1", "call_2", "call_3"], sent.Where(m => m!["role"]!.GetValue<string>() == "tool").Select(m => m!["tool_call_id"]!.GetValue<string>()));
        List<string> urls = TestDesk.ImageUrls(endpoint.ChatRequests[1]);
        Assert.Equal(2, urls.Count);
        Assert.All(urls, TestDesk.AssertImageUrl);
        JsonArray parts = sent[^1]!["content"]!.AsArray();
        Assert.Equal(["text", "image_url", "text", "image_url"], parts.Select(p => p!["type"]!.GetValue<string>()));
        Assert.Equal("Image(s) returned by tool call call_3:", parts[2]!["text"]!.GetValue<string>());
        Assert.Contains("input.pointer move", TestDesk.InputCalls(desk.Computer)[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_tool_calls_get_error_tool_messages_and_the_loop_continues()
    {
        await using TestDesk desk = TestDesk.Create();
        await using ScriptedOpenAIEndpoint endpoint = await ScriptedOpenAIEndpoint.StartAsync(
            ScriptTurn.Tools(
                new ScriptedCall("no_such_tool", "{}"),
                new ScriptedCall("mouse", "{\"action\":\"click\", x: oops"),
                new ScriptedCall("mouse", "[1,2]"),
                new ScriptedCall("mouse", "{\"action\":\"fly\"}"),
                new ScriptedCall("mouse", "{\"action\":\"move\",\"bogus\":1}")),
            ScriptTurn.Tool("keyboard", "{\"action\":\"type\",\"text\":\"hi\"}"),
            ScriptTurn.Answer("recovered"));
        var messages = new List<ChatMessage> { new UserChatMessage("go") };

        OpenDeskAgentResult result = await OpenDeskAgentLoop.RunAsync(Chat(endpoint), new OpenDeskOpenAITools(desk.Tools), messages);

        Assert.Equal("recovered", result.FinalText);
        Assert.Equal(3, result.Iterations);
        string[] errors = [.. endpoint.ChatRequests[1]["messages"]!.AsArray()
            .Where(m => m!["role"]!.GetValue<string>() == "tool").Select(m => m!["content"]!.GetValue<string>())];
        Assert.Equal(5, errors.Length);
        Assert.All(errors, e => Assert.StartsWith("Error: ", e));
        Assert.StartsWith("Error: unknown tool 'no_such_tool'. Available tools: ", errors[0]);
        Assert.Contains("screenshot", errors[0]);
        Assert.StartsWith("Error: the arguments of 'mouse' are not a valid JSON object", errors[1]);
        Assert.StartsWith("Error: the arguments of 'mouse' are not a valid JSON object (expected an object, got array)", errors[2]);
        Assert.Contains("action", errors[3]);
        Assert.Contains("bogus", errors[4]);
        Assert.Equal(["input.text 2 chars"], TestDesk.InputCalls(desk.Computer));
    }

    [Fact]
    public async Task Iteration_cap_stops_a_model_that_never_stops_calling_tools()
    {
        await using TestDesk desk = TestDesk.Create();
        await using ScriptedOpenAIEndpoint endpoint = await ScriptedOpenAIEndpoint.StartAsync(
            [.. Enumerable.Repeat(ScriptTurn.Tool("mouse", "{\"action\":\"cursor_position\"}"), 10)]);
        var messages = new List<ChatMessage> { new UserChatMessage("go") };

        OpenDeskAgentResult result = await OpenDeskAgentLoop.RunAsync(
            Chat(endpoint), new OpenDeskOpenAITools(desk.Tools), messages, new OpenDeskAgentOptions { MaxIterations = 3 });

        Assert.True(result.ReachedIterationCap);
        Assert.Null(result.FinalText);
        Assert.Equal(3, result.Iterations);
        Assert.Equal(3, endpoint.ChatRequests.Count);
        Assert.Equal(7, endpoint.Remaining);
    }

    [Fact]
    public async Task Only_the_last_N_images_are_re_sent()
    {
        await using TestDesk desk = TestDesk.Create();
        await using ScriptedOpenAIEndpoint endpoint = await ScriptedOpenAIEndpoint.StartAsync(
            [.. Enumerable.Repeat(ScriptTurn.Tool("screenshot", "{}"), 5), ScriptTurn.Answer("ok")]);
        var messages = new List<ChatMessage> { new UserChatMessage("go") };

        await OpenDeskAgentLoop.RunAsync(Chat(endpoint), new OpenDeskOpenAITools(desk.Tools), messages, new OpenDeskAgentOptions { MaxImages = 2 });

        JsonObject last = endpoint.ChatRequests[^1];
        Assert.Equal(2, TestDesk.ImageUrls(last).Count);
        string json = last.ToJsonString();
        Assert.Equal(3, CountOf(json, "older screenshot omitted"));
        // The caller's history keeps every image.
        Assert.Equal(5, messages.OfType<UserChatMessage>().SelectMany(m => m.Content).Count(p => p.Kind == ChatMessageContentPartKind.Image));
    }

    [Fact]
    public async Task Peer_routing_works_through_the_OpenAI_adapter()
    {
        await using TestDesk desk = TestDesk.Create(withPeer: true);
        await using ScriptedOpenAIEndpoint endpoint = await ScriptedOpenAIEndpoint.StartAsync(TestDesk.ThreeStepScript(peerJson: ",\"peer\":\"desk2\""));
        var messages = new List<ChatMessage> { new UserChatMessage("go") };

        OpenDeskAgentResult result = await OpenDeskAgentLoop.RunAsync(Chat(endpoint), new OpenDeskOpenAITools(desk.Tools), messages);

        Assert.Equal("All done.", result.FinalText);
        TestDesk.AssertThreeSteps(desk.Peers!.Remote);
        Assert.Empty(TestDesk.InputCalls(desk.Computer));
        string toolText = endpoint.ChatRequests[1]["messages"]!.AsArray().Single(m => m!["role"]!.GetValue<string>() == "tool")!["content"]!.GetValue<string>();
        Assert.StartsWith("[on desk2] Screenshot", toolText);
        Assert.Single(TestDesk.ImageUrls(endpoint.ChatRequests[1]));
    }

    [Fact]
    public async Task Responses_API_loop_sends_function_call_outputs_then_a_user_message_with_the_image()
    {
        await using TestDesk desk = TestDesk.Create();
        await using ScriptedOpenAIEndpoint endpoint = await ScriptedOpenAIEndpoint.StartAsync(TestDesk.ThreeStepScript());
        var adapter = new OpenDeskOpenAITools(desk.Tools);
        ResponsesClient client = OpenDeskOpenAITools.CreateClient(endpoint.BaseUrl, "k").GetResponsesClient();
        var input = new List<ResponseItem> { ResponseItem.CreateUserMessageItem("Click Save, then type hello.") };

        OpenDeskAgentResult result = await OpenDeskAgentLoop.RunAsync(client, "fake-model", adapter, input);

        Assert.Equal("All done.", result.FinalText);
        Assert.Equal(3, result.ToolCalls);
        TestDesk.AssertThreeSteps(desk.Computer);
        JsonObject second = endpoint.Requests[1].Body;
        Assert.Equal("/v1/responses", endpoint.Requests[1].Path);
        JsonNode tools = second["tools"]!;
        JsonNode screenshotTool = tools.AsArray().Single(t => t!["name"]!.GetValue<string>() == "screenshot")!;
        Assert.Equal("function", screenshotTool["type"]!.GetValue<string>());
        Assert.True(TestDesk.JsonEquals(TestDesk.Parse(desk.Tools[0].JsonSchema), screenshotTool["parameters"]));
        JsonArray items = second["input"]!.AsArray();
        JsonNode output = items.Single(i => i!["type"]?.GetValue<string>() == "function_call_output")!;
        Assert.EndsWith("[1 image attached in the next user message]", output["output"]!.GetValue<string>());
        JsonNode user = items[^1]!;
        Assert.Equal("user", user["role"]!.GetValue<string>());
        JsonNode image = user["content"]!.AsArray().Single(p => p!["type"]!.GetValue<string>() == "input_image")!;
        TestDesk.AssertImageUrl(image["image_url"]!.GetValue<string>());
    }

    private static int CountOf(string text, string what)
    {
        int count = 0;
        for (int i = text.IndexOf(what, StringComparison.Ordinal); i >= 0; i = text.IndexOf(what, i + 1, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
