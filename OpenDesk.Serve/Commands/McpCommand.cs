using System.CommandLine;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using OpenDesk.Core;
using OpenDesk.Local;
using OpenDesk.Local.Ocr;
using OpenDesk.Mcp;
using OpenDesk.Remote.Client;
using OpenDesk.Remote.Trust;
using SkiaSharp;
using McpOcrResult = OpenDesk.Mcp.OcrResult;
using McpOcrWord = OpenDesk.Mcp.OcrWord;

namespace OpenDesk.Serve.Commands;

/// <summary>
/// <c>opendesk mcp</c>: the MCP server. Composes this machine (<see cref="LocalComputer"/>, opened on first local use,
/// optionally on a private virtual display), the peer directory of the home directory (OpenDesk.Remote) and the catalog of OpenDesk.Mcp, then
/// serves it over stdio (default; logs go to stderr) or streamable HTTP on 127.0.0.1.
/// </summary>
internal static class McpCommand
{
    public static Command Create()
    {
        Option<string?> homeOption = HomeOption.Create();
        var transportOption = new Option<string>("--transport", "-t")
        {
            Description = "stdio (default) or http (streamable HTTP on 127.0.0.1, Host/Origin checked).",
            DefaultValueFactory = _ => "stdio",
        };
        transportOption.AcceptOnlyFromAmong("stdio", "http");
        var portOption = new Option<int>("--port", "-p")
        {
            Description = "Port for --transport http (0 picks a free port; the endpoint is printed on stderr).",
            DefaultValueFactory = _ => 8424,
        };
        var virtualDisplayOption = new Option<bool>("--virtual-display")
        {
            Description = "Start a private Xvfb desktop (+ window manager and AT-SPI bus when available) and drive it; stopped on exit. "
                + "Used automatically on Linux when no display is found, at the first call that drives this machine (a controller that only drives peers starts none).",
        };
        var displayOption = new Option<string?>("--display")
        {
            Description = "X display to drive (default: $DISPLAY, else the user's display).",
        };
        var maxEdgeOption = new Option<int?>("--max-image-edge")
        {
            Description = "Long-edge budget of screenshots sent to the model (default 1568).",
        };
        var verboseOption = new Option<bool>("--verbose", "-v")
        {
            Description = "Log debug information to stderr.",
        };

        var command = new Command("mcp", "Run the OpenDesk MCP server (stdio by default) for this machine and paired peers.")
        {
            homeOption, transportOption, portOption, virtualDisplayOption, displayOption, maxEdgeOption, verboseOption,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            string home = HomeOption.Resolve(parseResult.GetValue(homeOption));
            bool http = parseResult.GetValue(transportOption) == "http";
            int port = parseResult.GetValue(portOption);
            LogLevel level = parseResult.GetValue(verboseOption) ? LogLevel.Debug : LogLevel.Warning;
            void ConfigureLogging(ILoggingBuilder b) => b
                .SetMinimumLevel(level)
                .AddSimpleConsole(o => o.SingleLine = true)
                .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
            using ILoggerFactory loggerFactory = LoggerFactory.Create(ConfigureLogging);
            ILogger logger = loggerFactory.CreateLogger("opendesk.mcp");

            if (!OperatingSystem.IsLinux() && parseResult.GetValue(virtualDisplayOption))
            {
                await Console.Error.WriteLineAsync("opendesk mcp: --virtual-display needs Linux (Xvfb).");
                return 2;
            }

            var localOptions = new LocalComputerOptions
            {
                DisplayName = parseResult.GetValue(displayOption),
                UseVirtualDisplay = parseResult.GetValue(virtualDisplayOption) ? true : null,
                EnableOcr = false, // the MCP server loads OCR lazily on first use (start-up stays fast)
            };
            await using var local = new LazyLocal(localOptions, logger);
            var renderer = new SkiaMarkRenderer();
            var options = new OpenDeskToolOptions
            {
                OcrEngine = TesseractOcr.IsAvailable ? new LazyTesseractEngine() : null,
                MarkRenderer = renderer,
                CursorRenderer = renderer,
            };
            if (parseResult.GetValue(maxEdgeOption) is int edge && edge >= 64)
            {
                options.MaxImageLongEdge = edge;
            }

            var peers = new PeerDirectory(new OpenDeskHome(home));
            await using var session = new McpSession(local.CreateAsync, peers, options);

            // This machine's desktop is opened on first local use, so a controller that only drives peers starts no Xvfb.
            // When a display is named (DISPLAY, --display) or a virtual one is asked for, open it now in the background and
            // warm the capture/encode path, so the first screenshot does not pay for JIT and codec set-up.
            if (localOptions.UseVirtualDisplay == true || localOptions.DisplayName is not null
                || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DISPLAY")))
            {
                local.Prepare(() => session.OpenLocalAsync(CancellationToken.None));
            }

            IReadOnlyList<AIFunction> tools = OpenDeskTools.Create(session);
            try
            {
                if (http)
                {
                    await using OpenDeskMcpHttp server = await OpenDeskMcpHttp.StartAsync(tools, port, ConfigureLogging, cancellationToken);
                    await Console.Error.WriteLineAsync($"opendesk mcp: listening on {server.Endpoint}");
                    await server.WaitForShutdownAsync(cancellationToken);
                }
                else
                {
                    await OpenDeskMcp.RunStdioAsync(tools, loggerFactory, cancellationToken);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
            }
            catch (IOException e) when (http)
            {
                logger.LogError("Cannot listen on 127.0.0.1:{Port}: {Message}", port, e.Message);
                return 1;
            }
            finally
            {
                (options.OcrEngine as IDisposable)?.Dispose();
            }

            return 0;
        });
        return command;
    }

    /// <summary>
    /// This machine's <see cref="LocalComputer"/>, created on first local use (the session's factory) — or ahead of it
    /// by <see cref="Prepare"/> — and disposed with the command (stopping a virtual display it started).
    /// </summary>
    private sealed class LazyLocal(LocalComputerOptions options, ILogger logger) : IAsyncDisposable
    {
        private LocalComputer? _computer;
        private Task? _prepare;
        private Task<LocalComputer>? _creating;

        /// <summary>The session's local factory (the session calls it once, under its own lock).</summary>
        public async ValueTask<IComputer> CreateAsync(CancellationToken cancellationToken)
        {
            LocalComputer computer;
            try
            {
                // Opening a display (or starting Xvfb + window manager + AT-SPI) blocks: keep it off the caller's thread.
                // Not cancellable once started: DisposeAsync waits for it, so a desktop being started never outlives the command.
                _creating = Task.Run(() => LocalComputer.Create(options), CancellationToken.None);
                computer = await _creating.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (PlatformNotSupportedException e)
            {
                throw new CapabilityUnsupportedException($"this machine cannot be driven locally: {e.Message} Use a paired peer (see opendesk_peers).", (IReadOnlyDictionary<string, object?>?)null);
            }

            _computer = computer;
            if (OperatingSystem.IsLinux() && computer.OwnedVirtualDisplay is { } vd)
            {
                await Console.Error.WriteLineAsync($"opendesk mcp: started a private virtual display {vd.DisplayName}").ConfigureAwait(false);
            }

            _ = Task.Run(() => WarmUpAsync(computer), CancellationToken.None);
            return computer;
        }

        /// <summary>Opens the local computer in the background now (through <paramref name="open"/>, i.e. the session).</summary>
        public void Prepare(Func<ValueTask> open) => _prepare = Task.Run(async () =>
        {
            try
            {
                await open().ConfigureAwait(false);
            }
            catch (Exception e) when (e is OpenDeskException or ObjectDisposedException or InvalidOperationException)
            {
                logger.LogDebug("Opening the local desktop ahead of use failed: {Message}", e.Message);
            }
        });

        private async Task WarmUpAsync(LocalComputer computer)
        {
            try
            {
                _ = await computer.Display.CaptureAsync(new CaptureOptions { Format = PixmapFormat.Jpeg, MaxWidth = 64, MaxHeight = 64 }, CancellationToken.None).ConfigureAwait(false);
                _ = await computer.Display.CaptureAsync(new CaptureOptions { Format = PixmapFormat.Png, MaxWidth = 64, MaxHeight = 64 }, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OpenDeskException or InvalidOperationException or ObjectDisposedException)
            {
                logger.LogDebug("Capture warm-up skipped: {Message}", e.Message);
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (_prepare is not null)
            {
                await _prepare.ConfigureAwait(false); // a desktop being opened must not outlive the command
            }

            LocalComputer? computer = _computer;
            if (computer is null && _creating is { } creating)
            {
                try
                {
                    computer = await creating.ConfigureAwait(false); // created for a call that was cancelled or is still running
                }
                catch (Exception e) when (e is PlatformNotSupportedException or OpenDeskException or InvalidOperationException)
                {
                    logger.LogDebug("Opening the local desktop failed: {Message}", e.Message);
                }
            }

            if (computer is not null)
            {
                await computer.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>OpenDesk.Local's libtesseract engine behind the Mcp seam, created on first use (140–230 ms).</summary>
    private sealed class LazyTesseractEngine : IOcrEngine, IDisposable
    {
        private readonly Lazy<TesseractOcr> _engine = new(() => TesseractOcr.Create(), LazyThreadSafetyMode.ExecutionAndPublication);

        public ValueTask<McpOcrResult> RecognizeAsync(Pixmap image, CancellationToken cancellationToken)
            => new(Task.Run(() =>
            {
                OpenDesk.Local.Ocr.OcrResult r = _engine.Value.Recognize(image);
                return new McpOcrResult(r.Text, [.. r.Words.Select(w => new McpOcrWord(w.Text, w.Box, w.Confidence))]);
            }, cancellationToken));

        public void Dispose()
        {
            if (_engine.IsValueCreated)
            {
                _engine.Value.Dispose();
            }
        }
    }

    /// <summary>
    /// Draws Set-of-Marks (box, translucent fill, numbered chip) and the cursor (OpenDesk.Local's arrow) with SkiaSharp;
    /// re-encodes in the input's format.
    /// </summary>
    internal sealed class SkiaMarkRenderer : IMarkRenderer, ICursorRenderer
    {
        public ValueTask<Pixmap> DrawCursorAsync(Pixmap image, Point tip, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return ValueTask.FromResult(OpenDesk.Local.Imaging.PixmapTools.DrawCursor(image, tip));
        }

        private static readonly SKColor[] s_palette =
        [
            new(0xE6, 0x19, 0x4B), new(0x3C, 0xB4, 0x4B), new(0x43, 0x63, 0xD8), new(0xF5, 0x82, 0x31), new(0x91, 0x1E, 0xB4),
            new(0x42, 0xD4, 0xF4), new(0xF0, 0x32, 0xE6), new(0x80, 0x80, 0x00), new(0x46, 0x99, 0x90), new(0x9A, 0x63, 0x24),
        ];

        public ValueTask<Pixmap> DrawAsync(Pixmap image, IReadOnlyList<ScreenMark> marks, CancellationToken cancellationToken)
        {
            using SKBitmap? bitmap = SKBitmap.Decode(image.Data);
            if (bitmap is null)
            {
                return ValueTask.FromResult(image);
            }

            using (var canvas = new SKCanvas(bitmap))
            using (var font = new SKFont(SKTypeface.Default, 12))
            using (var stroke = new SKPaint { Style = SKPaintStyle.Stroke, StrokeWidth = 2, IsAntialias = true })
            using (var fill = new SKPaint { Style = SKPaintStyle.Fill, IsAntialias = true })
            using (var text = new SKPaint { Color = SKColors.White, IsAntialias = true })
            {
                foreach (ScreenMark m in marks)
                {
                    SKColor color = s_palette[(m.Number - 1) % s_palette.Length];
                    var rect = SKRect.Create((float)m.Bounds.X, (float)m.Bounds.Y, (float)m.Bounds.Width, (float)m.Bounds.Height);
                    fill.Color = color.WithAlpha(40);
                    canvas.DrawRect(rect, fill);
                    stroke.Color = color;
                    canvas.DrawRect(rect, stroke);
                    string label = m.Number.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    float w = font.MeasureText(label) + 6, h = 15;
                    float y = rect.Top - h >= 0 ? rect.Top - h : rect.Bottom;
                    fill.Color = color;
                    canvas.DrawRect(SKRect.Create(rect.Left, y, w, h), fill);
                    canvas.DrawText(label, rect.Left + 3, y + 12, font, text);
                }
            }

            bool png = image.Format == PixmapFormat.Png;
            using SKData data = bitmap.Encode(png ? SKEncodedImageFormat.Png : SKEncodedImageFormat.Jpeg, png ? 100 : 80);
            return ValueTask.FromResult(image with { Data = data.ToArray(), Format = png ? PixmapFormat.Png : PixmapFormat.Jpeg });
        }
    }
}
