using System.CommandLine;
using OpenDesk.Core;
using OpenDesk.Local;
using OpenDesk.Local.Imaging;

namespace OpenDesk.Serve.Commands;

/// <summary>
/// <c>opendesk check [--display :N] [--virtual-display]</c>: what works on this machine and what is missing, with the
/// exact install line for each missing part. Exit 0 when the desktop can be seen and driven, 1 otherwise.
/// </summary>
internal static class CheckCommand
{
    private static readonly Capability[] s_desktop = [Capability.DisplayCapture, Capability.InputPointer, Capability.InputKeyboard];

    public static Command Create()
    {
        var displayOption = new Option<string?>("--display") { Description = "The X display to check (default: $DISPLAY, else the user's own display)." };
        var virtualDisplayOption = new Option<bool>("--virtual-display") { Description = "Check a private virtual display (Xvfb) instead." };
        var command = new Command("check", "Show what OpenDesk can do on this machine and how to install what is missing.") { displayOption, virtualDisplayOption };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            TextWriter output = parseResult.InvocationConfiguration.Output;
            await using LocalComputer computer = LocalComputer.Create(new LocalComputerOptions
            {
                DisplayName = parseResult.GetValue(displayOption),
                UseVirtualDisplay = parseResult.GetValue(virtualDisplayOption) ? true : false,
            });
            CapabilityManifest manifest = await computer.GetCapabilitiesAsync(cancellationToken);
            await output.WriteLineAsync($"OpenDesk {Cli.Version} on {Environment.MachineName} ({manifest.Backend})");
            await output.WriteLineAsync(computer.DisplayName is { } name
                ? $"display: {name} (found via {computer.DisplaySource})"
                : "display: none");
            if (computer.DisplayName is not null)
            {
                foreach (Display d in await computer.Display.GetDisplaysAsync(cancellationToken))
                {
                    await output.WriteLineAsync($"  monitor {d.Id}: {d.Bounds}{(d.Primary ? " primary" : string.Empty)}{(d.Name is { } n ? " " + n : string.Empty)}");
                }
            }

            await output.WriteLineAsync();
            foreach (Capability capability in Capability.Known)
            {
                if (manifest.Has(capability))
                {
                    await output.WriteLineAsync($"  ok       {capability.Name}");
                }
                else if (computer.UnavailableReasons.TryGetValue(capability.Name, out string? reason))
                {
                    await output.WriteLineAsync($"  missing  {capability.Name}: {reason}");
                }
            }

            await output.WriteLineAsync(FastJpegLine());

            bool usable = s_desktop.All(manifest.Has);
            await output.WriteLineAsync();
            await output.WriteLineAsync(usable
                ? "This desktop can be seen and driven."
                : "This machine has no usable desktop: start one, or run `opendesk mcp --virtual-display`.");
            return usable ? 0 : 1;
        });
        return command;
    }

    /// <summary>Whether screenshots are JPEG-encoded by libturbojpeg (SIMD) or by SkiaSharp's slower bundled libjpeg.</summary>
    /// <param name="library">The library to probe (tests pass a name that does not exist).</param>
    internal static string FastJpegLine(string library = FastJpeg.Library) => FastJpeg.Probe(library) switch
    {
        FastJpegStatus.Available => "  ok       fast JPEG: libturbojpeg (SIMD) encodes screenshots",
        FastJpegStatus.Disabled => "  off      fast JPEG: OPENDESK_NO_TURBOJPEG=1, screenshots use SkiaSharp's slower encoder",
        FastJpegStatus.LibraryMissing => $"  missing  fast JPEG: {library} not found, screenshots fall back to SkiaSharp's slower encoder (apt-get install libturbojpeg0)",
        _ => $"  missing  fast JPEG: {library} lacks a TurboJPEG function, screenshots fall back to SkiaSharp's slower encoder (apt-get install libturbojpeg0)",
    };
}
