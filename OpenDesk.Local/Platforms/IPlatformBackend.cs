using OpenDesk.Core;
using OpenDesk.Local.Imaging;
using OpenDesk.Local.Ocr;

namespace OpenDesk.Local.Platforms;

/// <summary>What <see cref="LocalComputer"/> needs from a platform backend (a platform-neutral seam, so CA1416 guards stay inside the platform folders).</summary>
internal interface IPlatformBackend : IDisposable
{
    string? DisplayName { get; }

    string DisplaySource { get; }

    CapabilityManifest Manifest { get; }

    IReadOnlyDictionary<string, string> UnavailableReasons { get; }

    IScreenSource? Screen { get; }

    IComputerDisplay? Display { get; }

    IComputerInput? Input { get; }

    IComputerWindows? Windows { get; }

    IComputerApps? Apps { get; }

    IComputerUI? UI { get; }

    IComputerClipboard? Clipboard { get; }

    IComputerFiles Files { get; }

    IComputerProcesses Processes { get; }

    IComputerPower? Power { get; }

    TesseractOcr? Ocr { get; }

    EnvironmentInfo DescribeEnvironment(IReadOnlyList<Display> displays);
}

/// <summary>Raw screen access for fingerprints and OCR.</summary>
internal interface IScreenSource
{
    ScreenFingerprint Fingerprint(Rect? region);

    T GrabRaw<T>(Rect? region, Func<BgraFrame, T> use);
}
