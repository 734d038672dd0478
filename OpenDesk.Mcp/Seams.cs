using OpenDesk.Core;

namespace OpenDesk.Mcp;

/// <summary>
/// Optical character recognition, run where the MCP server runs (also for images captured on remote peers).
/// OpenDesk.Mcp has no OCR of its own: the composition root (<c>opendesk mcp</c>) adapts OpenDesk.Local's OCR.
/// </summary>
public interface IOcrEngine
{
    /// <summary>Recognises the text of an encoded image (PNG or JPEG).</summary>
    /// <param name="image">The image; word boxes are returned in its pixel space.</param>
    /// <param name="cancellationToken">Cancels the recognition.</param>
    /// <returns>The text and the word boxes in <paramref name="image"/> pixels.</returns>
    ValueTask<OcrResult> RecognizeAsync(Pixmap image, CancellationToken cancellationToken);
}

/// <summary>The result of <see cref="IOcrEngine.RecognizeAsync"/>.</summary>
/// <param name="Text">The recognised text, lines separated by <c>\n</c>.</param>
/// <param name="Words">The words with their boxes in the pixels of the recognised image.</param>
public sealed record OcrResult(string Text, IReadOnlyList<OcrWord> Words);

/// <summary>One recognised word.</summary>
/// <param name="Text">The word.</param>
/// <param name="Bounds">Its box, in the pixels of the image it was recognised in.</param>
/// <param name="Confidence">Confidence 0..100 (engine-specific).</param>
public sealed record OcrWord(string Text, Rect Bounds, double Confidence);

/// <summary>
/// Draws Set-of-Marks boxes and numbers on a screenshot. OpenDesk.Mcp has no image library: the composition root
/// may provide one (e.g. over SkiaSharp); without it the mark list is returned as text only.
/// </summary>
public interface IMarkRenderer
{
    /// <summary>Returns a copy of <paramref name="image"/> with the marks drawn, encoded as <paramref name="image"/> is.</summary>
    /// <param name="image">The screenshot.</param>
    /// <param name="marks">The marks, with bounds in <paramref name="image"/> pixels.</param>
    /// <param name="cancellationToken">Cancels the drawing.</param>
    ValueTask<Pixmap> DrawAsync(Pixmap image, IReadOnlyList<ScreenMark> marks, CancellationToken cancellationToken);
}

/// <summary>
/// Draws the mouse cursor (an arrow with a contrasting outline, its tip at the cursor's position) on a screenshot, for
/// <c>screenshot show_cursor</c>: screen captures do not contain the cursor. Like <see cref="IMarkRenderer"/>, provided
/// by the composition root; without it the position is given in text only.
/// </summary>
public interface ICursorRenderer
{
    /// <summary>Returns a copy of <paramref name="image"/> with the cursor drawn, encoded as <paramref name="image"/> is.</summary>
    /// <param name="image">The screenshot.</param>
    /// <param name="tip">The cursor's hotspot in <paramref name="image"/> pixels (may lie outside; then nothing is visible).</param>
    /// <param name="cancellationToken">Cancels the drawing.</param>
    ValueTask<Pixmap> DrawCursorAsync(Pixmap image, Point tip, CancellationToken cancellationToken);
}

/// <summary>A Set-of-Marks entry.</summary>
/// <param name="Number">The mark number shown to the model (from 1).</param>
/// <param name="Bounds">The element's box in the pixels of the image the mark belongs to.</param>
/// <param name="Role">The accessibility role.</param>
/// <param name="Label">The accessible name (truncated to 60 characters).</param>
public sealed record ScreenMark(int Number, Rect Bounds, string Role, string Label);
