using System.CommandLine;
using OpenDesk.Serve.Demo;

namespace OpenDesk.Serve.Commands;

/// <summary>
/// <c>opendesk demo</c>: the quick start. Starts private desktops with real apps, pairs a loopback peer through the CLI,
/// drives <c>opendesk mcp</c> with a scripted agent on both, prints one line per step and a summary, stops everything.
/// </summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var outputOption = new Option<string?>("--output", "-o")
        {
            Description = "Folder for the screenshots (default: a new folder under the temp directory; the path is printed).",
        };
        var noPeerOption = new Option<bool>("--no-peer")
        {
            Description = "Only drive this machine (skip pairing and the loopback peer).",
        };
        var sizeOption = new Option<string>("--size")
        {
            Description = "Size of each virtual desktop, WIDTHxHEIGHT.",
            DefaultValueFactory = _ => "1280x800",
        };
        var keepOption = new Option<bool>("--keep-homes")
        {
            Description = "Keep the temporary OpenDesk homes (server and controller) for inspection.",
        };

        var command = new Command(
            "demo",
            "Show OpenDesk end to end on this machine: private virtual desktops with real apps, a peer paired on loopback, and a "
            + "scripted agent driving `opendesk mcp` on both (screenshot, click, open an app, type, OCR and accessibility "
            + "read-back, clipboard, status). Needs Xvfb; exits non-zero when a step fails.")
        {
            outputOption, noPeerOption, sizeOption, keepOption,
        };

        command.SetAction(async (parseResult, cancellationToken) =>
        {
            TextWriter output = parseResult.InvocationConfiguration.Output;
            if (!OperatingSystem.IsLinux())
            {
                output.WriteLine("opendesk demo runs on Linux (it starts private Xvfb desktops).");
                return 2;
            }

            string size = parseResult.GetValue(sizeOption) ?? "1280x800";
            string[] parts = size.Split('x');
            if (parts.Length != 2 || !int.TryParse(parts[0], out int width) || !int.TryParse(parts[1], out int height)
                || width < 640 || height < 480)
            {
                output.WriteLine($"--size must be WIDTHxHEIGHT, at least 640x480 (got '{size}').");
                return 2;
            }

            var settings = new DemoSettings
            {
                Exe = OpenDeskExe.Self(typeof(DemoCommand).Assembly.Location),
                OutputDirectory = parseResult.GetValue(outputOption),
                Peer = !parseResult.GetValue(noPeerOption),
                Width = width,
                Height = height,
                KeepHomes = parseResult.GetValue(keepOption),
            };
            return await new DemoRunner(output, settings).RunAsync(cancellationToken);
        });
        return command;
    }
}
