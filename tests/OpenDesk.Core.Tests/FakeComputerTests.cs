using OpenDesk.Testing;

namespace OpenDesk.Core.Tests;

public sealed class FakeComputerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Capture_MaxWidth_ScalesDownKeepingAspect()
    {
        await using var computer = new FakeComputer();
        Pixmap p = await computer.Display.CaptureAsync(new CaptureOptions { MaxWidth = 640 }, Ct);
        Assert.Equal((640, 400), (p.Width, p.Height));
        Assert.Equal((FakeComputer.DesktopWidth, FakeComputer.DesktopHeight), (p.LogicalWidth, p.LogicalHeight));
        Assert.Equal(0.5, p.ScaleX, 3);
        Assert.True(TestPng.TryReadSize(p.Data, out int w, out int h));
        Assert.Equal((640, 400), (w, h));
    }

    [Fact]
    public async Task PointerClick_OnSaveButton_IsCountedAndRecorded()
    {
        await using var computer = new FakeComputer();
        Point center = FakeComputer.SaveButtonBounds.Center;
        await computer.Input.SendPointerAsync(new PointerEvent(PointerAction.Down, center, MouseButton.Left), Ct);
        await computer.Input.SendPointerAsync(new PointerEvent(PointerAction.Up, center, MouseButton.Left), Ct);
        Assert.Equal(1, computer.SaveClicks);
        Assert.Equal(["input.pointer down (760, 620) left", "input.pointer up (760, 620) left"], computer.Calls);
    }

    [Fact]
    public async Task UiAction_SetValue_ChangesTheNameField()
    {
        await using var computer = new FakeComputer();
        UIElement tree = await computer.UI.GetTreeAsync(new UITreeQuery(), Ct);
        UIElement field = tree.DescendantsAndSelf().Single(e => e.Name == "Name");
        await computer.UI.PerformActionAsync(field with { Value = "report.txt" }, UIActions.SetValue, null, Ct);
        Assert.Equal("report.txt", computer.NameFieldValue);
        UIElement save = tree.DescendantsAndSelf().Single(e => e.Name == "Save");
        await computer.UI.PerformActionAsync(save, UIActions.Click, null, Ct);
        Assert.Equal(1, computer.SaveClicks);
    }

    [Fact]
    public async Task UiAction_UnsupportedAction_IsInvalidArgument()
    {
        await using var computer = new FakeComputer();
        UIElement tree = await computer.UI.GetTreeAsync(new UITreeQuery(), Ct);
        UIElement save = tree.DescendantsAndSelf().Single(e => e.Name == "Save");
        await Assert.ThrowsAsync<InvalidArgumentException>(() => computer.UI.PerformActionAsync(save, UIActions.SetValue, null, Ct).AsTask());
    }

    [Fact]
    public async Task Pointer_OutsideDesktop_IsInvalidArgumentAndNotRecorded()
    {
        await using var computer = new FakeComputer();
        var ex = await Assert.ThrowsAsync<InvalidArgumentException>(
            () => computer.Input.SendPointerAsync(new PointerEvent(PointerAction.Move, new Point(5000, 10)), Ct).AsTask());
        Assert.Contains("outside the desktop", ex.Message, StringComparison.Ordinal);
        Assert.Empty(computer.Calls);
    }

    [Fact]
    public async Task InputSubscribe_SeesEventsSentAfterSubscribing()
    {
        await using var computer = new FakeComputer();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(TimeSpan.FromSeconds(10));
        await using IAsyncEnumerator<InputEvent> events = computer.Input.SubscribeAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        ValueTask<bool> next = events.MoveNextAsync();
        await computer.Input.SendKeyAsync(new KeyEvent(KeyAction.Down, "Return"), Ct);
        Assert.True(await next);
        Assert.Equal("Return", Assert.IsType<KeyEvent>(events.Current).Keysym);
    }
}
