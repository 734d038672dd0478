using OpenDesk.Core;
using OpenDesk.Remote.Server;

namespace OpenDesk.Remote.Tests.Server;

public sealed class ConsolePolicyTests
{
    private static PolicyRequest Req(string method) => new("laptop", new byte[32], method, "do " + method);

    [Fact]
    public async Task Observation_IsAllowedWithoutAsking()
    {
        var output = new StringWriter();
        using var policy = new ConsolePolicy(new StringReader(""), output, interactive: true);
        await policy.CheckAsync(Req("display.capture"), TestContext.Current.CancellationToken);
        Assert.Equal("", output.ToString());
    }

    [Theory]
    [InlineData("y\n", true)]
    [InlineData("Yes\n", true)]
    [InlineData("n\n", false)]
    [InlineData("\n", false)]
    [InlineData("", false)]
    public async Task Action_AsksAndFollowsTheAnswer(string answer, bool allowed)
    {
        var output = new StringWriter();
        using var policy = new ConsolePolicy(new StringReader(answer), output, interactive: true);
        Task check = policy.CheckAsync(Req("input.text"), TestContext.Current.CancellationToken).AsTask();
        if (allowed)
        {
            await check;
        }
        else
        {
            await Assert.ThrowsAsync<PermissionDeniedException>(() => check);
        }

        Assert.Equal("[opendesk] laptop wants to do input.text. Allow? [y/N] ", output.ToString());
    }

    [Fact]
    public async Task NoTerminal_DeniesActions_AndSaysSoAtStartup()
    {
        using var policy = new ConsolePolicy(new StringReader("y\n"), new StringWriter(), interactive: false);
        Assert.Contains("DENIED", policy.StartupNotice, StringComparison.Ordinal);
        await Assert.ThrowsAsync<PermissionDeniedException>(() => policy.CheckAsync(Req("power.lock"), TestContext.Current.CancellationToken).AsTask());
        await policy.CheckAsync(Req("fs.list"), TestContext.Current.CancellationToken);
    }
}
