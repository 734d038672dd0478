using OpenDesk.Remote.Trust;

namespace OpenDesk.Remote.Tests.Trust;

/// <summary>A temporary OpenDesk home, deleted on dispose.</summary>
internal sealed class TempHome : IDisposable
{
    public TempHome()
    {
        Root = Path.Combine(Path.GetTempPath(), "od-test-" + Guid.NewGuid().ToString("N")[..10]);
        Home = new OpenDeskHome(Path.Combine(Root, "home"));
    }

    public string Root { get; }

    public OpenDeskHome Home { get; }

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
