using OpenDesk.Core;
using OpenDesk.Remote.Client;
using OpenDesk.Remote.Tests.Server;
using OpenDesk.Testing.Contract;

namespace OpenDesk.Remote.Tests.Client;

/// <summary>One in-process server over a FakeComputer for the whole contract class.</summary>
public sealed class RemoteServerFixture : IAsyncLifetime
{
    private ServerHarness? _harness;

    internal ServerHarness Harness => _harness ?? throw new InvalidOperationException("not started");

    internal OpenDeskClientOptions Client { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        _harness = await ServerHarness.StartAsync();
        Client = _harness.NewTrustedController();
    }

    public async ValueTask DisposeAsync()
    {
        if (_harness is not null)
        {
            await _harness.DisposeAsync();
        }
    }
}

/// <summary>The IComputer contract over RemoteComputer → loopback WebSocket → OpenDeskServer → FakeComputer.</summary>
public sealed class RemoteComputerContractTests(RemoteServerFixture fixture) : ComputerContractTests, IClassFixture<RemoteServerFixture>
{
    protected override async ValueTask<IComputer> CreateComputerAsync()
        => await OpenDeskClient.ConnectAsync("desk", fixture.Client, TestContext.Current.CancellationToken);
}
