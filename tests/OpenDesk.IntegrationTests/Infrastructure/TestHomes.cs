namespace OpenDesk.IntegrationTests.Infrastructure;

/// <summary>Temporary OpenDesk homes under one folder, deleted on dispose.</summary>
internal sealed class TestHomes : IDisposable
{
    public TestHomes()
    {
        Root = Path.Combine(Path.GetTempPath(), "od-it-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    public string this[string name] => Path.Combine(Root, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
