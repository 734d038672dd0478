// SAMPLE: OpenDesk with the official OpenAI .NET SDK (Chat Completions function calling).
// Usage: dotnet run --project samples/OpenDesk.Samples.OpenAI [-- --base-url http://127.0.0.1:8080/v1 --model NAME --api-key KEY --local --virtual-display]
// Without --base-url a scripted fake endpoint plays the model; without --local the tools drive a FakeComputer.
using OpenAI.Chat;
using OpenDesk.Adapters;
using OpenDesk.Samples;

await using SampleHost host = await SampleHost.StartAsync(args);

// 1. The catalog as ChatTools + a dispatcher (tool messages, then one user message with the screenshots).
var tools = new OpenDeskOpenAITools(host.Tools);
ChatClient chat = OpenDeskOpenAITools.CreateClient(host.BaseUrl, host.ApiKey).GetChatClient(host.Model);

// 2. The loop: ask, run tool calls, repeat; at most 15 model calls, only the last 3 screenshots re-sent.
var messages = new List<ChatMessage>
{
    new SystemChatMessage("You operate a computer with the OpenDesk tools. Take a screenshot before acting."),
    new UserChatMessage(host.Prompt),
};
OpenDeskAgentResult result = await OpenDeskAgentLoop.RunAsync(chat, tools, messages, new OpenDeskAgentOptions { MaxIterations = 15, MaxImages = 3 });

foreach (ChatMessage m in messages.Skip(2))
{
    string line = m switch
    {
        AssistantChatMessage a when a.ToolCalls.Count > 0 => "assistant → " + string.Join(", ", a.ToolCalls.Select(c => $"{c.FunctionName}({c.FunctionArguments})")),
        AssistantChatMessage a => "assistant: " + string.Concat(a.Content.Select(p => p.Text)),
        ToolChatMessage t => $"tool {t.ToolCallId}: " + string.Concat(t.Content.Select(p => p.Text)).Split('\n')[0],
        UserChatMessage u => $"user: {u.Content.Count(p => p.Kind == ChatMessageContentPartKind.Image)} image(s) from the tools",
        _ => m.GetType().Name,
    };
    Console.WriteLine(line);
}

Console.WriteLine($"final: {result.FinalText ?? "(iteration cap reached)"} after {result.Iterations} model calls and {result.ToolCalls} tool calls");
host.Report();
return result.ReachedIterationCap ? 1 : 0;
