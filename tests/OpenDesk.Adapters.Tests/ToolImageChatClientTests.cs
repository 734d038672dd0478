using Microsoft.Extensions.AI;

namespace OpenDesk.Adapters.Tests;

public sealed class ToolImageChatClientTests
{
    private static DataContent Png(byte marker) => new(new byte[] { 0x89, 0x50, 0x4E, 0x47, marker }, "image/png");

    private static ChatMessage ToolTurn(string callId, byte marker) =>
        new(ChatRole.Tool, [new FunctionResultContent(callId, new List<AIContent> { new TextContent("shot " + callId), Png(marker) })]);

    [Fact]
    public void Moves_images_after_the_run_of_tool_messages_and_keeps_only_the_last_N()
    {
        ChatMessage[] history =
        [
            new(ChatRole.User, "go"),
            new(ChatRole.Assistant, [new FunctionCallContent("a", "screenshot")]),
            ToolTurn("a", 1),
            new(ChatRole.Assistant, [new FunctionCallContent("b", "screenshot"), new FunctionCallContent("c", "mouse")]),
            ToolTurn("b", 2),
            new(ChatRole.Tool, [new FunctionResultContent("c", "clicked")]),
            new(ChatRole.Assistant, [new FunctionCallContent("d", "screenshot")]),
            ToolTurn("d", 3),
        ];

        IList<ChatMessage> sent = ToolImageChatClient.Rewrite(history, maxImages: 2);

        Assert.Equal(
            [ChatRole.User, ChatRole.Assistant, ChatRole.Tool, ChatRole.Assistant, ChatRole.Tool, ChatRole.Tool, ChatRole.User, ChatRole.Assistant, ChatRole.Tool, ChatRole.User],
            sent.Select(m => m.Role));
        string Result(int i) => (string)((FunctionResultContent)sent[i].Contents[0]).Result!;
        Assert.Equal("shot a\n[1 older image omitted to save context]", Result(2));
        Assert.Equal("shot b\n[1 image attached in the next user message]", Result(4));
        Assert.Equal("clicked", Result(5));
        Assert.Equal("Image(s) returned by tool call b:", Assert.IsType<TextContent>(sent[6].Contents[0]).Text);
        Assert.Equal(2, Assert.IsType<DataContent>(sent[6].Contents[1]).Data.Span[4]);
        Assert.Equal(3, Assert.IsType<DataContent>(sent[9].Contents[1]).Data.Span[4]);
        // The caller's history is unchanged.
        Assert.IsType<List<AIContent>>(((FunctionResultContent)history[2].Contents[0]).Result);
    }

    [Fact]
    public void Leaves_conversations_without_tool_images_untouched()
    {
        ChatMessage[] history =
        [
            new(ChatRole.User, "hi"),
            new(ChatRole.Assistant, [new FunctionCallContent("a", "mouse")]),
            new(ChatRole.Tool, [new FunctionResultContent("a", "moved")]),
        ];

        IList<ChatMessage> sent = ToolImageChatClient.Rewrite(history);

        Assert.Equal(history, sent);
    }
}
