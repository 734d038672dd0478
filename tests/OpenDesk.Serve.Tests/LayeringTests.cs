using System.Reflection;

namespace OpenDesk.Serve.Tests;

/// <summary>Arrows point only down (architecture.md): a product assembly references only lower ranks.</summary>
public sealed class LayeringTests
{
    private static readonly Dictionary<string, int> s_rank = new()
    {
        ["OpenDesk.Core"] = 0,
        ["OpenDesk.Remote"] = 1,
        ["OpenDesk.Local"] = 1,
        ["OpenDesk.Mcp"] = 2,
        ["OpenDesk.Adapters"] = 3,
        ["opendesk"] = 4,
    };

    public static TheoryData<string> Assemblies => [.. s_rank.Keys];

    [Theory]
    [MemberData(nameof(Assemblies))]
    public void References_OnlyLowerRanks(string name)
    {
        foreach (AssemblyName reference in Assembly.Load(name).GetReferencedAssemblies())
        {
            if (s_rank.TryGetValue(reference.Name!, out int rank))
            {
                Assert.True(rank < s_rank[name], $"{name} must not reference {reference.Name}");
            }
        }
    }

    [Theory]
    [InlineData("OpenDesk.Mcp", new[] { "OpenDesk.Core" })]
    [InlineData("OpenDesk.Remote", new[] { "OpenDesk.Core" })]
    [InlineData("OpenDesk.Local", new[] { "OpenDesk.Core" })]
    [InlineData("OpenDesk.Core", new string[0])]
    public void Assembly_ReferencesExactlyTheseOpenDeskAssemblies(string name, string[] expected)
    {
        string[] actual = [.. Assembly.Load(name).GetReferencedAssemblies().Select(r => r.Name!).Where(s_rank.ContainsKey).Order()];
        Assert.Subset(expected.ToHashSet(), actual.ToHashSet());
        Assert.Superset(actual.ToHashSet(), expected.ToHashSet());
    }

    [Fact]
    public void Core_ReferencesOnlyTheBaseClassLibrary()
    {
        string[] foreign = [.. Assembly.Load("OpenDesk.Core").GetReferencedAssemblies().Select(r => r.Name!)
            .Where(n => !n.StartsWith("System", StringComparison.Ordinal) && n != "netstandard" && n != "mscorlib")];
        Assert.Empty(foreign);
    }

    [Fact]
    public void Products_NeverReferenceTestsOrEvals()
    {
        foreach (string name in s_rank.Keys)
        {
            Assert.DoesNotContain(Assembly.Load(name).GetReferencedAssemblies(),
                r => r.Name!.StartsWith("OpenDesk.Testing", StringComparison.Ordinal) || r.Name!.StartsWith("OpenDesk.Evals", StringComparison.Ordinal) || r.Name!.Contains("xunit", StringComparison.OrdinalIgnoreCase));
        }
    }
}
