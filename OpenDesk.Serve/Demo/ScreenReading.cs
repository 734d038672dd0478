using System.Globalization;
using System.Text.RegularExpressions;

namespace OpenDesk.Serve.Demo;

/// <summary>A word the <c>ocr</c> tool listed, centre in mouse (image) coordinates.</summary>
internal sealed record OcrWord(string Text, int X, int Y, int Width, int Height);

/// <summary>A Set-of-Marks entry the <c>screenshot</c> tool listed, centre in mouse (image) coordinates.</summary>
internal sealed record ScreenMark(int Number, string Role, string Label, int X, int Y, int Width, int Height);

/// <summary>
/// Reads what the model sees: the word boxes of an <c>ocr</c> result, the marks of a <c>screenshot</c> result and the
/// size of the image. Everything the scripted agent clicks comes from here, never from hard-coded positions.
/// </summary>
internal static partial class ScreenReading
{
    [GeneratedRegex("^\"(?<t>.*)\" at \\((?<x>-?\\d+), (?<y>-?\\d+)\\) size (?<w>\\d+)x(?<h>\\d+)\\s*$", RegexOptions.Multiline)]
    private static partial Regex WordLine();

    [GeneratedRegex("^\\[(?<n>\\d+)\\] (?<role>.+?) \"(?<label>.*)\" at \\((?<x>-?\\d+), (?<y>-?\\d+)\\) size (?<w>\\d+)x(?<h>\\d+)", RegexOptions.Multiline)]
    private static partial Regex MarkLine();

    [GeneratedRegex("(?<w>\\d+)x(?<h>\\d+)")]
    private static partial Regex Size();

    /// <summary>Word boxes from an <c>ocr</c> result text.</summary>
    public static IReadOnlyList<OcrWord> Words(string ocrText)
        => [.. WordLine().Matches(ocrText).Select(m => new OcrWord(
            m.Groups["t"].Value, Int(m, "x"), Int(m, "y"), Int(m, "w"), Int(m, "h")))];

    /// <summary>Marks from a <c>screenshot</c> result text (asked with <c>marks: true</c>).</summary>
    public static IReadOnlyList<ScreenMark> Marks(string screenshotText)
        => [.. MarkLine().Matches(screenshotText).Select(m => new ScreenMark(
            Int(m, "n"), m.Groups["role"].Value, m.Groups["label"].Value, Int(m, "x"), Int(m, "y"), Int(m, "w"), Int(m, "h")))];

    /// <summary>The recognised text of an <c>ocr</c> result (before the word list).</summary>
    public static string OcrText(string ocrText)
    {
        int words = ocrText.IndexOf("\n\nWords", StringComparison.Ordinal);
        return words < 0 ? ocrText : ocrText[..words];
    }

    /// <summary>The first mark whose label matches and whose role contains <paramref name="roleFragment"/> (when given).</summary>
    public static ScreenMark? FindMark(IReadOnlyList<ScreenMark> marks, string label, string? roleFragment = null)
    {
        bool RoleOk(ScreenMark m) => roleFragment is null || m.Role.Contains(roleFragment, StringComparison.OrdinalIgnoreCase);
        return marks.FirstOrDefault(m => RoleOk(m) && string.Equals(m.Label.Trim(), label, StringComparison.OrdinalIgnoreCase))
            ?? marks.FirstOrDefault(m => RoleOk(m) && m.Label.Contains(label, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>The first word equal to <paramref name="text"/> (ignoring case and surrounding punctuation).</summary>
    public static OcrWord? FindWord(IReadOnlyList<OcrWord> words, string text, Func<OcrWord, bool>? where = null)
        => words.FirstOrDefault(w => (where is null || where(w)) && string.Equals(Clean(w.Text), Clean(text), StringComparison.OrdinalIgnoreCase))
            ?? words.FirstOrDefault(w => (where is null || where(w)) && w.Text.Contains(text, StringComparison.OrdinalIgnoreCase));

    /// <summary>True when the words contain <paramref name="phrase"/> in order (OCR noise tolerated per word).</summary>
    public static bool ContainsPhrase(IReadOnlyList<OcrWord> words, string phrase)
    {
        string[] want = phrase.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        for (int i = 0; i + want.Length <= words.Count; i++)
        {
            bool all = true;
            for (int j = 0; j < want.Length && all; j++)
            {
                all = string.Equals(Clean(words[i + j].Text), Clean(want[j]), StringComparison.OrdinalIgnoreCase);
            }

            if (all)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The first <c>WxH</c> in a screenshot result's first line (the image size), or null.</summary>
    public static (int Width, int Height)? ImageSize(string screenshotText)
    {
        Match m = Size().Match(screenshotText.Split('\n', 2)[0]);
        return m.Success ? (Int(m, "w"), Int(m, "h")) : null;
    }

    /// <summary>Width and height of a PNG or JPEG image from its header, or null.</summary>
    public static (int Width, int Height)? DecodeSize(byte[] data)
    {
        if (data.Length > 24 && data[0] == 0x89 && data[1] == (byte)'P' && data[2] == (byte)'N' && data[3] == (byte)'G')
        {
            return (BigEndian(data, 16), BigEndian(data, 20));
        }

        if (data.Length > 4 && data[0] == 0xFF && data[1] == 0xD8)
        {
            int i = 2;
            while (i + 9 < data.Length)
            {
                if (data[i] != 0xFF)
                {
                    i++;
                    continue;
                }

                byte marker = data[i + 1];
                int length = (data[i + 2] << 8) | data[i + 3];
                if (marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC)
                {
                    return ((data[i + 7] << 8) | data[i + 8], (data[i + 5] << 8) | data[i + 6]);
                }

                i += 2 + length;
            }
        }

        return null;
    }

    private static int BigEndian(byte[] d, int o) => (d[o] << 24) | (d[o + 1] << 16) | (d[o + 2] << 8) | d[o + 3];

    private static string Clean(string s) => s.Trim().Trim('.', ',', ':', ';', '"', '\'', '!', '?', '(', ')', '[', ']');

    private static int Int(Match m, string group) => int.Parse(m.Groups[group].Value, CultureInfo.InvariantCulture);
}
