using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.InteropServices.Marshalling;
using System.Text;
using OpenDesk.Core;
using SkiaSharp;

namespace OpenDesk.Local.Ocr;

/// <summary>How Tesseract segments the page.</summary>
public enum OcrPageMode
{
    /// <summary>
    /// Automatic page segmentation (PSM 3): screens, documents. A sparse screen (one background colour covering most of
    /// it, e.g. a dark desktop with a few windows) is read region by region instead (see <see cref="TesseractOcr"/>).
    /// </summary>
    Auto = 3,
    /// <summary>One uniform block of text (PSM 6).</summary>
    SingleBlock = 6,
    /// <summary>One line of text (PSM 7).</summary>
    SingleLine = 7,
    /// <summary>Sparse text in no particular order (PSM 11).</summary>
    SparseText = 11,
}

/// <summary>A recognised word. <see cref="Box"/> is in the pixels of the image given to the engine (image space).</summary>
/// <param name="Text">The word.</param>
/// <param name="Confidence">Tesseract's confidence, 0..100.</param>
/// <param name="Box">The word's bounding box in image pixels.</param>
public sealed record OcrWord(string Text, float Confidence, Rect Box);

/// <summary>The result of OCR on one image.</summary>
/// <param name="Text">The recognised text, lines separated by newlines.</param>
/// <param name="Words">Words with boxes (image pixels) and confidence.</param>
/// <param name="Duration">How long recognition took.</param>
public sealed record OcrResult(string Text, IReadOnlyList<OcrWord> Words, TimeSpan Duration);

/// <summary>
/// OCR through libtesseract's C API (<c>libtesseract.so.5</c>). One engine per instance, initialised once and reused;
/// calls on one instance are serialised (the engine is not thread-safe). <c>OMP_THREAD_LIMIT=1</c> is set in the
/// native environment before the first call (4–6x faster on small machines).
/// </summary>
/// <remarks>
/// With <see cref="OcrPageMode.Auto"/>, a sparse screen (one background colour covers at least half of it and the
/// content at most 60%: a dark or plain desktop with a few windows) is not given to Tesseract whole, because its page
/// layout takes a light window on a dark desktop for a picture and drops most of the text in it. Each content region
/// is read on its own instead: cropped to its exact box, on a white margin, upscaled 2x when small, in sparse-text
/// mode; the text is rebuilt line by line from the word boxes. Other screens, and the other modes, are read whole.
/// </remarks>
public sealed class TesseractOcr : IDisposable
{
    /// <summary>White margin (engine pixels) around a region read on its own.</summary>
    private const int RegionMargin = 10;

    private static readonly Lazy<string?> s_unavailableReason = new(ProbeLibrary);
    private readonly SafeTessHandle _handle;
    private readonly object _gate = new();

    private TesseractOcr(SafeTessHandle handle, string language)
    {
        _handle = handle;
        Language = language;
    }

    /// <summary>True when libtesseract can be loaded.</summary>
    public static bool IsAvailable => s_unavailableReason.Value is null;

    /// <summary>Why OCR is unavailable (with the install line), or null when it is available.</summary>
    public static string? UnavailableReason => s_unavailableReason.Value;

    /// <summary>The language(s) the engine was initialised with, e.g. <c>eng</c>.</summary>
    public string Language { get; }

    /// <summary>Creates and initialises an engine (140–230 ms; keep it and reuse it).</summary>
    /// <param name="language">Tesseract language code(s), e.g. <c>eng</c> or <c>eng+deu</c>.</param>
    /// <param name="dataPath">The tessdata folder, or null for the installed default.</param>
    /// <exception cref="CapabilityUnsupportedException">libtesseract or the language data is missing.</exception>
    public static TesseractOcr Create(string language = "eng", string? dataPath = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(language);
        if (UnavailableReason is string reason)
        {
            throw new CapabilityUnsupportedException(reason, new Dictionary<string, object?> { ["capability"] = "ocr", ["backend"] = "local/linux" });
        }

        SafeTessHandle handle = Interop.Tesseract.TessBaseAPICreate();
        if (handle.IsInvalid || Interop.Tesseract.TessBaseAPIInit3(handle, dataPath, language) != 0)
        {
            handle.Dispose();
            throw new CapabilityUnsupportedException(
                $"Tesseract could not load the '{language}' language data (apt-get install tesseract-ocr-{language.Split('+')[0]}).",
                new Dictionary<string, object?> { ["capability"] = "ocr", ["backend"] = "local/linux" });
        }

        // Tesseract prints diagnostics ("Warning: guessing pitch…") to stderr, which is the MCP server's log: send them nowhere.
        _ = Interop.Tesseract.TessBaseAPISetVariable(handle, "debug_file", "/dev/null");
        return new TesseractOcr(handle, language);
    }

    /// <summary>Recognises text in an encoded image (PNG, JPEG…), e.g. a screenshot from a remote peer.</summary>
    /// <param name="encodedImage">The encoded image.</param>
    /// <param name="region">A region of the image in image pixels, or null for all of it; boxes stay in whole-image pixels.</param>
    /// <param name="mode">Page segmentation.</param>
    public OcrResult Recognize(ReadOnlySpan<byte> encodedImage, Rect? region = null, OcrPageMode mode = OcrPageMode.Auto)
    {
        using SKBitmap? decoded = SKBitmap.Decode(encodedImage) ?? throw new InvalidArgumentException("The image could not be decoded.");
        using SKBitmap bgra = decoded.ColorType == SKColorType.Bgra8888 ? decoded.Copy() : decoded.Copy(SKColorType.Bgra8888);
        return RecognizeBgra(bgra.GetPixelSpan(), bgra.Width, bgra.Height, bgra.RowBytes, region, mode);
    }

    /// <summary>Recognises text in a captured <see cref="Pixmap"/> (PNG or JPEG).</summary>
    /// <param name="pixmap">The image.</param>
    /// <param name="region">A region in image pixels, or null.</param>
    /// <param name="mode">Page segmentation.</param>
    public OcrResult Recognize(Pixmap pixmap, Rect? region = null, OcrPageMode mode = OcrPageMode.Auto)
    {
        ArgumentNullException.ThrowIfNull(pixmap);
        return pixmap.Format == PixmapFormat.RawRgba
            ? RecognizeRgba(pixmap.Data, pixmap.Width, pixmap.Height, region, mode)
            : Recognize(pixmap.Data, region, mode);
    }

    /// <summary>Recognises text in 32-bit BGRA/BGRX pixels.</summary>
    /// <param name="pixels">The pixels.</param>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    /// <param name="stride">Bytes per row.</param>
    /// <param name="region">A region in image pixels, or null; word boxes stay in whole-image pixels.</param>
    /// <param name="mode">Page segmentation.</param>
    public OcrResult RecognizeBgra(ReadOnlySpan<byte> pixels, int width, int height, int stride, Rect? region = null, OcrPageMode mode = OcrPageMode.Auto)
        => RecognizeCore(pixels, width, height, stride, region, mode, redFirst: false);

    private OcrResult RecognizeRgba(ReadOnlySpan<byte> pixels, int width, int height, Rect? region, OcrPageMode mode)
        => RecognizeCore(pixels, width, height, width * 4, region, mode, redFirst: true);

    private OcrResult RecognizeCore(ReadOnlySpan<byte> pixels, int width, int height, int stride, Rect? region, OcrPageMode mode, bool redFirst)
    {
        var full = new Rect(0, 0, width, height);
        Rect r = region is { } rr ? rr.Intersect(full) : full;
        int x0 = (int)r.X, y0 = (int)r.Y, w = (int)Math.Ceiling(r.Right) - x0, h = (int)Math.Ceiling(r.Bottom) - y0;
        if (w <= 0 || h <= 0)
        {
            throw new InvalidArgumentException($"The OCR region {region} is outside the {width}x{height} image.");
        }

        if (pixels.Length < ((long)stride * (height - 1)) + (width * 4))
        {
            throw new ArgumentException("The pixel buffer is smaller than stride * height.", nameof(pixels));
        }

        var clock = Stopwatch.StartNew();
        var area = new PixelRect(x0, y0, w, h);

        // A sparse screen (a plain or dark desktop with a few windows) is read region by region: whole, Tesseract takes
        // a light window on a dark desktop for a picture and drops most of its text.
        if (mode == OcrPageMode.Auto && ContentRegions.Find(pixels, stride, x0, y0, w, h) is { } regions)
        {
            return RecognizeRegions(pixels, stride, area, regions, redFirst, clock);
        }

        (string text, List<OcrWord> words) = RecognizeCrop(pixels, stride, area, 1, 0, mode, redFirst);
        return new OcrResult(text, words, clock.Elapsed);
    }

    /// <summary>
    /// Reads each content region on its own: cropped, on a white margin, upscaled 2x when it is small (UI fonts of 8–11
    /// pixels read far better), in sparse-text mode (widget grids such as a calculator's keypad defeat the automatic
    /// layout); text is rebuilt line by line from the word boxes.
    /// </summary>
    private OcrResult RecognizeRegions(ReadOnlySpan<byte> pixels, int stride, PixelRect area, IReadOnlyList<PixelRect> regions, bool redFirst, Stopwatch clock)
    {
        // Smallest regions first, upscale while the extra pixels stay within one more image: a sparse screen costs at
        // most about two full-image passes, and small windows (dialogs, calculators) get the upscale.
        var scales = new int[regions.Count];
        long budget = area.Area;
        foreach (int i in Enumerable.Range(0, regions.Count).OrderBy(i => regions[i].Area))
        {
            long extra = 3 * regions[i].Area;
            scales[i] = extra <= budget ? 2 : 1;
            budget -= scales[i] == 2 ? extra : 0;
        }

        var words = new List<OcrWord>();
        var text = new StringBuilder();
        for (int i = 0; i < regions.Count; i++)
        {
            PixelRect crop = regions[i] with { X = regions[i].X + area.X, Y = regions[i].Y + area.Y };
            (_, List<OcrWord> found) = RecognizeCrop(pixels, stride, crop, scales[i], RegionMargin, OcrPageMode.SparseText, redFirst);
            foreach (List<OcrWord> line in Lines(found))
            {
                words.AddRange(line);
                _ = text.Append(string.Join(' ', line.Select(x => x.Text))).Append('\n');
            }

            _ = text.Append('\n');
        }

        return new OcrResult(text.ToString().Trim(), words, clock.Elapsed);
    }

    /// <summary>Groups words into lines (a word joins a line when each one's vertical centre lies within the other), top to bottom, left to right.</summary>
    internal static List<List<OcrWord>> Lines(IEnumerable<OcrWord> words)
    {
        var lines = new List<(double Top, double Bottom, List<OcrWord> Words)>();
        foreach (OcrWord word in words.OrderBy(x => x.Box.Center.Y))
        {
            double centre = word.Box.Center.Y;
            int at = lines.FindLastIndex(l => centre >= l.Top && centre <= l.Bottom && (l.Top + l.Bottom) / 2 >= word.Box.Y && (l.Top + l.Bottom) / 2 <= word.Box.Bottom);
            if (at < 0)
            {
                lines.Add((word.Box.Y, word.Box.Bottom, [word]));
            }
            else
            {
                (double top, double bottom, List<OcrWord> list) = lines[at];
                list.Add(word);
                lines[at] = (Math.Min(top, word.Box.Y), Math.Max(bottom, word.Box.Bottom), list);
            }
        }

        return [.. lines.OrderBy(l => l.Top).Select(l => l.Words.OrderBy(x => x.Box.X).ToList())];
    }

    /// <summary>
    /// OCR of one crop (whole-image pixels), optionally upscaled and on a white margin; boxes come back in whole-image
    /// pixels. 24-bit RGB first: Tesseract thresholds each channel and keeps coloured text (terminal prompts) that an
    /// 8-bit grey conversion merges into its background. Some widgets (e.g. Xaw buttons) read better in grey, so an
    /// empty colour result is retried in grey.
    /// </summary>
    private (string Text, List<OcrWord> Words) RecognizeCrop(ReadOnlySpan<byte> pixels, int stride, PixelRect crop, int scale, int margin, OcrPageMode mode, bool redFirst)
    {
        byte[] rgb = ToRgb(pixels, stride, crop, redFirst);
        int w = crop.Width, h = crop.Height;
        if (scale == 2)
        {
            rgb = Upscale2x(rgb, w, h, 3);
            (w, h) = (w * 2, h * 2);
        }

        if (margin > 0)
        {
            rgb = AddMargin(rgb, w, h, 3, margin);
            (w, h) = (w + (2 * margin), h + (2 * margin));
        }

        var map = new BoxMap(crop, scale, margin);
        (string Text, List<OcrWord> Words) colour = Run(rgb, w, h, 3, map, mode);
        return colour.Words.Count > 0 ? colour : Run(ToGrey(rgb), w, h, 1, map, mode);
    }

    private static byte[] ToRgb(ReadOnlySpan<byte> pixels, int stride, PixelRect crop, bool redFirst)
    {
        var result = new byte[crop.Width * crop.Height * 3];
        int rOff = redFirst ? 0 : 2, bOff = redFirst ? 2 : 0;
        for (int y = 0; y < crop.Height; y++)
        {
            ReadOnlySpan<byte> row = pixels.Slice(((y + crop.Y) * stride) + (crop.X * 4), crop.Width * 4);
            Span<byte> dst = result.AsSpan(y * crop.Width * 3, crop.Width * 3);
            for (int x = 0; x < crop.Width; x++)
            {
                int p = x * 4, q = x * 3;
                dst[q] = row[p + rOff];
                dst[q + 1] = row[p + 1];
                dst[q + 2] = row[p + bOff];
            }
        }

        return result;
    }

    private static byte[] ToGrey(byte[] rgb)
    {
        var grey = new byte[rgb.Length / 3];
        for (int i = 0; i < grey.Length; i++)
        {
            int q = i * 3;
            grey[i] = (byte)(((rgb[q] * 77) + (rgb[q + 1] * 150) + (rgb[q + 2] * 29)) >> 8);
        }

        return grey;
    }

    /// <summary>Bilinear 2x upscale (each output pixel mixes its source pixel 9:3:3:1 with the nearest neighbours).</summary>
    internal static byte[] Upscale2x(byte[] src, int w, int h, int bpp)
    {
        int ow = w * 2, oh = h * 2;
        var dst = new byte[ow * oh * bpp];
        for (int y = 0; y < oh; y++)
        {
            int sy = y >> 1;
            int ny = (y & 1) == 0 ? Math.Max(sy - 1, 0) : Math.Min(sy + 1, h - 1);
            int a = sy * w * bpp, b = ny * w * bpp, o = y * ow * bpp;
            for (int x = 0; x < ow; x++)
            {
                int sx = x >> 1;
                int nx = (x & 1) == 0 ? Math.Max(sx - 1, 0) : Math.Min(sx + 1, w - 1);
                for (int c = 0; c < bpp; c++)
                {
                    int v = (9 * src[a + (sx * bpp) + c]) + (3 * src[a + (nx * bpp) + c]) + (3 * src[b + (sx * bpp) + c]) + src[b + (nx * bpp) + c];
                    dst[o + (x * bpp) + c] = (byte)((v + 8) >> 4);
                }
            }
        }

        return dst;
    }

    private static byte[] AddMargin(byte[] src, int w, int h, int bpp, int margin)
    {
        int ow = w + (2 * margin);
        var dst = new byte[ow * (h + (2 * margin)) * bpp];
        Array.Fill(dst, (byte)255);
        for (int y = 0; y < h; y++)
        {
            Array.Copy(src, y * w * bpp, dst, (((y + margin) * ow) + margin) * bpp, w * bpp);
        }

        return dst;
    }

    private unsafe (string Text, List<OcrWord> Words) Run(byte[] image, int w, int h, int bytesPerPixel, BoxMap map, OcrPageMode mode)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
            fixed (byte* g = image)
            {
                Interop.Tesseract.TessBaseAPISetPageSegMode(_handle, (int)mode);
                Interop.Tesseract.TessBaseAPISetImage(_handle, (IntPtr)g, w, h, bytesPerPixel, w * bytesPerPixel);
                Interop.Tesseract.TessBaseAPISetSourceResolution(_handle, 96);
                if (Interop.Tesseract.TessBaseAPIRecognize(_handle, IntPtr.Zero) != 0)
                {
                    throw new InternalErrorException("Tesseract recognition failed.");
                }

                string text = TakeText(Interop.Tesseract.TessBaseAPIGetUTF8Text(_handle)) ?? string.Empty;
                var words = new List<OcrWord>();
                IntPtr it = Interop.Tesseract.TessBaseAPIGetIterator(_handle);
                if (it != IntPtr.Zero)
                {
                    try
                    {
                        IntPtr page = Interop.Tesseract.TessResultIteratorGetPageIterator(it);
                        do
                        {
                            string? word = TakeText(Interop.Tesseract.TessResultIteratorGetUTF8Text(it, Interop.Tesseract.RIL_WORD));
                            if (string.IsNullOrWhiteSpace(word))
                            {
                                continue;
                            }

                            float conf = Interop.Tesseract.TessResultIteratorConfidence(it, Interop.Tesseract.RIL_WORD);
                            if (Interop.Tesseract.TessPageIteratorBoundingBox(page, Interop.Tesseract.RIL_WORD, out int l, out int t, out int rgt, out int b) != 0)
                            {
                                words.Add(new OcrWord(word, conf, map.ToImage(l, t, rgt, b)));
                            }
                        }
                        while (Interop.Tesseract.TessResultIteratorNext(it, Interop.Tesseract.RIL_WORD) != 0);
                    }
                    finally
                    {
                        Interop.Tesseract.TessResultIteratorDelete(it);
                    }
                }

                Interop.Tesseract.TessBaseAPIClear(_handle);
                return (text.Trim(), words);
            }
        }
    }

    /// <summary>Maps a box in the engine's (cropped, upscaled, margined) image back to whole-image pixels.</summary>
    private readonly record struct BoxMap(PixelRect Crop, int Scale, int Margin)
    {
        public Rect ToImage(int left, int top, int right, int bottom)
        {
            double l = Math.Clamp(((left - Margin) / (double)Scale) + Crop.X, Crop.X, Crop.Right);
            double t = Math.Clamp(((top - Margin) / (double)Scale) + Crop.Y, Crop.Y, Crop.Bottom);
            double r = Math.Clamp(((right - Margin) / (double)Scale) + Crop.X, Crop.X, Crop.Right);
            double b = Math.Clamp(((bottom - Margin) / (double)Scale) + Crop.Y, Crop.Y, Crop.Bottom);
            return new Rect(l, t, r - l, b - t);
        }
    }

    private static unsafe string? TakeText(IntPtr p)
    {
        if (p == IntPtr.Zero)
        {
            return null;
        }

        try
        {
            return Utf8StringMarshaller.ConvertToManaged((byte*)p);
        }
        finally
        {
            Interop.Tesseract.TessDeleteText(p);
        }
    }

    private static string? ProbeLibrary()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "OCR uses libtesseract, supported on Linux only in this version.";
        }

        // Must reach native code before libtesseract is first loaded: loading it loads libgomp, which reads
        // OMP_THREAD_LIMIT once, in its constructor (set after the load, OCR of a busy 1080p screen took 8 s, not 1.3 s).
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OMP_THREAD_LIMIT")))
        {
            Interop.Libc.SetEnvironment("OMP_THREAD_LIMIT", "1");
        }

        if (!NativeLibrary.TryLoad(Interop.Libraries.Tesseract, typeof(TesseractOcr).Assembly, null, out IntPtr lib))
        {
            return "libtesseract is not installed (apt-get install -y --no-install-recommends libtesseract5 tesseract-ocr-eng).";
        }

        NativeLibrary.Free(lib);
        return null;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            _handle.Dispose();
        }
    }
}
