using System.Text.Json;
using Microsoft.Extensions.AI;

namespace OpenDesk.Adapters;

/// <summary>
/// Sends the catalog's own description and JSON schema for tools that Semantic Kernel re-describes. SK rebuilds a
/// function's schema from its parameter metadata (dropping <c>additionalProperties</c> and adding a bogus
/// <c>condition</c> key); this client, placed under SK's function-invoking client, swaps each such tool for a
/// declaration carrying the original schema under the name the model sees (<c>opendesk_screenshot</c>).
/// </summary>
internal sealed class ExactSchemaChatClient(IChatClient innerClient, IReadOnlyDictionary<string, AIFunction> byWireName)
    : DelegatingChatClient(innerClient)
{
    public override Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        => base.GetResponseAsync(messages, Rewrite(options), cancellationToken);

    public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        => base.GetStreamingResponseAsync(messages, Rewrite(options), cancellationToken);

    private ChatOptions? Rewrite(ChatOptions? options)
    {
        if (options?.Tools is not { Count: > 0 } tools || !tools.Any(t => byWireName.ContainsKey(t.Name)))
        {
            return options;
        }

        ChatOptions copy = options.Clone();
        copy.Tools = [.. tools.Select(t => byWireName.TryGetValue(t.Name, out AIFunction? original)
            ? new Declaration(t.Name, original)
            : t)];
        return copy;
    }

    private sealed class Declaration(string name, AIFunction original) : AIFunctionDeclaration
    {
        public override string Name => name;

        public override string Description => original.Description;

        public override JsonElement JsonSchema => original.JsonSchema;

        public override JsonElement? ReturnJsonSchema => null;
    }
}
