using System.Text.Json;
using Microsoft.Extensions.AI;
using OpenDesk.Core;
using OpenDesk.Testing;

namespace OpenDesk.Mcp.Tests;

public sealed class CatalogTests
{
    private static readonly IReadOnlyList<AIFunction> s_catalog = OpenDeskTools.Create(Tools.Session());

    [Fact]
    public void Catalog_has_the_python_compatible_tool_names_in_order()
    {
        Assert.Equal(
            ["screenshot", "mouse", "keyboard", "ui", "app", "clipboard", "ocr",
             "opendesk_peers", "opendesk_discover", "opendesk_use", "opendesk_status", "opendesk_describe",
             "opendesk_capabilities", "opendesk_disconnect", "audit"],
            s_catalog.Select(t => t.Name));
        Assert.Equal(OpenDeskTools.ComputerToolNames.Concat(OpenDeskTools.AdminToolNames), s_catalog.Select(t => t.Name));
    }

    [Fact]
    public void Every_schema_is_a_closed_object_with_described_properties()
    {
        foreach (AIFunction tool in s_catalog)
        {
            JsonElement schema = tool.JsonSchema;
            Assert.Equal("object", schema.GetProperty("type").GetString());
            Assert.False(schema.GetProperty("additionalProperties").GetBoolean(), tool.Name);
            Assert.False(string.IsNullOrWhiteSpace(tool.Description), tool.Name);
            foreach (JsonProperty p in schema.GetProperty("properties").EnumerateObject())
            {
                Assert.True(p.Value.TryGetProperty("type", out JsonElement type), $"{tool.Name}.{p.Name} has a type");
                Assert.Contains(type.GetString(), new[] { "string", "integer", "number", "boolean", "array" });
                Assert.False(string.IsNullOrWhiteSpace(p.Value.GetProperty("description").GetString()), $"{tool.Name}.{p.Name}");
                if (type.GetString() == "array")
                {
                    Assert.True(p.Value.TryGetProperty("items", out _), $"{tool.Name}.{p.Name} has items");
                }
            }

            if (schema.TryGetProperty("required", out JsonElement required))
            {
                foreach (JsonElement r in required.EnumerateArray())
                {
                    Assert.True(schema.GetProperty("properties").TryGetProperty(r.GetString()!, out _), $"{tool.Name} requires a declared property");
                }
            }
        }
    }

    [Fact]
    public void Computer_tools_have_an_optional_peer_and_a_routing_paragraph()
    {
        foreach (string name in OpenDeskTools.ComputerToolNames)
        {
            AIFunction tool = Tools.Get(s_catalog, name);
            JsonElement peer = tool.JsonSchema.GetProperty("properties").GetProperty("peer");
            Assert.Equal("string", peer.GetProperty("type").GetString());
            Assert.Contains("opendesk_peers", peer.GetProperty("description").GetString());
            Assert.DoesNotContain("peer", Required(tool));
            Assert.Contains("[on <peer>]", tool.Description);
        }

        Assert.False(Tools.Get(s_catalog, "audit").JsonSchema.GetProperty("properties").TryGetProperty("peer", out _));
        Assert.False(Tools.Get(s_catalog, "opendesk_peers").JsonSchema.GetProperty("properties").TryGetProperty("peer", out _));
    }

    [Theory]
    [InlineData("mouse", "action", new[] { "move", "click", "double_click", "triple_click", "right_click", "middle_click", "left_down", "left_up", "scroll", "drag", "cursor_position" })]
    [InlineData("keyboard", "action", new[] { "type", "press", "hotkey", "hold" })]
    [InlineData("ui", "action", new[] { "get_tree", "click", "click_menu", "type", "press_key", "get_value" })]
    [InlineData("app", "action", new[] { "open", "close", "focus", "list" })]
    [InlineData("clipboard", "action", new[] { "read", "write" })]
    [InlineData("mouse", "direction", new[] { "up", "down", "left", "right" })]
    [InlineData("screenshot", "format", new[] { "jpeg", "png" })]
    [InlineData("audit", "format", new[] { "summary", "full" })]
    public void Enums_match_the_reference(string tool, string property, string[] values)
    {
        JsonElement p = Tools.Get(s_catalog, tool).JsonSchema.GetProperty("properties").GetProperty(property);
        Assert.Equal(values, p.GetProperty("enum").EnumerateArray().Select(e => e.GetString()));
    }

    [Theory]
    [InlineData("screenshot", new string[0])]
    [InlineData("mouse", new[] { "action" })]
    [InlineData("keyboard", new[] { "action" })]
    [InlineData("ui", new[] { "action", "app" })]
    [InlineData("app", new[] { "action" })]
    [InlineData("clipboard", new[] { "action" })]
    [InlineData("ocr", new string[0])]
    [InlineData("opendesk_use", new[] { "peer" })]
    [InlineData("opendesk_describe", new[] { "peer" })]
    [InlineData("opendesk_capabilities", new string[0])]
    [InlineData("opendesk_disconnect", new string[0])]
    public void Required_fields_match_the_reference(string tool, string[] required)
        => Assert.Equal(required, Required(Tools.Get(s_catalog, tool)));

    [Fact]
    public void Region_and_zoom_are_four_integers()
    {
        foreach ((string tool, string prop) in new[] { ("screenshot", "region"), ("screenshot", "zoom"), ("ocr", "region") })
        {
            JsonElement p = Tools.Get(s_catalog, tool).JsonSchema.GetProperty("properties").GetProperty(prop);
            Assert.Equal("integer", p.GetProperty("items").GetProperty("type").GetString());
            Assert.Equal(4, p.GetProperty("minItems").GetInt32());
            Assert.Equal(4, p.GetProperty("maxItems").GetInt32());
        }
    }

    [Fact]
    public void Mouse_exposes_python_parameters()
    {
        JsonElement props = Tools.Get(s_catalog, "mouse").JsonSchema.GetProperty("properties");
        foreach (string name in new[] { "action", "x", "y", "end_x", "end_y", "image_width", "image_height", "direction", "amount", "duration", "settle_ms", "peer" })
        {
            Assert.True(props.TryGetProperty(name, out _), name);
        }
    }

    private static string[] Required(AIFunction tool)
        => tool.JsonSchema.TryGetProperty("required", out JsonElement r) ? [.. r.EnumerateArray().Select(e => e.GetString()!)] : [];
}

public sealed class ArgumentErrorTests
{
    [Fact]
    public async Task Unknown_argument_is_named()
    {
        var catalog = OpenDeskTools.Create(Tools.Session());
        var e = await Assert.ThrowsAsync<InvalidArgumentException>(() => Tools.CallAsync(catalog, "mouse", new { action = "click", colour = "red" }));
        Assert.Contains("'colour'", e.Message);
    }

    [Fact]
    public async Task Wrong_type_and_bad_enum_name_the_argument()
    {
        var catalog = OpenDeskTools.Create(Tools.Session());
        var e1 = await Assert.ThrowsAsync<InvalidArgumentException>(() => Tools.CallAsync(catalog, "mouse", new { action = "click", x = "left" }));
        Assert.Contains("'x'", e1.Message);
        var e2 = await Assert.ThrowsAsync<InvalidArgumentException>(() => Tools.CallAsync(catalog, "mouse", new { action = "punch" }));
        Assert.Contains("'action'", e2.Message);
        Assert.Contains("double_click", e2.Message);
        var e3 = await Assert.ThrowsAsync<InvalidArgumentException>(() => Tools.CallAsync(catalog, "screenshot", new { zoom = new[] { 1, 2, 3 } }));
        Assert.Contains("'zoom'", e3.Message);
    }

    [Fact]
    public async Task Missing_required_arguments_are_named()
    {
        var catalog = OpenDeskTools.Create(Tools.Session());
        Assert.Contains("'action'", (await Assert.ThrowsAsync<InvalidArgumentException>(() => Tools.CallAsync(catalog, "mouse", new { x = 1 }))).Message);
        Assert.Contains("'end_x'", (await Assert.ThrowsAsync<InvalidArgumentException>(() => Tools.CallAsync(catalog, "mouse", new { action = "drag", x = 1, y = 1 }))).Message);
        Assert.Contains("'text'", (await Assert.ThrowsAsync<InvalidArgumentException>(() => Tools.CallAsync(catalog, "keyboard", new { action = "type" }))).Message);
        Assert.Contains("'keys'", (await Assert.ThrowsAsync<InvalidArgumentException>(() => Tools.CallAsync(catalog, "keyboard", new { action = "hotkey" }))).Message);
        Assert.Contains("'app'", (await Assert.ThrowsAsync<InvalidArgumentException>(() => Tools.CallAsync(catalog, "ui", new { action = "get_tree" }))).Message);
        Assert.Contains("'name'", (await Assert.ThrowsAsync<InvalidArgumentException>(() => Tools.CallAsync(catalog, "app", new { action = "open" }))).Message);
        Assert.Contains("'text'", (await Assert.ThrowsAsync<InvalidArgumentException>(() => Tools.CallAsync(catalog, "clipboard", new { action = "write" }))).Message);
        Assert.Contains("image_height", (await Assert.ThrowsAsync<InvalidArgumentException>(() => Tools.CallAsync(catalog, "mouse", new { action = "click", image_width = 100 }))).Message);
    }

    [Fact]
    public async Task Null_and_blank_peer_mean_not_given()
    {
        var catalog = OpenDeskTools.Create(Tools.Session());
        Assert.Contains("Running applications", Tools.Text(await Tools.CallAsync(catalog, "app", new { action = "list", peer = (string?)null })));
        Assert.Contains("Running applications", Tools.Text(await Tools.CallAsync(catalog, "app", new { action = "list", peer = "  " })));
    }

    [Fact]
    public async Task Semantic_kernel_style_string_values_are_accepted()
    {
        var fake = new FakeComputer();
        var catalog = OpenDeskTools.Create(Tools.Session(fake));
        var args = new AIFunctionArguments { ["action"] = "hotkey", ["keys"] = "[\"ctrl\",\"s\"]", ["settle_ms"] = "0" };
        object? result = await Tools.Get(catalog, "keyboard").InvokeAsync(args, TestContext.Current.CancellationToken);
        Assert.Contains("ctrl+s", Tools.Text(Assert.IsAssignableFrom<IList<AIContent>>(result)));
        Assert.Equal(["input.key down ctrl", "input.key down s", "input.key up s", "input.key up ctrl"], fake.Calls.Where(c => c.StartsWith("input.key", StringComparison.Ordinal)));
    }
}
