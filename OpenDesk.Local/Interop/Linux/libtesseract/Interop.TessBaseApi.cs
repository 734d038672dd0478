using System.Runtime.InteropServices;

namespace OpenDesk.Local;

/// <summary>An owned <c>TessBaseAPI*</c>; ended and deleted on release.</summary>
internal sealed class SafeTessHandle : SafeHandle
{
    public SafeTessHandle()
        : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        Interop.Tesseract.TessBaseAPIEnd(handle);
        Interop.Tesseract.TessBaseAPIDelete(handle);
        return true;
    }
}

internal static partial class Interop
{
    /// <summary>The libtesseract C API (tesseract/capi.h).</summary>
    internal static partial class Tesseract
    {
        internal const int RIL_WORD = 3;

        [LibraryImport(Libraries.Tesseract)]
        internal static partial IntPtr TessVersion();

        [LibraryImport(Libraries.Tesseract)]
        internal static partial SafeTessHandle TessBaseAPICreate();

        [LibraryImport(Libraries.Tesseract, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int TessBaseAPIInit3(SafeTessHandle handle, string? dataPath, string language);

        [LibraryImport(Libraries.Tesseract, StringMarshalling = StringMarshalling.Utf8)]
        [return: MarshalAs(UnmanagedType.I4)]
        internal static partial bool TessBaseAPISetVariable(SafeTessHandle handle, string name, string value);

        [LibraryImport(Libraries.Tesseract)]
        internal static partial void TessBaseAPISetPageSegMode(SafeTessHandle handle, int mode);

        [LibraryImport(Libraries.Tesseract)]
        internal static partial void TessBaseAPISetImage(SafeTessHandle handle, IntPtr data, int width, int height, int bytesPerPixel, int bytesPerLine);

        [LibraryImport(Libraries.Tesseract)]
        internal static partial void TessBaseAPISetSourceResolution(SafeTessHandle handle, int ppi);

        [LibraryImport(Libraries.Tesseract)]
        internal static partial int TessBaseAPIRecognize(SafeTessHandle handle, IntPtr monitor);

        [LibraryImport(Libraries.Tesseract)]
        internal static partial IntPtr TessBaseAPIGetUTF8Text(SafeTessHandle handle);

        [LibraryImport(Libraries.Tesseract)]
        internal static partial void TessDeleteText(IntPtr text);

        [LibraryImport(Libraries.Tesseract)]
        internal static partial IntPtr TessBaseAPIGetIterator(SafeTessHandle handle);

        [LibraryImport(Libraries.Tesseract)]
        internal static partial IntPtr TessResultIteratorGetPageIterator(IntPtr iterator);

        [LibraryImport(Libraries.Tesseract)]
        internal static partial IntPtr TessResultIteratorGetUTF8Text(IntPtr iterator, int level);

        [LibraryImport(Libraries.Tesseract)]
        internal static partial float TessResultIteratorConfidence(IntPtr iterator, int level);

        [LibraryImport(Libraries.Tesseract)]
        internal static partial int TessResultIteratorNext(IntPtr iterator, int level);

        [LibraryImport(Libraries.Tesseract)]
        internal static partial void TessResultIteratorDelete(IntPtr iterator);

        [LibraryImport(Libraries.Tesseract)]
        internal static partial int TessPageIteratorBoundingBox(IntPtr pageIterator, int level, out int left, out int top, out int right, out int bottom);

        [LibraryImport(Libraries.Tesseract)]
        internal static partial void TessBaseAPIClear(SafeTessHandle handle);

        [LibraryImport(Libraries.Tesseract)]
        internal static partial void TessBaseAPIEnd(IntPtr handle);

        [LibraryImport(Libraries.Tesseract)]
        internal static partial void TessBaseAPIDelete(IntPtr handle);
    }
}
