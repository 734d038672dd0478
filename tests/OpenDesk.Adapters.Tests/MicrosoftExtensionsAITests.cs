using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;

namespace OpenDesk.Adapters.Tests;

public sealed class MicrosoftExtensionsAITests(ITestOutputHelper output)
{
    private static IChatClient Provider(ScriptedOpenAIEndpoint endpoint) =>
        OpenDeskOpenAITools.CreateClient(endpoint.BaseUrl, "k").GetChatClient("fake-model").AsIChatClient();

    [Fact]
    public async Task UseFunctionInvocation_runs_screenshot_click_type_with_the_image_in_a_user_message()
    {
        await using TestDesk desk = TestDesk.Create();
        await using ScriptedOpenAIEndpoint endpoint = await ScriptedOpenAIEndpoint.StartAsync(TestDesk.ThreeStepScript());
        IChatClient chat = OpenDeskChatClient.Create(Provider(endpoint), desk.Tools);

        ChatResponse response = await chat.GetResponseAsync("Click Save, then type hello.");

        Assert.Equal("All done.", response.Text);
        TestDesk.AssertThreeSteps(desk.Computer);
        var offered = TestDesk.OfferedTools(endpoint.ChatRequests[0]);
        foreach (AIFunction tool in desk.Tools)
        {
            Assert.True(TestDesk.JsonEquals(TestDesk.WithRequired(tool.JsonSchema), offered[tool.Name].Parameters), tool.Name);
        }

        JsonArray sent = endpoint.ChatRequests[1]["messages"]!.AsArray();
        Assert.Equal(["user", "assistant", "tool", "user"], sent.Select(m => m!["role"]!.GetValue<string>()));
        Assert.EndsWith("[1 image attached in the next user message]", sent[2]!["content"]!.GetValue<string>());
        TestDesk.AssertImageUrl(Assert.Single(TestDesk.ImageUrls(endpoint.ChatRequests[1])));
        // The returned messages keep the original results (the image stays a DataContent in the history).
        Assert.Contains(response.Messages.SelectMany(m => m.Contents).OfType<FunctionResultContent>(),
            r => r.Result is IEnumerable<AIContent> list && list.OfType<DataContent>().Any());
    }

    [Fact]
    public async Task Streaming_path_moves_images_too()
    {
        await using TestDesk desk = TestDesk.Create();
        await using ScriptedOpenAIEndpoint endpoint = await ScriptedOpenAIEndpoint.StartAsync(TestDesk.ThreeStepScript());
        IChatClient chat = OpenDeskChatClient.Create(Provider(endpoint), desk.Tools);

        var text = new System.Text.StringBuilder();
        await foreach (ChatResponseUpdate update in chat.GetStreamingResponseAsync("Click Save, then type hello."))
        {
            text.Append(update.Text);
        }

        Assert.Equal("All done.", text.ToString());
        TestDesk.AssertThreeSteps(desk.Computer);
        Assert.True(endpoint.ChatRequests[0]["stream"]!.GetValue<bool>());
        TestDesk.AssertImageUrl(Assert.Single(TestDesk.ImageUrls(endpoint.ChatRequests[1])));
    }

    [Fact]
    public async Task Bad_tool_calls_get_error_results_and_the_loop_continues()
    {
        await using TestDesk desk = TestDesk.Create();
        await using ScriptedOpenAIEndpoint endpoint = await ScriptedOpenAIEndpoint.StartAsync(
            ScriptTurn.Tools(
                new ScriptedCall("no_such_tool", "{}"),
                new ScriptedCall("mouse", "{\"action\":\"click\", x: oops"),
                new ScriptedCall("mouse", "{\"action\":\"fly\"}")),
            ScriptTurn.Tool("keyboard", "{\"action\":\"type\",\"text\":\"hi\"}"),
            ScriptTurn.Answer("recovered"));
        IChatClient chat = OpenDeskChatClient.Create(Provider(endpoint), desk.Tools);

        ChatResponse response = await chat.GetResponseAsync("go");

        Assert.Equal("recovered", response.Text);
        string[] results = [.. endpoint.ChatRequests[1]["messages"]!.AsArray()
            .Where(m => m!["role"]!.GetValue<string>() == "tool").Select(m => m!["content"]!.GetValue<string>())];
        output.WriteLine(string.Join("\n", results));
        Assert.Equal(3, results.Length);
        Assert.All(results, r => Assert.StartsWith("Error", r));
        Assert.Contains("not found", results[0]);
        Assert.StartsWith("Error: the arguments of 'mouse' are not a valid JSON object", results[1]);
        Assert.Contains("'fly' is not one of", results[2]);
        Assert.Equal(["input.text 2 chars"], TestDesk.InputCalls(desk.Computer));
    }

    [Fact]
    public async Task Iteration_cap_bounds_the_model_calls_of_one_request()
    {
        await using TestDesk desk = TestDesk.Create();
        await using ScriptedOpenAIEndpoint endpoint = await ScriptedOpenAIEndpoint.StartAsync(
            [.. Enumerable.Repeat(ScriptTurn.Tool("mouse", "{\"action\":\"cursor_position\"}"), 10)]);
        IChatClient chat = OpenDeskChatClient.Create(Provider(endpoint), desk.Tools, new OpenDeskAgentOptions { MaxIterations = 3 });

        await chat.GetResponseAsync("go");

        // M.E.AI makes MaximumIterationsPerRequest tool rounds, then one last request without tools.
        output.WriteLine($"requests: {endpoint.ChatRequests.Count}");
        Assert.InRange(endpoint.ChatRequests.Count, 3, 4);
        Assert.True(endpoint.Remaining >= 6);
    }

    [Fact]
    public async Task Peer_routing_works_through_the_MEAI_adapter()
    {
        await using TestDesk desk = TestDesk.Create(withPeer: true);
        await using ScriptedOpenAIEndpoint endpoint = await ScriptedOpenAIEndpoint.StartAsync(TestDesk.ThreeStepScript(peerJson: ",\"peer\":\"desk2\""));
        IChatClient chat = OpenDeskChatClient.Create(Provider(endpoint), desk.Tools);

        ChatResponse response = await chat.GetResponseAsync("On desk2: click Save, then type hello.");

        Assert.Equal("All done.", response.Text);
        TestDesk.AssertThreeSteps(desk.Peers!.Remote);
        Assert.Empty(TestDesk.InputCalls(desk.Computer));
    }
}
