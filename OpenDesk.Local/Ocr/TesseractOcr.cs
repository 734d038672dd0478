using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.InteropServices.Marshalling;
using OpenDesk.Core;
using SkiaSharp;

namespace OpenDesk.Local.Ocr;

/// <summary>How Tesseract segments the page.</summary>
public enum OcrPageMode
{
    /// <summary>Automatic page segmentation (PSM 3): screens, documents.</summary>
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
public sealed class TesseractOcr : IDisposable
{
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

        // 24-bit RGB first: Tesseract thresholds each channel and keeps coloured text (terminal prompts) that an 8-bit
        // grey conversion merges into its background. Some widgets (e.g. Xaw buttons) read better in grey, so an empty
        // colour result is retried in grey.
        OcrResult colour = Run(ToPixels(pixels, stride, x0, y0, w, h, redFirst, grey: false), w, h, 3, x0, y0, mode);
        return colour.Words.Count > 0 ? colour : Run(ToPixels(pixels, stride, x0, y0, w, h, redFirst, grey: true), w, h, 1, x0, y0, mode);
    }

    private static byte[] ToPixels(ReadOnlySpan<byte> pixels, int stride, int x0, int y0, int w, int h, bool redFirst, bool grey)
    {
        int bpp = grey ? 1 : 3;
        var result = new byte[w * h * bpp];
        int rOff = redFirst ? 0 : 2, bOff = redFirst ? 2 : 0;
        for (int y = 0; y < h; y++)
        {
            ReadOnlySpan<byte> row = pixels.Slice(((y + y0) * stride) + (x0 * 4), w * 4);
            Span<byte> dst = result.AsSpan(y * w * bpp, w * bpp);
            for (int x = 0; x < w; x++)
            {
                int p = x * 4;
                if (grey)
                {
                    dst[x] = (byte)(((row[p + rOff] * 77) + (row[p + 1] * 150) + (row[p + bOff] * 29)) >> 8);
                }
                else
                {
                    int q = x * 3;
                    dst[q] = row[p + rOff];
                    dst[q + 1] = row[p + 1];
                    dst[q + 2] = row[p + bOff];
                }
            }
        }

        return result;
    }

    private unsafe OcrResult Run(byte[] image, int w, int h, int bytesPerPixel, int x0, int y0, OcrPageMode mode)
    {
        var clock = Stopwatch.StartNew();
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
                                words.Add(new OcrWord(word, conf, new Rect(l + x0, t + y0, rgt - l, b - t)));
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
                return new OcrResult(text.Trim(), words, clock.Elapsed);
            }
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

        if (!NativeLibrary.TryLoad(Interop.Libraries.Tesseract, typeof(TesseractOcr).Assembly, null, out IntPtr lib))
        {
            return "libtesseract is not installed (apt-get install -y --no-install-recommends libtesseract5 tesseract-ocr-eng).";
        }

        NativeLibrary.Free(lib);

        // Must reach native code before the first libtesseract call (OpenMP reads it once).
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OMP_THREAD_LIMIT")))
        {
            Interop.Libc.SetEnvironment("OMP_THREAD_LIMIT", "1");
        }

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
