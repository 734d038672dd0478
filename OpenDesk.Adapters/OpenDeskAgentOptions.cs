namespace OpenDesk.Adapters;

/// <summary>Options of the agent-loop helpers (<see cref="OpenDeskAgentLoop"/>, <see cref="OpenDeskChatClient"/>).</summary>
public sealed class OpenDeskAgentOptions
{
    /// <summary>The default iteration cap (25 model calls).</summary>
    public const int DefaultMaxIterations = 25;

    /// <summary>The most model calls one run makes before it stops (default 25).</summary>
    public int MaxIterations { get; set; } = DefaultMaxIterations;

    /// <summary>How many of the most recent tool images are re-sent to the model (default 3); older ones become a note.</summary>
    public int MaxImages { get; set; } = ToolImageChatClient.DefaultMaxImages;
}
