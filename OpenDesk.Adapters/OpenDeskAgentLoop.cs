using System.Diagnostics.CodeAnalysis;
using OpenAI.Chat;
using OpenAI.Responses;
using ChatMessage = OpenAI.Chat.ChatMessage;

namespace OpenDesk.Adapters;

/// <summary>
/// A small agent loop over the raw OpenAI SDK: ask the model, run its tool calls with <see cref="OpenDeskOpenAITools"/>,
/// append the results, repeat until the model answers without tool calls or the iteration cap is reached.
/// </summary>
public static class OpenDeskAgentLoop
{
    /// <summary>Runs the loop on Chat Completions. <paramref name="messages"/> receives every new message.</summary>
    /// <param name="client">The chat client (any OpenAI-compatible endpoint, see <see cref="OpenDeskOpenAITools.CreateClient"/>).</param>
    /// <param name="tools">The catalog adapter.</param>
    /// <param name="messages">The conversation so far (system and user messages); the loop appends to it.</param>
    /// <param name="options">Loop options, or null for the defaults.</param>
    /// <param name="completionOptions">Request options (the catalog tools are added), or null.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    public static async Task<OpenDeskAgentResult> RunAsync(
        ChatClient client,
        OpenDeskOpenAITools tools,
        IList<ChatMessage> messages,
        OpenDeskAgentOptions? options = null,
        ChatCompletionOptions? completionOptions = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(tools);
        ArgumentNullException.ThrowIfNull(messages);
        options ??= new OpenDeskAgentOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxIterations, 1);
        completionOptions ??= new ChatCompletionOptions();
        var present = new HashSet<string>(completionOptions.Tools.Select(t => t.FunctionName), StringComparer.Ordinal);
        foreach (ChatTool tool in tools.ChatTools.Where(t => !present.Contains(t.FunctionName)))
        {
            completionOptions.Tools.Add(tool);
        }

        var imageMessages = new Dictionary<ChatMessage, int>(ReferenceEqualityComparer.Instance);
        int toolCalls = 0;
        for (int iteration = 1; iteration <= options.MaxIterations; iteration++)
        {
            IList<ChatMessage> request = PruneImages(messages, imageMessages, options.MaxImages);
            ChatCompletion completion = (await client.CompleteChatAsync(request, completionOptions, cancellationToken).ConfigureAwait(false)).Value;
            messages.Add(new AssistantChatMessage(completion));
            if (completion.ToolCalls.Count == 0)
            {
                string text = string.Concat(completion.Content.Where(p => p.Kind == ChatMessageContentPartKind.Text).Select(p => p.Text));
                return new OpenDeskAgentResult(text, iteration, toolCalls, ReachedIterationCap: false);
            }

            toolCalls += completion.ToolCalls.Count;
            foreach (ChatMessage m in await tools.DispatchAsync(completion.ToolCalls, cancellationToken).ConfigureAwait(false))
            {
                messages.Add(m);
                if (m is UserChatMessage user)
                {
                    imageMessages[m] = user.Content.Count(p => p.Kind == ChatMessageContentPartKind.Image);
                }
            }
        }

        return new OpenDeskAgentResult(null, options.MaxIterations, toolCalls, ReachedIterationCap: true);
    }

    /// <summary>Runs the loop on the Responses API (stateless: the whole input is re-sent each time). <paramref name="inputItems"/> receives every new item.</summary>
    /// <param name="client">The responses client.</param>
    /// <param name="model">The model name.</param>
    /// <param name="tools">The catalog adapter.</param>
    /// <param name="inputItems">The input so far (e.g. one user message item); the loop appends to it.</param>
    /// <param name="options">Loop options, or null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    [Experimental("OPENAI001")]
    public static async Task<OpenDeskAgentResult> RunAsync(
        ResponsesClient client,
        string model,
        OpenDeskOpenAITools tools,
        IList<ResponseItem> inputItems,
        OpenDeskAgentOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(tools);
        ArgumentNullException.ThrowIfNull(inputItems);
        options ??= new OpenDeskAgentOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxIterations, 1);
        var imageItems = new Dictionary<ResponseItem, int>(ReferenceEqualityComparer.Instance);
        int toolCalls = 0;
        for (int iteration = 1; iteration <= options.MaxIterations; iteration++)
        {
            var request = new CreateResponseOptions(model, PruneImages(inputItems, imageItems, options.MaxImages))
            {
                StoredOutputEnabled = false,
                ParallelToolCallsEnabled = true,
            };
            foreach (ResponseTool tool in tools.ResponseTools)
            {
                request.Tools.Add(tool);
            }

            ResponseResult response = (await client.CreateResponseAsync(request, cancellationToken).ConfigureAwait(false)).Value;
            var calls = new List<FunctionCallResponseItem>();
            foreach (ResponseItem item in response.OutputItems)
            {
                inputItems.Add(item);
                if (item is FunctionCallResponseItem call)
                {
                    calls.Add(call);
                }
            }

            if (calls.Count == 0)
            {
                return new OpenDeskAgentResult(response.GetOutputText(), iteration, toolCalls, ReachedIterationCap: false);
            }

            toolCalls += calls.Count;
            foreach (ResponseItem item in await tools.DispatchAsync(calls, cancellationToken).ConfigureAwait(false))
            {
                inputItems.Add(item);
                if (item is MessageResponseItem message)
                {
                    imageItems[item] = message.Content.Count(p => p.Kind == ResponseContentPartKind.InputImage);
                }
            }
        }

        return new OpenDeskAgentResult(null, options.MaxIterations, toolCalls, ReachedIterationCap: true);
    }

    private static List<ChatMessage> PruneImages(IList<ChatMessage> messages, Dictionary<ChatMessage, int> imageMessages, int maxImages)
    {
        var drop = ImagesToDrop(messages, imageMessages, maxImages);
        var result = new List<ChatMessage>(messages.Count);
        foreach (ChatMessage m in messages)
        {
            if (!drop.TryGetValue(m, out int count))
            {
                result.Add(m);
                continue;
            }

            var parts = new List<ChatMessageContentPart>();
            int dropped = 0;
            foreach (ChatMessageContentPart part in m.Content)
            {
                if (part.Kind == ChatMessageContentPartKind.Image && dropped < count)
                {
                    dropped++;
                    parts.Add(ChatMessageContentPart.CreateTextPart(ToolResults.OmittedImage));
                }
                else
                {
                    parts.Add(part);
                }
            }

            result.Add(new UserChatMessage(parts));
        }

        return result;
    }

    [Experimental("OPENAI001")]
    private static List<ResponseItem> PruneImages(IList<ResponseItem> items, Dictionary<ResponseItem, int> imageItems, int maxImages)
    {
        var drop = ImagesToDrop(items, imageItems, maxImages);
        var result = new List<ResponseItem>(items.Count);
        foreach (ResponseItem item in items)
        {
            if (!drop.TryGetValue(item, out int count) || item is not MessageResponseItem message)
            {
                result.Add(item);
                continue;
            }

            var parts = new List<ResponseContentPart>();
            int dropped = 0;
            foreach (ResponseContentPart part in message.Content)
            {
                if (part.Kind == ResponseContentPartKind.InputImage && dropped < count)
                {
                    dropped++;
                    parts.Add(ResponseContentPart.CreateInputTextPart(ToolResults.OmittedImage));
                }
                else
                {
                    parts.Add(part);
                }
            }

            result.Add(ResponseItem.CreateUserMessageItem(parts));
        }

        return result;
    }

    /// <summary>For each tracked message holding images, how many of its (oldest) images to drop so that only the last <paramref name="maxImages"/> remain.</summary>
    private static Dictionary<T, int> ImagesToDrop<T>(IList<T> messages, Dictionary<T, int> tracked, int maxImages)
        where T : class
    {
        var drop = new Dictionary<T, int>(ReferenceEqualityComparer.Instance);
        int budget = Math.Max(0, maxImages);
        for (int i = messages.Count - 1; i >= 0; i--)
        {
            if (!tracked.TryGetValue(messages[i], out int images) || images == 0)
            {
                continue;
            }

            int kept = Math.Min(budget, images);
            budget -= kept;
            if (kept < images)
            {
                drop[messages[i]] = images - kept;
            }
        }

        return drop;
    }
}

/// <summary>The outcome of an agent-loop run.</summary>
/// <param name="FinalText">The model's last answer, or null when the iteration cap stopped the run.</param>
/// <param name="Iterations">How many model calls were made.</param>
/// <param name="ToolCalls">How many tool calls were run.</param>
/// <param name="ReachedIterationCap">True when the run stopped at <see cref="OpenDeskAgentOptions.MaxIterations"/>.</param>
public sealed record OpenDeskAgentResult(string? FinalText, int Iterations, int ToolCalls, bool ReachedIterationCap);
