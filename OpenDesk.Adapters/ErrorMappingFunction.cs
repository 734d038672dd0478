using Microsoft.Extensions.AI;
using OpenDesk.Core;

namespace OpenDesk.Adapters;

/// <summary>
/// Wraps a catalog tool for the chat surfaces: an <see cref="OpenDeskException"/> (whose message is safe to show a
/// model) becomes the text result <c>Error: message</c>, so the model sees why the call failed and can retry. Other
/// exceptions propagate and the function-calling layer reports them generically. Optionally renames the tool.
/// </summary>
internal sealed class ErrorMappingFunction(AIFunction inner, string? name = null) : DelegatingAIFunction(inner)
{
    public override string Name => name ?? base.Name;

    /// <summary>The same tool under another name.</summary>
    public ErrorMappingFunction Rename(string newName) => new(InnerFunction, newName);

    /// <summary>Wraps each tool once (already wrapped tools are kept).</summary>
    public static IReadOnlyList<AIFunction> WrapAll(IEnumerable<AIFunction> tools)
    {
        ArgumentNullException.ThrowIfNull(tools);
        var result = new List<AIFunction>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (AIFunction tool in tools)
        {
            ArgumentNullException.ThrowIfNull(tool, nameof(tools));
            if (!names.Add(tool.Name))
            {
                throw new ArgumentException($"Two tools are named '{tool.Name}'.", nameof(tools));
            }

            result.Add(tool is ErrorMappingFunction ? tool : new ErrorMappingFunction(tool));
        }

        return result;
    }

    protected override async ValueTask<object?> InvokeCoreAsync(AIFunctionArguments arguments, CancellationToken cancellationToken)
    {
        if (arguments.TryGetValue(InvalidArgumentsChatClient.MarkerKey, out object? parseError))
        {
            return $"Error: the arguments of '{Name}' are not a valid JSON object ({parseError}). Send one JSON object that matches the tool's schema.";
        }

        try
        {
            return await base.InvokeCoreAsync(arguments, cancellationToken).ConfigureAwait(false);
        }
        catch (OpenDeskException e)
        {
            return "Error: " + e.Message;
        }
    }
}
