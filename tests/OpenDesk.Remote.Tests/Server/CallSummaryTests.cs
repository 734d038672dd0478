using OpenDesk.Remote.Server;

namespace OpenDesk.Remote.Tests.Server;

public sealed class CallSummaryTests
{
    private static Dictionary<string, object?> P(params (string Key, object? Value)[] items) => items.ToDictionary(i => i.Key, i => i.Value);

    [Fact]
    public void Pointer_ShowsActionButtonAndPoint()
    {
        var e = P(("action", "down"), ("button", "left"), ("point", P(("x", 812.0), ("y", 410L))));
        Assert.Equal("send pointer left down at (812, 410)", CallSummary.Summarise("input.pointer", P(("event", e))));
    }

    [Fact]
    public void Text_ShowsLengthOnly_NeverTheText()
    {
        string summary = CallSummary.Summarise("input.text", P(("text_input", P(("text", "hunter2-secret-pwd"), ("interval_ms", 20L)))));
        Assert.Equal("type 18 chars", summary);
        Assert.DoesNotContain("hunter2", summary, StringComparison.Ordinal);
    }

    [Fact]
    public void SingleCharacterKeys_AreNotShown()
    {
        Assert.Equal("send key down a character key", CallSummary.Summarise("input.key", P(("event", P(("action", "down"), ("keysym", "p"))))));
        Assert.Equal("send key down 'Return'", CallSummary.Summarise("input.key", P(("event", P(("action", "down"), ("keysym", "Return"))))));
    }

    [Fact]
    public void FileWrite_ShowsSizeNotContent_AndOtherMethods()
    {
        Assert.Equal("write 3 bytes to '/tmp/a'", CallSummary.Summarise("fs.write", P(("path", "/tmp/a"), ("data", new byte[] { 1, 2, 3 }))));
        Assert.Equal("run shell: 'ls'", CallSummary.Summarise("process.shell", P(("command", "ls"))));
        Assert.Equal("move '/a' → '/b'", CallSummary.Summarise("fs.move", P(("src", "/a"), ("dst", "/b"))));
        Assert.Equal("lock the screen", CallSummary.Summarise("power.lock", null));
        Assert.Equal("ui action 'click' on 'Save'", CallSummary.Summarise("ui.action", P(("element", P(("role", "push button"), ("name", "Save"))))));
        Assert.Equal("nope.nope", CallSummary.Summarise("nope.nope", null));
    }

    [Fact]
    public void WrongTypes_FallBackToMethodName()
    {
        Assert.Equal("fs.read", CallSummary.Summarise("fs.read", P(("path", 5L))));
    }
}
