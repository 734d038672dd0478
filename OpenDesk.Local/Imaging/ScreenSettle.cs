using System.Diagnostics;

namespace OpenDesk.Local.Imaging;

/// <summary>The outcome of <see cref="ScreenSettle.WaitAsync"/>.</summary>
/// <param name="Changed">True when the screen differs from the baseline (or, without a baseline, changed while waiting).</param>
/// <param name="Stable">True when consecutive samples were equal before the cap ran out.</param>
/// <param name="Elapsed">How long the wait took.</param>
/// <param name="Last">The last fingerprint sampled.</param>
public sealed record SettleResult(bool Changed, bool Stable, TimeSpan Elapsed, ScreenFingerprint Last);

/// <summary>
/// "Wait until the screen is stable": samples fingerprints until <c>stableSamples</c> equal ones follow each other or
/// the cap runs out, then says honestly whether the screen changed. Works with any sampler (a local XShm grab or a
/// remote peer's frames).
/// </summary>
public static class ScreenSettle
{
    /// <summary>Samples until the screen is stable or <paramref name="cap"/> runs out.</summary>
    /// <param name="sample">Takes one fingerprint.</param>
    /// <param name="baseline">The fingerprint before the action, or null.</param>
    /// <param name="cap">The longest wait (e.g. <c>settle_ms</c>).</param>
    /// <param name="interval">Time between samples (default 50 ms).</param>
    /// <param name="stableSamples">How many equal samples in a row count as stable (default 2).</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    public static async ValueTask<SettleResult> WaitAsync(
        Func<CancellationToken, ValueTask<ScreenFingerprint>> sample,
        ScreenFingerprint? baseline,
        TimeSpan cap,
        TimeSpan? interval = null,
        int stableSamples = 2,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sample);
        TimeSpan step = interval ?? TimeSpan.FromMilliseconds(50);
        var clock = Stopwatch.StartNew();
        ScreenFingerprint first = await sample(cancellationToken).ConfigureAwait(false);
        ScreenFingerprint last = first;
        int equalRun = 1;
        bool changedWhileWaiting = false;
        while (equalRun < Math.Max(2, stableSamples) && clock.Elapsed < cap)
        {
            TimeSpan wait = cap - clock.Elapsed;
            if (wait > step)
            {
                wait = step;
            }

            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
            }

            ScreenFingerprint next = await sample(cancellationToken).ConfigureAwait(false);
            if (next.Equals(last))
            {
                equalRun++;
            }
            else
            {
                equalRun = 1;
                changedWhileWaiting = true;
            }

            last = next;
        }

        bool stable = equalRun >= Math.Max(2, stableSamples);
        bool changed = baseline is not null ? !last.Equals(baseline) : changedWhileWaiting;
        return new SettleResult(changed, stable, clock.Elapsed, last);
    }
}
