using System.Collections;
using OpenDesk.Core;

namespace OpenDesk.Remote.Server;

/// <summary>
/// Typed, validating access to a decoded <c>req.params</c> map (msgpack: long/double/string/byte[]/list/map).
/// Wrong types and missing required keys throw <see cref="InvalidArgumentException"/> naming the key.
/// </summary>
internal readonly struct ParamReader(IReadOnlyDictionary<string, object?> parameters)
{
    public IReadOnlyDictionary<string, object?> Parameters { get; } = parameters;

    public object? Value(string key) => Parameters.TryGetValue(key, out object? v) ? v : null;

    public bool Has(string key) => Parameters.TryGetValue(key, out object? v) && v is not null;

    public string? String(string key) => Value(key) switch
    {
        null => null,
        string s => s,
        var other => throw Invalid(key, "a string", other),
    };

    public string RequiredString(string key) => String(key) ?? throw Missing(key);

    public double? Number(string key)
    {
        object? value = Value(key);
        return value is null ? null : ToDouble(value) ?? throw Invalid(key, "a number", value);
    }

    public int? Int(string key)
    {
        object? value = Value(key);
        return value switch
        {
            null => null,
            long l when l is >= int.MinValue and <= int.MaxValue => (int)l,
            int i => i,
            double d when d == Math.Floor(d) && d is >= int.MinValue and <= int.MaxValue => (int)d,
            _ => throw Invalid(key, "an integer", value),
        };
    }

    public bool? Bool(string key) => Value(key) switch
    {
        null => null,
        bool b => b,
        var other => throw Invalid(key, "a boolean", other),
    };

    public byte[]? Bytes(string key) => Value(key) switch
    {
        null => null,
        byte[] b => b,
        ReadOnlyMemory<byte> m => m.ToArray(),
        var other => throw Invalid(key, "bytes (msgpack bin)", other),
    };

    public IReadOnlyDictionary<string, object?>? Map(string key)
    {
        object? value = Value(key);
        return value is null ? null : AsMap(value) ?? throw Invalid(key, "a map", value);
    }

    public IReadOnlyDictionary<string, object?> RequiredMap(string key) => Map(key) ?? throw Missing(key);

    public IReadOnlyList<string>? StringList(string key)
    {
        object? value = Value(key);
        if (value is null)
        {
            return null;
        }

        if (value is string || value is not IEnumerable items)
        {
            throw Invalid(key, "a list of strings", value);
        }

        var list = new List<string>();
        foreach (object? item in items)
        {
            list.Add(item as string ?? throw Invalid(key, "a list of strings", value));
        }

        return list;
    }

    public IReadOnlyDictionary<string, string>? StringMap(string key)
    {
        IReadOnlyDictionary<string, object?>? map = Map(key);
        if (map is null)
        {
            return null;
        }

        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (KeyValuePair<string, object?> kv in map)
        {
            result[kv.Key] = kv.Value as string ?? throw Invalid(key, "a map of strings", kv.Value);
        }

        return result;
    }

    public Rect? RectValue(string key)
    {
        IReadOnlyDictionary<string, object?>? map = Map(key);
        if (map is null)
        {
            return null;
        }

        var r = new ParamReader(map);
        return new Rect(r.RequiredNumber("x", key), r.RequiredNumber("y", key), r.RequiredNumber("width", key), r.RequiredNumber("height", key));
    }

    private double RequiredNumber(string key, string parent)
        => Number(key) ?? throw new InvalidArgumentException($"'{parent}.{key}' is required");

    public static double? ToDouble(object? value) => value switch
    {
        double d => d,
        float f => f,
        long l => l,
        int i => i,
        ulong u => u,
        _ => null,
    };

    public static IReadOnlyDictionary<string, object?>? AsMap(object? value)
    {
        switch (value)
        {
            case IReadOnlyDictionary<string, object?> map:
                return map;
            case IDictionary dict:
                var copy = new Dictionary<string, object?>(StringComparer.Ordinal);
                foreach (DictionaryEntry entry in dict)
                {
                    if (entry.Key is not string k)
                    {
                        return null;
                    }

                    copy[k] = entry.Value;
                }

                return copy;
            default:
                return null;
        }
    }

    /// <summary>Fails when the map has keys outside <paramref name="allowed"/>.</summary>
    public void RejectUnknown(params string[] allowed)
    {
        foreach (string key in Parameters.Keys)
        {
            if (Array.IndexOf(allowed, key) < 0)
            {
                throw new InvalidArgumentException($"unexpected parameter '{key}'");
            }
        }
    }

    public static InvalidArgumentException Missing(string key) => new($"parameter '{key}' is required");

    private static InvalidArgumentException Invalid(string key, string expected, object? got)
        => new($"parameter '{key}' must be {expected}, got {(got is null ? "nil" : got.GetType().Name)}");
}
