namespace OpenDesk.Adapters;

/// <summary>Options of the Semantic Kernel adapter.</summary>
public sealed class OpenDeskKernelOptions
{
    /// <summary>The plugin name, which SK puts in front of every function name (default <c>opendesk</c>).</summary>
    public string PluginName { get; set; } = OpenDeskKernelPlugin.DefaultPluginName;

    /// <summary>How many of the most recent tool images are re-sent to the model (default 3).</summary>
    public int MaxImages { get; set; } = ToolImageChatClient.DefaultMaxImages;

    /// <summary>
    /// Send the catalog's own JSON schemas instead of the ones SK rebuilds from parameter metadata (default true).
    /// </summary>
    public bool ExactSchemas { get; set; } = true;
}
