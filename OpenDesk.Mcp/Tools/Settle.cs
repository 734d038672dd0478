using System.Globalization;
using OpenDesk.Core;

namespace OpenDesk.Mcp.Tools;

/// <summary>
/// Waits after an action until the screen is stable, without fixed sleeps: cheap downscaled PNG captures
/// (<see cref="CaptureOptions.MaxWidth"/>) compared byte for byte. Stable = two equal probes in a row (and, when nothing
/// changed yet, no change for <see cref="OpenDeskToolOptions.SettleQuietMs"/>); <c>settle_ms</c> is a cap. A computer
/// whose probe is not downscaled (it ignores the MaxWidth extension) gets a short fixed wait instead and the text says the change was not checked.
/// </summary>
internal static class Settle
{
    public static async ValueTask<byte[]?> BeforeAsync(PeerContext context, int settleMs, OpenDeskToolOptions options, CancellationToken cancellationToken)
        => settleMs <= 0 || context.View.ProbeSlow ? null : await ProbeAsync(context, options, cancellationToken).ConfigureAwait(false);

    /// <summary>Waits for the screen to settle and returns one honest sentence about it.</summary>
    public static async ValueTask<string> AfterAsync(PeerContext context, byte[]? before, int settleMs, OpenDeskToolOptions options, CancellationToken cancellationToken)
    {
        if (settleMs <= 0)
        {
            return "Screen change not checked (settle_ms=0).";
        }

        TimeProvider time = options.TimeProvider;
        if (before is null)
        {
            int wait = Math.Min(settleMs, 250);
            await Task.Delay(TimeSpan.FromMilliseconds(wait), time, cancellationToken).ConfigureAwait(false);
            return Inv($"Waited {wait} ms; screen change not checked (this computer has no cheap downscaled capture).");
        }

        long start = time.GetTimestamp();
        int quietMs = Math.Min(options.SettleQuietMs, settleMs);
        byte[]? previous = null;
        bool changed = false;
        long lastChange = start;
        while (true)
        {
            byte[]? current = await ProbeAsync(context, options, cancellationToken).ConfigureAwait(false);
            if (current is null)
            {
                return "Screen change not checked (capture failed).";
            }

            double elapsedMs = time.GetElapsedTime(start).TotalMilliseconds;
            bool equalToPrevious = previous is not null && current.AsSpan().SequenceEqual(previous);
            if (!equalToPrevious && previous is not null)
            {
                lastChange = time.GetTimestamp();
            }

            if (!changed && !current.AsSpan().SequenceEqual(before))
            {
                changed = true;
                lastChange = time.GetTimestamp();
            }

            if (changed && equalToPrevious)
            {
                return Inv($"Screen changed; stable after {elapsedMs:0} ms.");
            }

            if (!changed && equalToPrevious && time.GetElapsedTime(lastChange).TotalMilliseconds >= quietMs)
            {
                return Inv($"No screen change seen (watched {elapsedMs:0} ms).");
            }

            if (elapsedMs >= settleMs)
            {
                return changed
                    ? Inv($"Screen changed and was still changing when settle_ms={settleMs} ran out.")
                    : Inv($"No screen change seen within settle_ms={settleMs}.");
            }

            previous = current;
            await Task.Delay(TimeSpan.FromMilliseconds(options.SettlePollMs), time, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async ValueTask<byte[]?> ProbeAsync(PeerContext context, OpenDeskToolOptions options, CancellationToken cancellationToken)
    {
        try
        {
            Pixmap probe = await context.Computer.Display.CaptureAsync(
                new CaptureOptions { Format = PixmapFormat.Png, MaxWidth = options.ProbeWidth, MaxHeight = options.ProbeWidth },
                cancellationToken).ConfigureAwait(false);
            // A computer that ignores MaxWidth (e.g. a Python peer) sends full-size PNGs: too slow to poll.
            if (probe.Width > options.ProbeWidth * 2)
            {
                context.View.ProbeSlow = true;
            }

            return probe.Data;
        }
        catch (CapabilityUnsupportedException)
        {
            context.View.ProbeSlow = true;
            return null;
        }
    }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
