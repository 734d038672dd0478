using System.Diagnostics;
using OpenDesk.Core;
using OpenDesk.Local.Tests.Desktop;

namespace OpenDesk.Local.Tests;

/// <summary>AT-SPI with zenity (GTK 3) on the private accessibility bus of the test desktop.</summary>
public sealed class AccessibilityTests(DesktopFixture desktop, ITestOutputHelper output) : DesktopTest(desktop)
{
    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        CapabilityManifest m = await Computer.GetCapabilitiesAsync(Wait.Token);
        Assert.True(m.Has(Capability.UiTree), Desktop.Computer.UnavailableReasons.GetValueOrDefault("ui.tree"));
    }

    [Fact]
    public async Task Tree_OfAZenityEntry_HasRolesNamesAndDesktopBounds()
    {
        (_, Window w) = await Apps.StartWithWindowAsync("zenity", "--entry", "--title", "OpenDesk AT-SPI", "--text", "Type here");
        await Computer.Windows.FocusAsync(w.Id, Wait.Token);
        UIElement tree = await TreeWhenAsync(new UITreeQuery(WindowId: w.Id),
            t => t.DescendantsAndSelf().Any(e => e.Role == "push button" && e.Name == "OK") && t.DescendantsAndSelf().Any(e => e.Role == "text" && e.Focused));
        foreach (UIElement e in tree.DescendantsAndSelf())
        {
            output.WriteLine($"{e.Role} '{e.Name}' {e.Bounds} focused={e.Focused} actions=[{string.Join(",", e.Actions)}] value={e.Value}");
        }

        Assert.Equal(false, tree.Metadata["partial"]);
        Assert.Equal("OpenDesk AT-SPI", tree.Name);
        UIElement ok = tree.DescendantsAndSelf().Single(e => e.Role == "push button" && e.Name == "OK");
        Assert.Contains("click", ok.Actions);
        UIElement entry = tree.DescendantsAndSelf().Single(e => e.Role == "text");
        Assert.True(entry.Focused);

        // Bounds are desktop space: inside the window frame that EWMH reports.
        Rect frame = (await Computer.Windows.ListAsync(Wait.Token)).Single(x => x.Id == w.Id).Bounds!.Value;
        Assert.True(Contains(frame, ok.Bounds!.Value), $"{ok.Bounds} inside {frame}");
        Assert.True(Contains(frame, entry.Bounds!.Value), $"{entry.Bounds} inside {frame}");

        await Assert.ThrowsAsync<InvalidArgumentException>(async () => await Computer.UI.PerformActionAsync(ok, "no-such-action", null, Wait.Token));
        await Assert.ThrowsAsync<InvalidArgumentException>(async () => await Computer.UI.PerformActionAsync(ok with { Value = "x" }, UIActions.SetValue, null, Wait.Token));

        // By app name too.
        UIElement byApp = await Computer.UI.GetTreeAsync(new UITreeQuery(App: "zenity"), Wait.Token);
        Assert.Contains(byApp.DescendantsAndSelf(), e => e.Role == "push button" && e.Name == "OK");
    }

    [Fact]
    public async Task TypedUnicode_InAGtkEntry_IsReadBackThroughAtspi_ThenSetValueAndClickOk()
    {
        (Process zenity, Window w) = await Apps.StartWithWindowAsync("zenity", "--entry", "--title", "Unicode entry", "--text", "Type");
        await Computer.Windows.FocusAsync(w.Id, Wait.Token);
        var query = new UITreeQuery(WindowId: w.Id);
        await TreeWhenAsync(query, t => t.DescendantsAndSelf().Any(e => e.Role == "text" && e.Focused));

        const string typed = "Grüße ✓ Ωmega 日本";
        await Computer.Input.TypeTextAsync(new TextInput(typed, 0), Wait.Token);
        UIElement tree = await TreeWhenAsync(query, t => t.DescendantsAndSelf().Any(e => e.Role == "text" && e.Value == typed));

        // set_value replaces the text through AtspiEditableText.
        UIElement entry = tree.DescendantsAndSelf().Single(e => e.Role == "text");
        await Computer.UI.PerformActionAsync(entry with { Value = "set via AT-SPI ✓" }, UIActions.SetValue, null, Wait.Token);
        tree = await TreeWhenAsync(query, t => t.DescendantsAndSelf().Any(e => e.Role == "text" && e.Value == "set via AT-SPI ✓"));

        // click on OK through AtspiAction: zenity prints the entry and exits 0.
        UIElement ok = tree.DescendantsAndSelf().Single(e => e.Role == "push button" && e.Name == "OK");
        await Computer.UI.PerformActionAsync(ok, UIActions.Click, "zenity", Wait.Token);
        await Wait.UntilAsync(() => zenity.HasExited, "zenity to exit after OK");
        zenity.WaitForExit();
        Assert.Equal(0, zenity.ExitCode);
        Assert.Equal("set via AT-SPI ✓", Apps.Output(zenity).Trim());

        // The element is gone with its app.
        await Assert.ThrowsAsync<NotFoundException>(async () => await Computer.UI.PerformActionAsync(ok, UIActions.Click, null, Wait.Token));
    }

    [Fact]
    public async Task XTestClick_AtAtspiBounds_PressesTheRightButton()
    {
        (Process zenity, Window w) = await Apps.StartWithWindowAsync("zenity", "--question", "--title", "Click test", "--text", "Proceed?");
        UIElement tree = await TreeWhenAsync(new UITreeQuery(WindowId: w.Id), t => t.DescendantsAndSelf().Any(e => e.Role == "push button" && e.Name == "Yes"));
        Rect yes = tree.DescendantsAndSelf().Single(e => e.Role == "push button" && e.Name == "Yes").Bounds!.Value;
        await Computer.Input.SendPointerAsync(new PointerEvent(PointerAction.Move, yes.Center), Wait.Token);
        await Computer.Input.SendPointerAsync(new PointerEvent(PointerAction.Down, yes.Center, MouseButton.Left), Wait.Token);
        await Computer.Input.SendPointerAsync(new PointerEvent(PointerAction.Up, yes.Center, MouseButton.Left), Wait.Token);
        await Wait.UntilAsync(() => zenity.HasExited, "zenity to exit after the click");
        zenity.WaitForExit();
        Assert.Equal(0, zenity.ExitCode); // 0 = Yes, 1 = No
    }

    [Fact]
    public async Task Tree_OfABigList_HitsTheNodeAndTimeBudgets_AndSaysPartial()
    {
        string[] rows = Enumerable.Range(0, 1500).SelectMany(i => new[] { $"item {i}", $"value {i}" }).ToArray();
        (_, Window w) = await Apps.StartWithWindowAsync("zenity", ["--list", "--title", "Big list", "--width", "600", "--height", "500", "--column", "Name", "--column", "Value", .. rows]);
        var query = new UITreeQuery(WindowId: w.Id, MaxDepth: 50);
        await TreeWhenAsync(query with { MaxNodes = 100 }, t => t.Metadata["partial"] is true);

        var sw = Stopwatch.StartNew();
        UIElement full = await Computer.UI.GetTreeAsync(query, Wait.Token);
        sw.Stop();
        int count = full.DescendantsAndSelf().Count();
        output.WriteLine($"default budget: {count} nodes, partial={full.Metadata["partial"]} ({full.Metadata.GetValueOrDefault("partial_reason")}), {sw.ElapsedMilliseconds} ms");
        Assert.Equal(true, full.Metadata["partial"]);
        Assert.True(count <= 2000, $"{count} nodes");
        // The walk alone would take about 5-10 s here (300-750 nodes/s): a bound well under that shows the 1 s budget holds
        // while leaving room for the untimed app lookup on a loaded machine.
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(4), $"{sw.ElapsedMilliseconds} ms");

        sw.Restart();
        UIElement quick = await Computer.UI.GetTreeAsync(query with { Budget = TimeSpan.FromMilliseconds(50) }, Wait.Token);
        sw.Stop();
        output.WriteLine($"50 ms budget: {quick.DescendantsAndSelf().Count()} nodes in {sw.ElapsedMilliseconds} ms");
        Assert.Equal(true, quick.Metadata["partial"]);
        Assert.Equal("budget", quick.Metadata["partial_reason"]);
        Assert.True(sw.Elapsed < TimeSpan.FromMilliseconds(1500), $"{sw.ElapsedMilliseconds} ms");

        // A generous time budget, so the node cap is what stops the walk even on a slow run.
        UIElement few = await Computer.UI.GetTreeAsync(query with { MaxNodes = 100, Budget = TimeSpan.FromSeconds(30) }, Wait.Token);
        Assert.Equal(100, few.DescendantsAndSelf().Count());
        Assert.Equal("max_nodes", few.Metadata["partial_reason"]);
    }

    [Fact]
    public async Task Tree_OfAnAppWithoutAccessibility_IsNotFound()
    {
        (_, Window w) = await Apps.StartWithWindowAsync("xclock", "-geometry", "100x100+10+10");
        await Assert.ThrowsAsync<NotFoundException>(async () => await Computer.UI.GetTreeAsync(new UITreeQuery(WindowId: w.Id), Wait.Token));
    }

    private async Task<UIElement> TreeWhenAsync(UITreeQuery query, Func<UIElement, bool> condition)
        => await Wait.ForAsync(async () =>
        {
            try
            {
                UIElement t = await Computer.UI.GetTreeAsync(query, Wait.Token);
                return condition(t) ? t : null;
            }
            catch (NotFoundException)
            {
                return null; // the app has not registered on the accessibility bus yet
            }
        }, "the accessibility tree");

    private static bool Contains(Rect outer, Rect inner)
        => inner.X >= outer.X && inner.Y >= outer.Y && inner.Right <= outer.Right && inner.Bottom <= outer.Bottom;
}
