// SAMPLE: OpenDesk as a Semantic Kernel plugin with automatic function calling.
// Usage: dotnet run --project samples/OpenDesk.Samples.SemanticKernel [-- --base-url http://127.0.0.1:8080/v1 --model NAME --api-key KEY --local --virtual-display]
// Without --base-url a scripted fake endpoint plays the model; without --local the tools drive a FakeComputer.
using Microsoft.Extensions.AI;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using OpenDesk.Adapters;
using OpenDesk.Samples;

// SK shows the model the plugin prefix: opendesk_screenshot, opendesk_mouse, ... (admin tools keep their names).
await using SampleHost host = await SampleHost.StartAsync(args, toolPrefix: "opendesk_");

// 1. Any IChatClient for the model (here the OpenAI SDK against the base URL).
IChatClient provider = OpenDeskOpenAITools.CreateClient(host.BaseUrl, host.ApiKey).GetChatClient(host.Model).AsIChatClient();

// 2. One call: the "opendesk" plugin + a chat service that keeps screenshots visible and sends the exact schemas.
IKernelBuilder builder = Kernel.CreateBuilder();
builder.AddOpenDesk(provider, host.Tools, new OpenDeskKernelOptions { MaxImages = 3 });
Kernel kernel = builder.Build();
Console.WriteLine("tools the model sees: " + string.Join(", ", kernel.Plugins["opendesk"].Select(f => "opendesk_" + f.Name)));

// 3. Automatic function calling.
var history = new ChatHistory("You operate a computer with the OpenDesk tools. Take a screenshot before acting.");
history.AddUserMessage(host.Prompt);
var settings = new PromptExecutionSettings { FunctionChoiceBehavior = FunctionChoiceBehavior.Auto() };
ChatMessageContent reply = await kernel.GetRequiredService<IChatCompletionService>().GetChatMessageContentAsync(history, settings, kernel);

foreach (ChatMessageContent m in history.Skip(2))
{
    foreach (KernelContent item in m.Items)
    {
        Console.WriteLine(item switch
        {
            Microsoft.SemanticKernel.FunctionCallContent call => $"assistant → {(string.IsNullOrEmpty(call.PluginName) ? "" : call.PluginName + "_")}{call.FunctionName}",
            Microsoft.SemanticKernel.FunctionResultContent result => $"tool {result.CallId}: " + Summary(result.Result),
            _ => $"{m.Role}: {item}",
        });
    }
}

Console.WriteLine("final: " + reply.Content);
host.Report();
return 0;

static string Summary(object? result) => result switch
{
    IEnumerable<AIContent> contents => string.Join(" + ", contents.Select(c => c is Microsoft.Extensions.AI.TextContent t ? t.Text.Split('\n')[0] : $"[{(c as DataContent)?.MediaType}]")),
    _ => result?.ToString()?.Split('\n')[0] ?? "",
};
