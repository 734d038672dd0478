using OpenDesk.Testing;
using OpenDesk.Testing.Contract;

namespace OpenDesk.Core.Tests;

/// <summary>The contract suite over the full FakeComputer.</summary>
public sealed class FakeComputerContractTests : ComputerContractTests
{
    protected override ValueTask<IComputer> CreateComputerAsync() => ValueTask.FromResult<IComputer>(new FakeComputer());
}

/// <summary>The contract suite over a FakeComputer that advertises only capture and pointer: the rest must refuse.</summary>
public sealed class MinimalFakeComputerContractTests : ComputerContractTests
{
    protected override ValueTask<IComputer> CreateComputerAsync()
        => ValueTask.FromResult<IComputer>(new FakeComputer([Capability.DisplayCapture, Capability.InputPointer]));
}
