using System.IO.Pipelines;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.AI;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using OpenDesk.Testing;

namespace OpenDesk.Mcp.Tests;

/// <summary>The catalog through a real MCP server and the C# McpClient (in-memory pipes and loopback HTTP).</summary>
public sealed class McpProtocolTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(McpClient Client, Func<Task> Stop)> StartInMemoryAsync(IReadOnlyList<AIFunction> catalog)
    {
        var toServer = new Pipe();
        var toClient = new Pipe();
        var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        Task server = OpenDeskMcp.RunStreamAsync(catalog, toServer.Reader.AsStream(), toClient.Writer.AsStream(), null, cts.Token);
        var transport = new StreamClientTransport(toServer.Writer.AsStream(), toClient.Reader.AsStream());
        McpClient client = await McpClient.CreateAsync(transport, cancellationToken: Ct);
        return (client, async () =>
        {
            await client.DisposeAsync();
            await cts.CancelAsync();
            try
            {
                await server.WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None);
            }
            catch (OperationCanceledException)
            {
            }

            cts.Dispose();
        });
    }

    [Fact]
    public async Task Schemas_reach_the_client_unchanged_and_server_info_is_set()
    {
        var catalog = OpenDeskTools.Create(Tools.Session());
        var (client, stop) = await StartInMemoryAsync(catalog);
        try
        {
            Assert.Equal("opendesk", client.ServerInfo!.Name);
            Assert.False(string.IsNullOrEmpty(client.ServerInstructions));
            IList<McpClientTool> tools = await client.ListToolsAsync(cancellationToken: Ct);
            Assert.Equal(catalog.Select(t => t.Name), tools.Select(t => t.Name));
            foreach (McpClientTool tool in tools)
            {
                AIFunction local = Tools.Get(catalog, tool.Name);
                Assert.True(JsonElement.DeepEquals(local.JsonSchema, tool.JsonSchema), tool.Name);
                Assert.Equal(local.Description, tool.Description);
            }
        }
        finally
        {
            await stop();
        }
    }

    [Fact]
    public async Task Screenshot_is_a_text_block_then_an_image_block()
    {
        var catalog = OpenDeskTools.Create(Tools.Session(new FakeComputer()));
        var (client, stop) = await StartInMemoryAsync(catalog);
        try
        {
            CallToolResult result = await client.CallToolAsync("screenshot", new Dictionary<string, object?> { ["format"] = "png" }, cancellationToken: Ct);
            Assert.NotEqual(true, result.IsError);
            Assert.Equal(2, result.Content.Count);
            Assert.StartsWith("Screenshot 1280x800", Assert.IsType<TextContentBlock>(result.Content[0]).Text);
            ImageContentBlock image = Assert.IsType<ImageContentBlock>(result.Content[1]);
            Assert.Equal("image/png", image.MimeType);
            Assert.True(TestPng.TryReadSize(image.DecodedData.Span, out int w, out int h));
            Assert.Equal((1280, 800), (w, h));
        }
        finally
        {
            await stop();
        }
    }

    [Fact]
    public async Task OpenDesk_errors_are_isError_results_with_the_message()
    {
        var catalog = OpenDeskTools.Create(Tools.Session(new FakeComputer(), new FakePeerDirectory().Add("a").Add("b")));
        var (client, stop) = await StartInMemoryAsync(catalog);
        try
        {
            CallToolResult bad = await client.CallToolAsync("mouse", new Dictionary<string, object?> { ["action"] = "fly", ["peer"] = "local" }, cancellationToken: Ct);
            Assert.True(bad.IsError);
            Assert.StartsWith("invalid argument 'action' for 'mouse'", Assert.IsType<TextContentBlock>(Assert.Single(bad.Content)).Text);

            CallToolResult ambiguous = await client.CallToolAsync("screenshot", new Dictionary<string, object?>(), cancellationToken: Ct);
            Assert.True(ambiguous.IsError);
            Assert.Contains("Multiple peers are paired (a, b)", Assert.IsType<TextContentBlock>(Assert.Single(ambiguous.Content)).Text);
        }
        finally
        {
            await stop();
        }
    }

    [Fact]
    public async Task Unexpected_exceptions_are_isError_without_details()
    {
        var throwing = new CatalogThrowing();
        var (client, stop) = await StartInMemoryAsync([throwing]);
        try
        {
            CallToolResult r = await client.CallToolAsync("boom", new Dictionary<string, object?>(), cancellationToken: Ct);
            Assert.True(r.IsError);
            string text = Assert.IsType<TextContentBlock>(Assert.Single(r.Content)).Text;
            Assert.Equal("internal error in tool 'boom' (InvalidOperationException); details are in the server log.", text);
            Assert.DoesNotContain("secret", text);
        }
        finally
        {
            await stop();
        }
    }

    [Fact]
    public async Task Http_transport_serves_loopback_and_rejects_foreign_host_and_origin()
    {
        var catalog = OpenDeskTools.Create(Tools.Session(new FakeComputer()));
        await using OpenDeskMcpHttp http = await OpenDeskMcpHttp.StartAsync(catalog, 0, null, Ct);
        Assert.Equal("127.0.0.1", http.Endpoint.Host);
        await using (McpClient client = await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions { Endpoint = http.Endpoint }), cancellationToken: Ct))
        {
            Assert.Equal(catalog.Count, (await client.ListToolsAsync(cancellationToken: Ct)).Count);
            CallToolResult shot = await client.CallToolAsync("screenshot", new Dictionary<string, object?>(), cancellationToken: Ct);
            Assert.IsType<ImageContentBlock>(shot.Content[1]);
        }

        using var raw = new HttpClient();
        const string init = """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}""";
        foreach ((string header, string value) in new[] { ("Host", "evil.example:80"), ("Origin", "http://evil.example") })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, http.Endpoint) { Content = new StringContent(init, System.Text.Encoding.UTF8, "application/json") };
            request.Headers.Accept.ParseAdd("application/json");
            request.Headers.Accept.ParseAdd("text/event-stream");
            request.Headers.TryAddWithoutValidation(header, value);
            using HttpResponseMessage response = await raw.SendAsync(request, Ct);
            // Host: the ASP.NET Core host filter (AllowedHosts) answers 400 before our check would answer 403.
            Assert.Contains(response.StatusCode, new[] { HttpStatusCode.Forbidden, HttpStatusCode.BadRequest });
            Assert.Equal(header == "Origin" ? HttpStatusCode.Forbidden : response.StatusCode, response.StatusCode);
        }
    }

    private sealed class CatalogThrowing : AIFunction
    {
        public override string Name => "boom";

        public override string Description => "throws";

        public override JsonElement JsonSchema { get; } = JsonDocument.Parse("""{"type":"object","properties":{},"additionalProperties":false}""").RootElement.Clone();

        protected override ValueTask<object?> InvokeCoreAsync(AIFunctionArguments arguments, CancellationToken cancellationToken)
            => throw new InvalidOperationException("secret path /root/.opendesk/identity.key");
    }
}
