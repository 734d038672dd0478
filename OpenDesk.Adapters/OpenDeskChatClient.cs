using Microsoft.Extensions.AI;

namespace OpenDesk.Adapters;

/// <summary>
/// Microsoft.Extensions.AI adapter: an <see cref="IChatClient"/> that offers the catalog to the model, runs its tool
/// calls (<c>UseFunctionInvocation</c>, capped at <see cref="OpenDeskAgentOptions.MaxIterations"/> model calls per
/// request, one call at a time), and moves tool images into a user message (<see cref="ToolImageChatClient"/>).
/// </summary>
/// <remarks>
/// <code>
/// IChatClient chat = OpenDeskChatClient.Create(
///     OpenDeskOpenAITools.CreateClient(baseUrl).GetChatClient("gpt-4.1").AsIChatClient(), tools);
/// ChatResponse answer = await chat.GetResponseAsync("Open the editor and type hello");
/// </code>
/// </remarks>
public static class OpenDeskChatClient
{
    /// <summary>Wraps a provider client.</summary>
    /// <param name="providerClient">The client that talks to the model, e.g. <c>chatClient.AsIChatClient()</c>.</param>
    /// <param name="tools">The catalog; added to every request's <see cref="ChatOptions.Tools"/> (after any tools the caller passes).</param>
    /// <param name="options">Options, or null for the defaults.</param>
    public static IChatClient Create(IChatClient providerClient, IEnumerable<AIFunction> tools, OpenDeskAgentOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(providerClient);
        options ??= new OpenDeskAgentOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxIterations, 1);
        IReadOnlyList<AIFunction> wrapped = ErrorMappingFunction.WrapAll(tools);
        return providerClient.AsBuilder()
            .ConfigureOptions(o =>
            {
                var names = new HashSet<string>((o.Tools ?? []).Select(t => t.Name), StringComparer.Ordinal);
                o.Tools = [.. o.Tools ?? [], .. wrapped.Where(t => !names.Contains(t.Name))];
            })
            .UseFunctionInvocation(configure: c =>
            {
                c.MaximumIterationsPerRequest = options.MaxIterations;
                c.AllowConcurrentInvocation = false;
                c.FunctionInvoker = InvokeAsync;
            })
            .Use(inner => new ToolImageChatClient(inner, options.MaxImages))
            .Build();
    }

    /// <summary>Arguments that are not valid JSON reach the function as "no arguments"; say so instead.</summary>
    private static ValueTask<object?> InvokeAsync(FunctionInvocationContext context, CancellationToken cancellationToken)
        => context.CallContent.Exception is { } e
            ? ValueTask.FromResult<object?>(
                $"Error: the arguments of '{context.Function.Name}' are not a valid JSON object ({e.InnerException?.Message ?? e.Message}). "
                + "Send one JSON object that matches the tool's schema.")
            : context.Function.InvokeAsync(context.Arguments, cancellationToken);

    /// <summary>The catalog prepared for <see cref="ChatOptions.Tools"/> of any function-invoking client (OpenDesk errors become <c>Error: …</c> results).</summary>
    /// <param name="tools">The catalog.</param>
    public static IList<AITool> CreateTools(IEnumerable<AIFunction> tools) => [.. ErrorMappingFunction.WrapAll(tools)];
}
