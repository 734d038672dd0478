using OpenDesk.Core;

namespace OpenDesk.Local.Tests.Desktop;

/// <summary>
/// Base of the test classes that use the shared desktop: each test is skipped where there is no desktop, gets its own
/// <see cref="Apps"/> (killed by PID afterwards) and, on first use, its own <see cref="TempDir"/> (deleted afterwards).
/// </summary>
public abstract class DesktopTest(DesktopFixture desktop) : IAsyncLifetime
{
    private string? _tempDir;

    /// <summary>The shared desktop.</summary>
    protected DesktopFixture Desktop => desktop;

    /// <summary>The <see cref="LocalComputer"/> on the shared desktop.</summary>
    protected IComputer Computer => desktop.Computer;

    /// <summary>The processes this test starts on the desktop.</summary>
    protected TestApps Apps { get; } = new(desktop);

    /// <summary>A temporary directory of this test, created when first asked for.</summary>
    protected string TempDir => _tempDir ??= Directory.CreateTempSubdirectory($"od-{GetType().Name.ToLowerInvariant()}-").FullName;

    /// <summary>Skips the test where there is no desktop; override to check more, calling this first.</summary>
    public virtual ValueTask InitializeAsync()
    {
        DesktopFixture.RequireDesktop();
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await Apps.DisposeAsync();
        if (_tempDir is not null)
        {
            Directory.Delete(_tempDir, recursive: true);
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>The environment that points a command at the desktop's display.</summary>
    protected Dictionary<string, string> DisplayEnv() => desktop.DisplayEnv();
}
