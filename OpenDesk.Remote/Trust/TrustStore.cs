using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using OpenDesk.Core;

namespace OpenDesk.Remote.Trust;

/// <summary>
/// <c>trusted-peers.json</c>, compatible with Python opendesk: a JSON array (indent 2, sorted keys) of
/// <c>{public_key, name, paired_at, description, description_override, last_host, last_port, role}</c>. Unknown keys
/// of an entry (e.g. a fork's <c>rendezvous_url</c>) are kept. Re-read on every query so a pairing made by another
/// process takes effect at once. Writes hold an exclusive lock file and go through a temp file + rename (0600), so a
/// crash mid-write leaves the old or the new file, never a torn one.
/// </summary>
internal sealed class TrustStore
{
    /// <summary>Role of a peer allowed to drive this machine (stored on the controlled side).</summary>
    public const string ControllerRole = "controller";

    /// <summary>Role of a machine this one can drive (stored on the controller side).</summary>
    public const string RemoteRole = "remote";

    private static readonly JsonSerializerOptions s_writeOptions = new() { WriteIndented = true, Encoder = JavaScriptEncoder.Default };
    private static readonly JsonDocumentOptions s_readOptions = new() { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip };

    private readonly object _gate = new();

    public TrustStore(OpenDeskHome home)
    {
        ArgumentNullException.ThrowIfNull(home);
        Home = home;
    }

    public OpenDeskHome Home { get; }

    public string FilePath => Home.TrustedPeersPath;

    /// <summary>All entries, sorted by name.</summary>
    public IReadOnlyList<TrustedPeer> GetAll()
        => [.. ReadNodes().Select(ToPeer).OfType<TrustedPeer>().OrderBy(p => p.Name, StringComparer.Ordinal)];

    /// <summary>Entries of a role (an empty role always matches: entries written by older versions).</summary>
    public IReadOnlyList<TrustedPeer> GetByRole(string role)
        => [.. GetAll().Where(p => p.Role.Length == 0 || string.Equals(p.Role, role, StringComparison.Ordinal))];

    /// <summary>The entry with this key, or null.</summary>
    public TrustedPeer? FindByKey(ReadOnlySpan<byte> publicKey)
    {
        string hex = Convert.ToHexStringLower(publicKey);
        return GetAll().FirstOrDefault(p => Convert.ToHexStringLower(p.PublicKey) == hex);
    }

    /// <summary>The entry with this name, or (for 64 hex digits) this key, or null.</summary>
    public TrustedPeer? Find(string nameOrKeyHex)
    {
        IReadOnlyList<TrustedPeer> all = GetAll();
        TrustedPeer? byName = all.FirstOrDefault(p => p.Name == nameOrKeyHex);
        if (byName is not null)
        {
            return byName;
        }

        string lower = nameOrKeyHex.ToLowerInvariant();
        return all.FirstOrDefault(p => Convert.ToHexStringLower(p.PublicKey) == lower);
    }

    /// <summary>True when <paramref name="publicKey"/> may authenticate as a controller of this machine.</summary>
    public bool IsTrustedController(ReadOnlySpan<byte> publicKey)
    {
        TrustedPeer? peer = FindByKey(publicKey);
        return peer is not null && (peer.Role.Length == 0 || peer.Role == ControllerRole);
    }

    /// <summary>
    /// Adds a peer, or updates the entry with the same key (name, role, paired_at). A name already used by another
    /// key gets a <c>-2</c>, <c>-3</c> … suffix. Returns the stored name.
    /// </summary>
    public string Add(ReadOnlySpan<byte> publicKey, string name, string role, string? lastHost = null, int? lastPort = null)
    {
        if (publicKey.Length != 32)
        {
            throw new ArgumentException("A public key has 32 bytes.", nameof(publicKey));
        }

        string hex = Convert.ToHexStringLower(publicKey);
        string stored = name;
        Update(nodes =>
        {
            JsonObject? existing = nodes.FirstOrDefault(n => KeyHex(n) == hex);
            var taken = nodes.Where(n => n != existing).Select(n => (string?)n["name"]).ToHashSet(StringComparer.Ordinal);
            string unique = name;
            for (int i = 2; taken.Contains(unique); i++)
            {
                unique = $"{name}-{i}";
            }

            stored = unique;
            JsonObject entry = existing ?? new JsonObject();
            entry["public_key"] = hex;
            entry["name"] = unique;
            entry["paired_at"] = Math.Round(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0, 3);
            entry["role"] = role;
            entry["description"] ??= "";
            entry["description_override"] ??= "";
            if (lastHost is not null)
            {
                entry["last_host"] = lastHost;
                entry["last_port"] = lastPort;
            }
            else if (existing is null)
            {
                entry["last_host"] = null;
                entry["last_port"] = null;
            }

            if (existing is null)
            {
                nodes.Add(entry);
            }

            return true;
        });
        return stored;
    }

    /// <summary>Removes the entry with this name or key; returns the removed entry, or null when none matched.</summary>
    public TrustedPeer? Remove(string nameOrKeyHex)
    {
        TrustedPeer? removed = null;
        Update(nodes =>
        {
            JsonObject? match = FindNode(nodes, nameOrKeyHex);
            if (match is null)
            {
                return false;
            }

            removed = ToPeer(match);
            nodes.Remove(match);
            return true;
        });
        return removed;
    }

    /// <summary>Renames an entry. Like Python, the cached description and endpoint are dropped.</summary>
    /// <exception cref="NotFoundException">No entry matches.</exception>
    /// <exception cref="InvalidArgumentException">The new name is taken or blank.</exception>
    public void Rename(string nameOrKeyHex, string newName)
    {
        if (string.IsNullOrWhiteSpace(newName))
        {
            throw new InvalidArgumentException("The new name is empty.");
        }

        Update(nodes =>
        {
            JsonObject match = FindNode(nodes, nameOrKeyHex) ?? throw new NotFoundException($"no trusted peer named '{nameOrKeyHex}'");
            if (nodes.Any(n => n != match && (string?)n["name"] == newName))
            {
                throw new InvalidArgumentException($"a trusted peer named '{newName}' already exists");
            }

            match["name"] = newName;
            match["description"] = "";
            match["last_host"] = null;
            match["last_port"] = null;
            return true;
        });
    }

    /// <summary>Caches the endpoint and broadcast description after a successful connect.</summary>
    public void RecordConnection(ReadOnlySpan<byte> publicKey, string host, int port, string? description)
    {
        string hex = Convert.ToHexStringLower(publicKey);
        Update(nodes =>
        {
            JsonObject? match = nodes.FirstOrDefault(n => KeyHex(n) == hex);
            if (match is null)
            {
                return false;
            }

            bool changed = (string?)match["last_host"] != host || ReadInt(match["last_port"]) != port;
            match["last_host"] = host;
            match["last_port"] = port;
            if (description is not null && (string?)match["description"] != description)
            {
                match["description"] = description;
                changed = true;
            }

            return changed;
        });
    }

    /// <summary>Sets or clears the local description override.</summary>
    /// <exception cref="NotFoundException">No entry matches.</exception>
    public void SetDescriptionOverride(string nameOrKeyHex, string? description)
    {
        Update(nodes =>
        {
            JsonObject match = FindNode(nodes, nameOrKeyHex) ?? throw new NotFoundException($"no trusted peer named '{nameOrKeyHex}'");
            match["description_override"] = description?.Trim() ?? "";
            return true;
        });
    }

    private static JsonObject? FindNode(List<JsonObject> nodes, string nameOrKeyHex)
    {
        string lower = nameOrKeyHex.ToLowerInvariant();
        return nodes.FirstOrDefault(n => (string?)n["name"] == nameOrKeyHex) ?? nodes.FirstOrDefault(n => KeyHex(n) == lower);
    }

    private static string? KeyHex(JsonObject node)
        => node["public_key"] is JsonValue v && v.TryGetValue(out string? s) ? s.ToLowerInvariant() : null;

    private static int? ReadInt(JsonNode? node)
    {
        if (node is not JsonValue value)
        {
            return null;
        }

        if (value.TryGetValue(out int i))
        {
            return i;
        }

        return value.TryGetValue(out double d) ? (int)d : null;
    }

    private static TrustedPeer? ToPeer(JsonObject node)
    {
        try
        {
            string? hex = KeyHex(node);
            if (hex is null || hex.Length != 64)
            {
                return null;
            }

            byte[] key = Convert.FromHexString(hex);
            double pairedAt = node["paired_at"] is JsonValue p && p.TryGetValue(out double d) ? d : 0;
            return new TrustedPeer(
                Name: (string?)node["name"] ?? PeerFingerprint.DefaultName(key),
                PublicKey: key,
                Role: node["role"] is JsonValue r && r.TryGetValue(out string? role) ? role : "",
                PairedAt: DateTimeOffset.FromUnixTimeMilliseconds((long)(pairedAt * 1000)),
                Description: node["description"] is JsonValue de && de.TryGetValue(out string? desc) ? desc : "",
                DescriptionOverride: node["description_override"] is JsonValue o && o.TryGetValue(out string? over) ? over : "",
                LastHost: node["last_host"] is JsonValue h && h.TryGetValue(out string? host) ? host : null,
                LastPort: ReadInt(node["last_port"]));
        }
        catch (FormatException)
        {
            return null;
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    private List<JsonObject> ReadNodes()
    {
        string path = FilePath;
        if (!File.Exists(path))
        {
            return [];
        }

        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (FileNotFoundException)
        {
            return [];
        }

        if (bytes.AsSpan().Trim((byte)' ').IsEmpty)
        {
            return [];
        }

        JsonNode? root;
        try
        {
            root = JsonNode.Parse(bytes, documentOptions: s_readOptions);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{path} is not valid JSON: {ex.Message}", ex);
        }

        // Older layouts: {"peers": [...]} or a map of hex → entry.
        JsonArray? array = root switch
        {
            JsonArray a => a,
            JsonObject o when o["peers"] is JsonArray inner => inner,
            _ => null,
        };
        if (array is null && root is JsonObject map)
        {
            var converted = new List<JsonObject>();
            foreach (KeyValuePair<string, JsonNode?> kv in map)
            {
                if (kv.Value is JsonObject entry)
                {
                    JsonObject clone = (JsonObject)entry.DeepClone();
                    clone["public_key"] ??= kv.Key;
                    converted.Add(clone);
                }
            }

            return converted;
        }

        return array is null ? [] : [.. array.OfType<JsonObject>().Select(o => (JsonObject)o.DeepClone())];
    }

    private void Update(Func<List<JsonObject>, bool> change)
    {
        lock (_gate)
        {
            Home.EnsureExists();
            using FileStream lockFile = AcquireLock();
            List<JsonObject> nodes = ReadNodes();
            if (!change(nodes))
            {
                return;
            }

            AtomicFile.WriteAllBytes(FilePath, Serialize(nodes));
        }
    }

    internal static byte[] Serialize(IEnumerable<JsonObject> nodes)
    {
        var array = new JsonArray();
        foreach (JsonObject node in nodes)
        {
            var sorted = new JsonObject();
            foreach (KeyValuePair<string, JsonNode?> kv in node.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                sorted[kv.Key] = kv.Value?.DeepClone();
            }

            array.Add(sorted);
        }

        return System.Text.Encoding.UTF8.GetBytes(array.ToJsonString(s_writeOptions).Replace("\r\n", "\n", StringComparison.Ordinal));
    }

    private FileStream AcquireLock()
    {
        string lockPath = FilePath + ".lock";
        var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            try
            {
                return new FileStream(lockPath, options);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(10);
            }
        }
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"TrustStore({FilePath})");
}
