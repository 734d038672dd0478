// SAMPLE: OpenDesk with Microsoft.Extensions.AI (IChatClient + UseFunctionInvocation), OpenAI-compatible endpoints.
// Usage: dotnet run --project samples/OpenDesk.Samples.ExtensionsAI [-- --base-url http://127.0.0.1:8080/v1 --model NAME --api-key KEY --local --virtual-display]
// Without --base-url a scripted fake endpoint plays the model; without --local the tools drive a FakeComputer.
using Microsoft.Extensions.AI;
using OpenDesk.Adapters;
using OpenDesk.Samples;

await using SampleHost host = await SampleHost.StartAsync(args);

// The provider client, wrapped: tools offered on every request, tool calls run (at most 15 rounds), screenshots moved
// into a user message (tool messages carry text only), only the last 3 screenshots re-sent.
IChatClient provider = OpenDeskOpenAITools.CreateClient(host.BaseUrl, host.ApiKey).GetChatClient(host.Model).AsIChatClient();
IChatClient chat = OpenDeskChatClient.Create(provider, host.Tools, new OpenDeskAgentOptions { MaxIterations = 15, MaxImages = 3 });

ChatResponse response = await chat.GetResponseAsync(
[
    new ChatMessage(ChatRole.System, "You operate a computer with the OpenDesk tools. Take a screenshot before acting."),
    new ChatMessage(ChatRole.User, host.Prompt),
]);

foreach (ChatMessage m in response.Messages)
{
    foreach (AIContent c in m.Contents)
    {
        Console.WriteLine(c switch
        {
            FunctionCallContent call => $"assistant → {call.Name}({string.Join(", ", (call.Arguments ?? new Dictionary<string, object?>()).Select(a => $"{a.Key}={a.Value}"))})",
            FunctionResultContent r when r.Result is IEnumerable<AIContent> list => $"tool {r.CallId}: " + string.Join(" + ", list.Select(x => x is TextContent t ? t.Text.Split('\n')[0] : $"[{(x as DataContent)?.MediaType}]")),
            FunctionResultContent r => $"tool {r.CallId}: {r.Result}",
            TextContent t => $"{m.Role}: {t.Text}",
            _ => $"{m.Role}: {c.GetType().Name}",
        });
    }
}

Console.WriteLine("final: " + response.Text);
host.Report();
return 0;
