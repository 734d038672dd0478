using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;

namespace OpenDesk.Adapters;

/// <summary>
/// Semantic Kernel adapter: the OpenDesk tool catalog as a <see cref="KernelPlugin"/>, plus a chat-completion service
/// that keeps tool images visible to the model and sends the catalog's exact schemas.
/// </summary>
/// <remarks>
/// SK always puts the plugin name in front of a function name (<c>opendesk_screenshot</c>). A tool whose name already
/// starts with <c>&lt;plugin&gt;_</c> (the admin tools <c>opendesk_peers</c>, <c>opendesk_use</c>, …) is registered
/// without that prefix, so the model sees exactly the MCP name and not <c>opendesk_opendesk_peers</c>.
/// </remarks>
public static class OpenDeskKernelPlugin
{
    /// <summary>The default plugin name (<c>opendesk</c>).</summary>
    public const string DefaultPluginName = "opendesk";

    /// <summary>The catalog as an SK plugin. <c>OpenDeskException</c>s become <c>Error: message</c> results.</summary>
    /// <param name="tools">The catalog (e.g. OpenDesk.Mcp's tools over an <c>McpSession</c>).</param>
    /// <param name="pluginName">The plugin name (default <c>opendesk</c>); letters, digits and underscores.</param>
    public static KernelPlugin Create(IEnumerable<AIFunction> tools, string pluginName = DefaultPluginName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(pluginName);
        IReadOnlyList<AIFunction> wrapped = ErrorMappingFunction.WrapAll(tools);
        var functions = new List<KernelFunction>(wrapped.Count);
        foreach (AIFunction tool in wrapped)
        {
            string name = FunctionName(tool.Name, pluginName);
            functions.Add(((ErrorMappingFunction)tool).Rename(name).AsKernelFunction());
        }

        return KernelPluginFactory.CreateFromFunctions(
            pluginName,
            "OpenDesk: see, control and automate computers (this one and paired peers).",
            functions);
    }

    /// <summary>Adds the catalog as a plugin (see <see cref="Create"/>).</summary>
    /// <param name="plugins">The kernel's plugins (<c>kernel.Plugins</c>); on a kernel builder use <c>builder.AddOpenDesk(providerClient, tools)</c>.</param>
    /// <param name="tools">The catalog.</param>
    /// <param name="pluginName">The plugin name (default <c>opendesk</c>).</param>
    /// <returns>The added plugin.</returns>
    public static KernelPlugin AddOpenDesk(this ICollection<KernelPlugin> plugins, IEnumerable<AIFunction> tools, string pluginName = DefaultPluginName)
    {
        ArgumentNullException.ThrowIfNull(plugins);
        KernelPlugin plugin = Create(tools, pluginName);
        plugins.Add(plugin);
        return plugin;
    }

    /// <summary>
    /// An SK chat-completion service over a provider <see cref="IChatClient"/> (e.g. the OpenAI SDK's
    /// <c>ChatClient.AsIChatClient()</c>) with SK's automatic function invocation, tool images moved into user messages
    /// (<see cref="ToolImageChatClient"/>) and, by default, the catalog's exact schemas on the wire.
    /// </summary>
    /// <param name="providerClient">The client that talks to the model.</param>
    /// <param name="tools">The catalog given to <see cref="Create"/> (used to send exact schemas).</param>
    /// <param name="options">Options, or null for the defaults.</param>
    public static IChatCompletionService CreateChatCompletionService(
        IChatClient providerClient, IEnumerable<AIFunction> tools, OpenDeskKernelOptions? options = null)
        => CreateChatClient(providerClient, tools, options).AsChatCompletionService();

    /// <summary>
    /// Adds the catalog plugin and the chat-completion service of <see cref="CreateChatCompletionService"/> to a kernel
    /// builder. Then <c>FunctionChoiceBehavior.Auto()</c> runs OpenDesk tools.
    /// </summary>
    /// <param name="builder">The kernel builder.</param>
    /// <param name="providerClient">The client that talks to the model.</param>
    /// <param name="tools">The catalog.</param>
    /// <param name="options">Options, or null for the defaults.</param>
    /// <returns>The builder.</returns>
    public static IKernelBuilder AddOpenDesk(
        this IKernelBuilder builder, IChatClient providerClient, IEnumerable<AIFunction> tools, OpenDeskKernelOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        options ??= new OpenDeskKernelOptions();
        List<AIFunction> list = [.. tools];
        builder.Plugins.Add(Create(list, options.PluginName));
        builder.Services.AddSingleton(CreateChatCompletionService(providerClient, list, options));
        return builder;
    }

    /// <summary>The name SK shows the model for a catalog tool: <c>&lt;plugin&gt;_&lt;tool&gt;</c>, without a doubled prefix.</summary>
    /// <param name="toolName">The catalog (MCP) name.</param>
    /// <param name="pluginName">The plugin name.</param>
    public static string GetModelFacingName(string toolName, string pluginName = DefaultPluginName)
        => pluginName + "_" + FunctionName(toolName, pluginName);

    internal static IChatClient CreateChatClient(IChatClient providerClient, IEnumerable<AIFunction> tools, OpenDeskKernelOptions? options)
    {
        ArgumentNullException.ThrowIfNull(providerClient);
        ArgumentNullException.ThrowIfNull(tools);
        options ??= new OpenDeskKernelOptions();
        var byWireName = new Dictionary<string, AIFunction>(StringComparer.Ordinal);
        foreach (AIFunction tool in tools)
        {
            byWireName[GetModelFacingName(tool.Name, options.PluginName)] = tool;
        }

        ChatClientBuilder builder = providerClient.AsBuilder()
            .UseKernelFunctionInvocation()
            .Use(inner => new InvalidArgumentsChatClient(inner))
            .Use(inner => new ToolImageChatClient(inner, options.MaxImages));
        if (options.ExactSchemas)
        {
            builder = builder.Use(inner => new ExactSchemaChatClient(inner, byWireName));
        }

        return builder.Build();
    }

    private static string FunctionName(string toolName, string pluginName)
    {
        string prefix = pluginName + "_";
        return toolName.StartsWith(prefix, StringComparison.Ordinal) && toolName.Length > prefix.Length
            ? toolName[prefix.Length..]
            : toolName;
    }
}
