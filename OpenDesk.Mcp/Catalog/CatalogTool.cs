using System.Text.Json;
using Microsoft.Extensions.AI;

namespace OpenDesk.Mcp.Catalog;

/// <summary>An <see cref="AIFunction"/> with a hand-written JSON schema and a handler returning <c>IList&lt;AIContent&gt;</c>.</summary>
internal sealed class CatalogTool(
    string name,
    string description,
    JsonElement jsonSchema,
    Func<ToolArgs, CancellationToken, ValueTask<IList<AIContent>>> handler) : AIFunction
{
    public override string Name => name;

    public override string Description => description;

    public override JsonElement JsonSchema => jsonSchema;

    protected override async ValueTask<object?> InvokeCoreAsync(AIFunctionArguments arguments, CancellationToken cancellationToken)
    {
        var args = new ToolArgs(name, arguments, jsonSchema);
        args.RejectUnknown();
        return await handler(args, cancellationToken).ConfigureAwait(false);
    }
}
