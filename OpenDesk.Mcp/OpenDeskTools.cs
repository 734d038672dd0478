using Microsoft.Extensions.AI;
using OpenDesk.Mcp.Tools;

namespace OpenDesk.Mcp;

/// <summary>
/// The one OpenDesk tool catalog: computer tools (with the optional <c>peer</c> field), admin tools and <c>audit</c>,
/// as <see cref="AIFunction"/>s with hand-written JSON schemas whose results are <c>IList&lt;AIContent&gt;</c>
/// (<see cref="TextContent"/> + <see cref="DataContent"/> images). Model-facing failures are thrown as
/// <c>OpenDeskException</c> (safe messages); MCP maps them to <c>isError</c> results (see <see cref="OpenDeskMcp"/>).
/// </summary>
public static class OpenDeskTools
{
    /// <summary>Names of the computer tools (routable to a peer), in catalog order.</summary>
    public static IReadOnlyList<string> ComputerToolNames { get; } =
        [ScreenshotTool.Name, MouseTool.Name, KeyboardTool.Name, UiTool.Name, AppTool.Name, ClipboardTool.Name, OcrTool.Name];

    /// <summary>Names of the admin tools and <c>audit</c>, in catalog order.</summary>
    public static IReadOnlyList<string> AdminToolNames { get; } =
        [AdminTools.Peers, AdminTools.Discover, AdminTools.Use, AdminTools.Status, AdminTools.Describe, AdminTools.Capabilities, AdminTools.Disconnect, AdminTools.Audit];

    /// <summary>Creates the catalog bound to one session (its peer routing, frames and audit log).</summary>
    /// <param name="session">The session the tools act in.</param>
    /// <returns>The tools: computer tools first, then admin tools and audit.</returns>
    public static IReadOnlyList<AIFunction> Create(McpSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        var runtime = new ToolRuntime(session);
        var tools = new List<AIFunction>
        {
            ScreenshotTool.Create(runtime),
            MouseTool.Create(runtime),
            KeyboardTool.Create(runtime),
            UiTool.Create(runtime),
            AppTool.Create(runtime),
            ClipboardTool.Create(runtime),
            OcrTool.Create(runtime),
        };
        tools.AddRange(AdminTools.Create(runtime));
        return tools;
    }
}
