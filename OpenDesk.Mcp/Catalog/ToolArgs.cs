using System.Collections;
using System.Globalization;
using System.Text.Json;
using OpenDesk.Core;

namespace OpenDesk.Mcp.Catalog;

/// <summary>
/// Reads tool arguments that arrive as <see cref="JsonElement"/> (MCP, M.E.AI) or as CLR values and strings (Semantic
/// Kernel). JSON null and missing mean "not given". Every failure is an <see cref="InvalidArgumentException"/> naming
/// the argument.
/// </summary>
internal sealed class ToolArgs
{
    private readonly string _tool;
    private readonly IDictionary<string, object?> _values;
    private readonly HashSet<string> _known;

    public ToolArgs(string tool, IDictionary<string, object?> values, JsonElement schema)
    {
        _tool = tool;
        _values = values;
        _known = [];
        if (schema.TryGetProperty("properties", out JsonElement props))
        {
            foreach (JsonProperty p in props.EnumerateObject())
            {
                _known.Add(p.Name);
            }
        }
    }

    public string Tool => _tool;

    public void RejectUnknown()
    {
        foreach (string key in _values.Keys)
        {
            if (!_known.Contains(key))
            {
                throw new InvalidArgumentException(
                    $"invalid arguments for '{_tool}': unknown argument '{key}' (valid: {string.Join(", ", _known.Order(StringComparer.Ordinal))})");
            }
        }
    }

    public bool Has(string name) => TryGetRaw(name, out _);

    public string? String(string name)
    {
        if (!TryGetRaw(name, out object? raw))
        {
            return null;
        }

        return raw switch
        {
            string s => s,
            JsonElement { ValueKind: JsonValueKind.String } e => e.GetString(),
            _ => throw Invalid(name, "a string"),
        };
    }

    public string RequiredString(string name, string? forAction = null)
    {
        string? value = String(name);
        return string.IsNullOrEmpty(value) ? throw Missing(name, forAction) : value;
    }

    public string Enum(string name, IReadOnlyList<string> allowed, string? fallback = null)
    {
        string? value = String(name);
        if (value is null)
        {
            return fallback ?? throw Missing(name, null);
        }

        foreach (string a in allowed)
        {
            if (string.Equals(a, value, StringComparison.OrdinalIgnoreCase))
            {
                return a;
            }
        }

        throw new InvalidArgumentException(
            $"invalid argument '{name}' for '{_tool}': '{Shorten(value)}' is not one of {string.Join(", ", allowed)}");
    }

    public int? Int(string name, int min = int.MinValue, int max = int.MaxValue)
    {
        double? d = Number(name);
        if (d is null)
        {
            return null;
        }

        if (d.Value != Math.Floor(d.Value) || d.Value < min || d.Value > max)
        {
            throw Invalid(name, min == int.MinValue && max == int.MaxValue
                ? "an integer"
                : string.Create(CultureInfo.InvariantCulture, $"an integer in [{min}, {max}]"));
        }

        return (int)d.Value;
    }

    public int RequiredInt(string name, string? forAction = null) => Int(name) ?? throw Missing(name, forAction);

    public double? Number(string name, double min = double.MinValue, double max = double.MaxValue)
    {
        if (!TryGetRaw(name, out object? raw))
        {
            return null;
        }

        double value = raw switch
        {
            JsonElement { ValueKind: JsonValueKind.Number } e => e.GetDouble(),
            JsonElement { ValueKind: JsonValueKind.String } e when TryParseNumber(e.GetString(), out double p) => p,
            string s when TryParseNumber(s, out double p) => p,
            int i => i,
            long l => l,
            double dd => dd,
            float f => f,
            decimal m => (double)m,
            short sh => sh,
            _ => throw Invalid(name, "a number"),
        };
        if (double.IsNaN(value) || value < min || value > max)
        {
            throw Invalid(name, string.Create(CultureInfo.InvariantCulture, $"a number in [{min}, {max}]"));
        }

        return value;
    }

    public bool? Bool(string name)
    {
        if (!TryGetRaw(name, out object? raw))
        {
            return null;
        }

        return raw switch
        {
            bool b => b,
            JsonElement { ValueKind: JsonValueKind.True } => true,
            JsonElement { ValueKind: JsonValueKind.False } => false,
            JsonElement { ValueKind: JsonValueKind.String } e when bool.TryParse(e.GetString(), out bool p) => p,
            string s when bool.TryParse(s, out bool p) => p,
            _ => throw Invalid(name, "a boolean"),
        };
    }

    public IReadOnlyList<int>? IntArray(string name, int length)
    {
        if (!TryGetRaw(name, out object? raw))
        {
            return null;
        }

        var list = new List<int>();
        foreach (object? item in Items(name, raw))
        {
            double d = item switch
            {
                JsonElement { ValueKind: JsonValueKind.Number } e => e.GetDouble(),
                int i => i,
                long l => l,
                double dd => dd,
                string s when TryParseNumber(s, out double p) => p,
                _ => double.NaN,
            };
            if (double.IsNaN(d) || d != Math.Floor(d) || d < int.MinValue || d > int.MaxValue)
            {
                throw Invalid(name, string.Create(CultureInfo.InvariantCulture, $"an array of {length} integers"));
            }

            list.Add((int)d);
        }

        return list.Count != length
            ? throw Invalid(name, string.Create(CultureInfo.InvariantCulture, $"an array of {length} integers"))
            : list;
    }

    public IReadOnlyList<string>? StringArray(string name)
    {
        if (!TryGetRaw(name, out object? raw))
        {
            return null;
        }

        if (raw is string single)
        {
            // Semantic Kernel may pass arrays as JSON text.
            if (single.TrimStart().StartsWith('['))
            {
                try
                {
                    using JsonDocument doc = JsonDocument.Parse(single);
                    raw = doc.RootElement.Clone();
                }
                catch (JsonException)
                {
                    throw Invalid(name, "an array of strings");
                }
            }
            else
            {
                return [single];
            }
        }

        var list = new List<string>();
        foreach (object? item in Items(name, raw))
        {
            list.Add(item switch
            {
                string s => s,
                JsonElement { ValueKind: JsonValueKind.String } e => e.GetString()!,
                _ => throw Invalid(name, "an array of strings"),
            });
        }

        return list;
    }

    /// <summary>The argument values as given, for the audit log (never large blobs).</summary>
    public string Summary()
    {
        var parts = new List<string>();
        foreach (KeyValuePair<string, object?> kv in _values)
        {
            string text = kv.Value switch
            {
                null => "null",
                JsonElement e => e.GetRawText(),
                string s => JsonSerializer.Serialize(s),
                _ => Convert.ToString(kv.Value, CultureInfo.InvariantCulture) ?? "",
            };
            parts.Add($"\"{kv.Key}\":{Shorten(text, 200)}");
        }

        return "{" + string.Join(",", parts) + "}";
    }

    private bool TryGetRaw(string name, out object? raw)
    {
        if (_values.TryGetValue(name, out raw) && raw is not null && raw is not JsonElement { ValueKind: JsonValueKind.Null or JsonValueKind.Undefined })
        {
            return true;
        }

        raw = null;
        return false;
    }

    private IEnumerable<object?> Items(string name, object? raw)
    {
        switch (raw)
        {
            case JsonElement { ValueKind: JsonValueKind.Array } e:
                foreach (JsonElement item in e.EnumerateArray())
                {
                    yield return item;
                }

                break;
            case JsonElement { ValueKind: JsonValueKind.String } s when s.GetString() is { } text && text.TrimStart().StartsWith('['):
                JsonElement parsed;
                try
                {
                    using JsonDocument doc = JsonDocument.Parse(text);
                    parsed = doc.RootElement.Clone();
                }
                catch (JsonException)
                {
                    throw Invalid(name, "an array");
                }

                foreach (JsonElement item in parsed.EnumerateArray())
                {
                    yield return item;
                }

                break;
            case string:
            case JsonElement:
                throw Invalid(name, "an array");
            case IEnumerable seq:
                foreach (object? item in seq)
                {
                    yield return item;
                }

                break;
            default:
                throw Invalid(name, "an array");
        }
    }

    private static bool TryParseNumber(string? s, out double value)
        => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out value);

    private InvalidArgumentException Invalid(string name, string expected)
        => new($"invalid argument '{name}' for '{_tool}': expected {expected}");

    public InvalidArgumentException Missing(string name, string? forAction)
        => new(forAction is null
            ? $"missing required argument '{name}' for '{_tool}'"
            : $"missing required argument '{name}' for '{_tool}' action '{forAction}'");

    private static string Shorten(string s, int max = 60) => s.Length <= max ? s : s[..max] + "…";
}
