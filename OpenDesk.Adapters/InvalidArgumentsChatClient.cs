using Microsoft.Extensions.AI;

namespace OpenDesk.Adapters;

/// <summary>
/// Tool-call arguments the provider could not parse as JSON arrive at function-invoking clients as "no arguments"
/// (with <see cref="FunctionCallContent.Exception"/> set, which SK's invoking client ignores), so the model would read a
/// misleading "missing required argument". Placed under the function-invoking client, this client replaces such
/// arguments by a marker that <see cref="ErrorMappingFunction"/> turns into <c>Error: the arguments of 'x' are not a valid
/// JSON object (…)</c>.
/// </summary>
internal sealed class InvalidArgumentsChatClient(IChatClient innerClient) : DelegatingChatClient(innerClient)
{
    /// <summary>The argument name that carries the parse error.</summary>
    public const string MarkerKey = "__opendesk_invalid_arguments";

    public override async Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ChatResponse response = await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        foreach (ChatMessage message in response.Messages)
        {
            Mark(message.Contents);
        }

        return response;
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages,
        ChatOptions? options = null,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (ChatResponseUpdate update in base.GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
        {
            Mark(update.Contents);
            yield return update;
        }
    }

    private static void Mark(IList<AIContent> contents)
    {
        foreach (FunctionCallContent call in contents.OfType<FunctionCallContent>())
        {
            if (call.Exception is { } e)
            {
                call.Arguments = new Dictionary<string, object?> { [MarkerKey] = e.InnerException?.Message ?? e.Message };
                call.Exception = null;
            }
        }
    }
}
