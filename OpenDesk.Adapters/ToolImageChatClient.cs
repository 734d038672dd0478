using Microsoft.Extensions.AI;

namespace OpenDesk.Adapters;

/// <summary>
/// Makes tool images visible to chat-completions models. A <c>role: tool</c> message can carry text only, so this
/// client (placed between the function-invoking client and the provider client) rewrites what is sent: every
/// <see cref="FunctionResultContent"/> whose result holds images becomes its text plus a note, and the images follow
/// in <b>one</b> user message right after the run of tool messages (<c>Image(s) returned by tool call &lt;id&gt;:</c>
/// then the images). Only the last <see cref="MaxImages"/> tool images are re-sent; older ones are replaced by a
/// short note. The conversation history itself is not changed.
/// </summary>
/// <remarks>
/// <code>
/// IChatClient chat = provider.AsBuilder()
///     .UseFunctionInvocation()
///     .Use(inner =&gt; new ToolImageChatClient(inner, maxImages: 3))
///     .Build();
/// </code>
/// </remarks>
public sealed class ToolImageChatClient : DelegatingChatClient
{
    /// <summary>The default number of tool images re-sent to the model (3).</summary>
    public const int DefaultMaxImages = 3;

    /// <summary>Creates the client.</summary>
    /// <param name="innerClient">The provider client (the one that talks to the model).</param>
    /// <param name="maxImages">How many of the most recent tool images are sent (at least 1).</param>
    public ToolImageChatClient(IChatClient innerClient, int maxImages = DefaultMaxImages)
        : base(innerClient)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxImages, 1);
        MaxImages = maxImages;
    }

    /// <summary>How many of the most recent tool images are sent; older ones are replaced by a note.</summary>
    public int MaxImages { get; }

    /// <inheritdoc />
    public override Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        => base.GetResponseAsync(Rewrite(messages, MaxImages), options, cancellationToken);

    /// <inheritdoc />
    public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        => base.GetStreamingResponseAsync(Rewrite(messages, MaxImages), options, cancellationToken);

    /// <summary>The messages as they are sent: tool images moved into user messages, only the last <paramref name="maxImages"/> kept.</summary>
    /// <param name="messages">The conversation.</param>
    /// <param name="maxImages">How many of the most recent tool images to keep.</param>
    public static IList<ChatMessage> Rewrite(IEnumerable<ChatMessage> messages, int maxImages = DefaultMaxImages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxImages, 1);
        List<ChatMessage> input = [.. messages];

        int total = 0;
        foreach (ChatMessage m in input)
        {
            if (m.Role == ChatRole.Tool)
            {
                foreach (FunctionResultContent r in m.Contents.OfType<FunctionResultContent>())
                {
                    total += ToolResults.Split(r.Result).Images.Count;
                }
            }
        }

        int firstKept = Math.Max(0, total - maxImages);
        int index = 0;
        var output = new List<ChatMessage>(input.Count + 4);
        var pending = new List<AIContent>();
        foreach (ChatMessage message in input)
        {
            if (message.Role != ChatRole.Tool)
            {
                Flush(output, pending);
                output.Add(message);
                continue;
            }

            bool changed = false;
            var contents = new List<AIContent>(message.Contents.Count);
            foreach (AIContent content in message.Contents)
            {
                if (content is not FunctionResultContent result || result.Result is null or string)
                {
                    contents.Add(content);
                    continue;
                }

                (string text, IReadOnlyList<DataContent> images) = ToolResults.Split(result.Result);
                int kept = 0;
                var keptImages = new List<AIContent>();
                foreach (DataContent image in images)
                {
                    if (index++ >= firstKept)
                    {
                        keptImages.Add(image);
                        kept++;
                    }
                }

                int dropped = images.Count - kept;
                string toolText = ToolResults.WithImageNote(text, kept);
                if (dropped > 0)
                {
                    toolText += dropped == 1
                        ? "\n[1 older image omitted to save context]"
                        : $"\n[{dropped} older images omitted to save context]";
                }

                contents.Add(new FunctionResultContent(result.CallId, toolText) { Exception = result.Exception });
                changed = true;
                if (keptImages.Count > 0)
                {
                    pending.Add(new TextContent(ToolResults.ImageIntroPrefix + result.CallId + ":"));
                    pending.AddRange(keptImages);
                }
            }

            output.Add(changed
                ? new ChatMessage(ChatRole.Tool, contents)
                {
                    AuthorName = message.AuthorName,
                    MessageId = message.MessageId,
                    AdditionalProperties = message.AdditionalProperties,
                }
                : message);
        }

        Flush(output, pending);
        return output;
    }

    private static void Flush(List<ChatMessage> output, List<AIContent> pending)
    {
        if (pending.Count == 0)
        {
            return;
        }

        output.Add(new ChatMessage(ChatRole.User, [.. pending]));
        pending.Clear();
    }
}
