using System.Text;

namespace OpenDesk.Remote.Discovery;

/// <summary>
/// A DNS name kept as a list of labels. Instance labels such as <c>OpenDesk B</c> or <c>a.b</c> contain spaces and
/// dots, so a name is never split on <c>.</c>. Labels compare ASCII case-insensitively (RFC 6762 §16).
/// </summary>
internal sealed class DnsName : IEquatable<DnsName>
{
    /// <summary>The longest label in bytes (RFC 1035 §2.3.4).</summary>
    public const int MaxLabelBytes = 63;

    /// <summary>The longest name on the wire in bytes, length prefixes and the final zero included.</summary>
    public const int MaxWireBytes = 255;

    private readonly string[] _labels;

    private DnsName(string[] labels) => _labels = labels;

    /// <summary>The labels, most specific first.</summary>
    public IReadOnlyList<string> Labels => _labels;

    /// <summary>The root name (no labels).</summary>
    public static DnsName Root { get; } = new([]);

    /// <summary>Builds a name from labels, checking the label and name limits.</summary>
    /// <exception cref="ArgumentException">A label is empty or longer than 63 UTF-8 bytes, or the name is longer than 255 bytes.</exception>
    public static DnsName FromLabels(params ReadOnlySpan<string> labels)
    {
        int wire = 1;
        foreach (string label in labels)
        {
            ArgumentNullException.ThrowIfNull(label);
            int bytes = Encoding.UTF8.GetByteCount(label);
            if (bytes is 0 or > MaxLabelBytes)
            {
                throw new ArgumentException($"A DNS label has 1 to {MaxLabelBytes} bytes; '{label}' has {bytes}.", nameof(labels));
            }

            wire += 1 + bytes;
        }

        if (wire > MaxWireBytes)
        {
            throw new ArgumentException($"A DNS name has at most {MaxWireBytes} bytes on the wire.", nameof(labels));
        }

        return new DnsName(labels.ToArray());
    }

    /// <summary>Wraps labels read from the wire, already checked by the reader (no re-validation, never throws).</summary>
    internal static DnsName FromWire(List<string> labels) => labels.Count == 0 ? Root : new DnsName([.. labels]);

    /// <summary>Parses a dotted name whose labels contain no dots (service types, host names): <c>_opendesk._tcp.local</c>.</summary>
    public static DnsName Parse(string dotted)
    {
        ArgumentNullException.ThrowIfNull(dotted);
        return FromLabels(dotted.TrimEnd('.').Split('.'));
    }

    /// <summary>A name with <paramref name="label"/> prepended to this one.</summary>
    public DnsName Prepend(string label) => FromLabels([label, .. _labels]);

    /// <summary>The number of bytes this name takes uncompressed on the wire.</summary>
    public int WireLength
    {
        get
        {
            int length = 1;
            foreach (string label in _labels)
            {
                length += 1 + Encoding.UTF8.GetByteCount(label);
            }

            return length;
        }
    }

    /// <summary>The name without its first <paramref name="count"/> labels.</summary>
    public DnsName Suffix(int count) => count == 0 ? this : new DnsName(_labels[count..]);

    /// <inheritdoc/>
    public bool Equals(DnsName? other)
    {
        if (other is null || other._labels.Length != _labels.Length)
        {
            return false;
        }

        for (int i = 0; i < _labels.Length; i++)
        {
            if (!LabelEquals(_labels[i], other._labels[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as DnsName);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = default(HashCode);
        foreach (string label in _labels)
        {
            hash.Add(label, AsciiCaseInsensitiveComparer.Instance);
        }

        return hash.ToHashCode();
    }

    /// <summary>The dotted form, for display only (dots inside labels are escaped as <c>\.</c>).</summary>
    public override string ToString() => string.Join('.', _labels.Select(l => l.Replace(".", "\\.", StringComparison.Ordinal)));

    /// <summary>DNS label equality: ASCII letters compare case-insensitively, every other character exactly.</summary>
    public static bool LabelEquals(string a, string b) => AsciiCaseInsensitiveComparer.Instance.Equals(a, b);

    private sealed class AsciiCaseInsensitiveComparer : IEqualityComparer<string>
    {
        public static AsciiCaseInsensitiveComparer Instance { get; } = new();

        public bool Equals(string? x, string? y)
        {
            if (x is null || y is null)
            {
                return x is null && y is null;
            }

            if (x.Length != y.Length)
            {
                return false;
            }

            for (int i = 0; i < x.Length; i++)
            {
                if (ToLowerAscii(x[i]) != ToLowerAscii(y[i]))
                {
                    return false;
                }
            }

            return true;
        }

        public int GetHashCode(string obj)
        {
            var hash = default(HashCode);
            foreach (char c in obj)
            {
                hash.Add(ToLowerAscii(c));
            }

            return hash.ToHashCode();
        }

        private static char ToLowerAscii(char c) => c is >= 'A' and <= 'Z' ? (char)(c + 32) : c;
    }
}
