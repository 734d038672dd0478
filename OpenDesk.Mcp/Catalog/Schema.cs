using System.Text.Json;
using System.Text.Json.Nodes;

namespace OpenDesk.Mcp.Catalog;

/// <summary>Small helpers to write the tools' JSON schemas by hand (plain JSON Schema, no <c>$ref</c>, no <c>anyOf</c>).</summary>
internal static class Schema
{
    public const string PeerDescription =
        "Optional. Name of the peer to run this action on. Use 'local' for this machine, or any name from opendesk_peers. "
        + "When omitted: the default set by opendesk_use, else the persistent default peer, else the only paired peer, else local.";

    public const string PeerParagraph =
        "\n\nRouting: runs on the session's default computer (see opendesk_status) unless `peer` is given; results from "
        + "a remote peer start with [on <peer>].";

    public static JsonObject Str(string description, params string[] enumValues)
    {
        var o = new JsonObject { ["type"] = "string", ["description"] = description };
        if (enumValues.Length > 0)
        {
            o["enum"] = new JsonArray(enumValues.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());
        }

        return o;
    }

    public static JsonObject Int(string description, int? minimum = null, int? maximum = null, int? @default = null)
    {
        var o = new JsonObject { ["type"] = "integer", ["description"] = description };
        if (minimum is not null)
        {
            o["minimum"] = minimum.Value;
        }

        if (maximum is not null)
        {
            o["maximum"] = maximum.Value;
        }

        if (@default is not null)
        {
            o["default"] = @default.Value;
        }

        return o;
    }

    public static JsonObject Num(string description, double? minimum = null, double? @default = null)
    {
        var o = new JsonObject { ["type"] = "number", ["description"] = description };
        if (minimum is not null)
        {
            o["minimum"] = minimum.Value;
        }

        if (@default is not null)
        {
            o["default"] = @default.Value;
        }

        return o;
    }

    public static JsonObject Bool(string description, bool @default = false)
        => new() { ["type"] = "boolean", ["description"] = description, ["default"] = @default };

    public static JsonObject IntArray(string description, int length)
        => new()
        {
            ["type"] = "array",
            ["description"] = description,
            ["items"] = new JsonObject { ["type"] = "integer" },
            ["minItems"] = length,
            ["maxItems"] = length,
        };

    public static JsonObject StrArray(string description)
        => new() { ["type"] = "array", ["description"] = description, ["items"] = new JsonObject { ["type"] = "string" } };

    /// <summary>An object schema with <c>additionalProperties: false</c>; <paramref name="withPeer"/> appends the optional <c>peer</c>.</summary>
    public static JsonElement Object(IEnumerable<(string Name, JsonObject Schema)> properties, string[] required, bool withPeer)
    {
        var props = new JsonObject();
        foreach ((string name, JsonObject schema) in properties)
        {
            props[name] = schema;
        }

        if (withPeer)
        {
            props["peer"] = Str(PeerDescription);
        }

        var root = new JsonObject
        {
            ["type"] = "object",
            ["properties"] = props,
        };
        if (required.Length > 0)
        {
            root["required"] = new JsonArray(required.Select(r => (JsonNode?)JsonValue.Create(r)).ToArray());
        }

        root["additionalProperties"] = false;
        return JsonSerializer.SerializeToElement(root, JsonNodeContext.Default.JsonObject);
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(JsonObject))]
internal sealed partial class JsonNodeContext : System.Text.Json.Serialization.JsonSerializerContext;
