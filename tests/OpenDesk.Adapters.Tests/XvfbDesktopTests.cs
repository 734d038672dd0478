using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using OpenDesk.Local;
using OpenDesk.Mcp;

namespace OpenDesk.Adapters.Tests;

/// <summary>The adapters against a real desktop: a private Xvfb started by <see cref="LocalComputer"/>.</summary>
[Collection(XvfbCollection.Name)]
public sealed class XvfbDesktopTests(ITestOutputHelper output)
{
    [Fact]
    public async Task SK_auto_function_calling_runs_the_script_on_an_Xvfb_desktop()
    {
        if (!OperatingSystem.IsLinux() || !VirtualDisplay.IsAvailable)
        {
            Assert.Skip("Xvfb is not available");
        }

        await using LocalComputer computer = LocalComputer.Create(new LocalComputerOptions { UseVirtualDisplay = true, EnableOcr = false });
        await using var session = new McpSession(computer);
        IReadOnlyList<AIFunction> tools = OpenDeskTools.Create(session);
        await using ScriptedOpenAIEndpoint endpoint = await ScriptedOpenAIEndpoint.StartAsync(
            ScriptTurn.Tool("opendesk_screenshot", "{}"),
            ScriptTurn.Tool("opendesk_mouse", "{\"action\":\"click\",\"x\":200,\"y\":150}"),
            ScriptTurn.Tool("opendesk_keyboard", "{\"action\":\"type\",\"text\":\"hello\"}"),
            ScriptTurn.Answer("All done."));
        IKernelBuilder builder = Kernel.CreateBuilder();
        builder.AddOpenDesk(OpenDeskOpenAITools.CreateClient(endpoint.BaseUrl, "k").GetChatClient("fake").AsIChatClient(), tools);
        Kernel kernel = builder.Build();
        var history = new ChatHistory();
        history.AddUserMessage("Click at 200,150 and type hello.");

        ChatMessageContent reply = await kernel.GetRequiredService<IChatCompletionService>().GetChatMessageContentAsync(
            history, new PromptExecutionSettings { FunctionChoiceBehavior = FunctionChoiceBehavior.Auto() }, kernel);

        Assert.Equal("All done.", reply.Content);
        string[] results = [.. endpoint.ChatRequests[3]["messages"]!.AsArray()
            .Where(m => m!["role"]!.GetValue<string>() == "tool").Select(m => m!["content"]!.GetValue<string>())];
        output.WriteLine(string.Join("\n---\n", results));
        Assert.Equal(3, results.Length);
        Assert.All(results, r => Assert.DoesNotContain("Error", r, StringComparison.Ordinal));
        Assert.Matches(@"^Screenshot \d+x\d+ \(jpeg\) of the desktop", results[0]);
        Assert.Contains("Clicked at", results[1], StringComparison.Ordinal);
        Assert.Contains("Typed 5", results[2], StringComparison.Ordinal);
        string url = Assert.Single(TestDesk.ImageUrls(endpoint.ChatRequests[1]));
        Assert.StartsWith("data:image/jpeg;base64,/9j/", url);
        JsonNode? user = endpoint.ChatRequests[1]["messages"]!.AsArray()[^1];
        Assert.Equal("user", user!["role"]!.GetValue<string>());
    }
}

/// <summary>
/// Tests that start private Xvfb desktops run one at a time, so two desktops (and their apps) do not compete for the
/// CPU. Display numbers cannot collide: VirtualDisplay lets Xvfb pick a free one (-displayfd).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class XvfbCollection
{
    public const string Name = "Xvfb desktops";
}
