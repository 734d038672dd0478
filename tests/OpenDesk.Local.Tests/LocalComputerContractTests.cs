using OpenDesk.Core;
using OpenDesk.Local.Tests.Desktop;
using OpenDesk.Testing.Contract;

namespace OpenDesk.Local.Tests;

/// <summary>The shared IComputer contract suite against LocalComputer on the Xvfb test desktop.</summary>
public sealed class LocalComputerContractTests(DesktopFixture desktop) : ComputerContractTests
{
    protected override ValueTask<IComputer> CreateComputerAsync()
    {
        DesktopFixture.RequireDesktop();
        return ValueTask.FromResult<IComputer>(LocalComputer.Create(new LocalComputerOptions { DisplayName = desktop.Display.DisplayName, EnableOcr = false }));
    }
}
