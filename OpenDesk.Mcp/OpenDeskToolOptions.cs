using OpenDesk.Core;

namespace OpenDesk.Mcp;

/// <summary>Server-wide settings of the OpenDesk tool catalog (image budget, settle caps, optional seams).</summary>
public sealed class OpenDeskToolOptions
{
    /// <summary>Longest edge of a full screenshot sent to the model, in image pixels (default 1568). Never upscaled.</summary>
    public int MaxImageLongEdge { get; set; } = 1568;

    /// <summary>Pixel budget of a full screenshot sent to the model (default 1,150,000). Never upscaled.</summary>
    public long MaxImagePixels { get; set; } = 1_150_000;

    /// <summary>Encoding of model images unless a call asks otherwise (default JPEG).</summary>
    public PixmapFormat ImageFormat { get; set; } = PixmapFormat.Jpeg;

    /// <summary>JPEG quality of model images (default 80).</summary>
    public int JpegQuality { get; set; } = 80;

    /// <summary>Default settle cap of <c>mouse</c> in milliseconds (default 500).</summary>
    public int MouseSettleMs { get; set; } = 500;

    /// <summary>Default settle cap of <c>keyboard</c> in milliseconds (default 300).</summary>
    public int KeyboardSettleMs { get; set; } = 300;

    /// <summary>Default settle cap of <c>ui</c> and <c>app</c> actions in milliseconds (default 500).</summary>
    public int ActionSettleMs { get; set; } = 500;

    /// <summary>How long an unchanged screen must stay unchanged before a settle ends (default 150 ms, capped by the call's settle_ms).</summary>
    public int SettleQuietMs { get; set; } = 150;

    /// <summary>Interval between two settle probes (default 25 ms).</summary>
    public int SettlePollMs { get; set; } = 25;

    /// <summary>Width of the cheap downscaled capture used to detect screen changes (default 640 image pixels; changes much smaller than desktop width / 640 pixels can be missed).</summary>
    public int ProbeWidth { get; set; } = 640;

    /// <summary>OCR engine for the <c>ocr</c> tool; null makes the tool report that OCR is not available.</summary>
    public IOcrEngine? OcrEngine { get; set; }

    /// <summary>Draws Set-of-Marks boxes on screenshots; null makes <c>marks</c> return the mark list as text only.</summary>
    public IMarkRenderer? MarkRenderer { get; set; }

    /// <summary>Draws the cursor for <c>screenshot show_cursor</c>; null makes it report the position as text only.</summary>
    public ICursorRenderer? CursorRenderer { get; set; }

    /// <summary>Clock used for audit timestamps and settle deadlines (tests may replace it).</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
