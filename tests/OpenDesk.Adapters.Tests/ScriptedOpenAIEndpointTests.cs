using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace OpenDesk.Adapters.Tests;

/// <summary>The fake endpoint refuses, like OpenAI, conversations whose tool results do not match the tool calls.</summary>
public sealed class ScriptedOpenAIEndpointTests
{
    private const string Call = """{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"screenshot","arguments":"{}"}}]}""";

    private static async Task<(HttpStatusCode Status, string Body)> PostAsync(ScriptedOpenAIEndpoint endpoint, string path, string json)
    {
        using var http = new HttpClient();
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        using HttpResponseMessage response = await http.PostAsync(new Uri(endpoint.BaseUrl + path), content, TestContext.Current.CancellationToken);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    private static string Chat(params string[] messages) => $$"""{"model":"m","messages":[{"role":"user","content":"go"},{{string.Join(",", messages)}}]}""";

    [Theory]
    [InlineData(Call + """,{"role":"tool","tool_call_id":"call_1","content":"ok"}""", null)]
    [InlineData(Call + """,{"role":"tool","tool_call_id":"call_1","content":[{"type":"text","text":"ok"}]},{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,AA=="}}]}""", null)]
    [InlineData(Call + """,{"role":"user","content":"next"}""", "did not have response messages: call_1")]
    [InlineData(Call, "did not have response messages: call_1")]
    [InlineData("""{"role":"tool","tool_call_id":"call_9","content":"ok"}""", "must be a response to a preceding message with 'tool_calls' (tool_call_id 'call_9')")]
    [InlineData(Call + """,{"role":"tool","tool_call_id":"call_1","content":[{"type":"text","text":"ok"},{"type":"image_url","image_url":{"url":"data:image/png;base64,AA=="}}]}""", "may only contain text parts, not 'image_url'")]
    public async Task Chat_completions_rejects_tool_results_that_do_not_match_the_calls(string messages, string? problem)
    {
        await using ScriptedOpenAIEndpoint endpoint = await ScriptedOpenAIEndpoint.StartAsync(ScriptTurn.Answer("fine"));

        (HttpStatusCode status, string body) = await PostAsync(endpoint, "/chat/completions", Chat(messages));

        if (problem is null)
        {
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal("fine", JsonNode.Parse(body)!["choices"]![0]!["message"]!["content"]!.GetValue<string>());
            Assert.Empty(endpoint.Rejections);
        }
        else
        {
            Assert.Equal(HttpStatusCode.BadRequest, status);
            Assert.Equal("invalid_request_error", JsonNode.Parse(body)!["error"]!["type"]!.GetValue<string>());
            Assert.Contains(problem, Assert.Single(endpoint.Rejections), StringComparison.Ordinal);
            Assert.Equal(1, endpoint.Remaining); // a rejected request does not use up a turn
        }
    }

    [Theory]
    [InlineData("""{"type":"function_call","call_id":"call_1","name":"screenshot","arguments":"{}"},{"type":"function_call_output","call_id":"call_1","output":"ok"}""", null)]
    [InlineData("""{"type":"function_call_output","call_id":"call_7","output":"ok"}""", "No tool call found for function call output with call_id call_7.")]
    [InlineData("""{"type":"function_call","call_id":"call_1","name":"screenshot","arguments":"{}"}""", "No tool output found for function call call_1.")]
    public async Task Responses_api_rejects_function_call_outputs_that_do_not_pair_with_calls(string items, string? problem)
    {
        await using ScriptedOpenAIEndpoint endpoint = await ScriptedOpenAIEndpoint.StartAsync(ScriptTurn.Answer("fine"));

        (HttpStatusCode status, string body) = await PostAsync(
            endpoint, "/responses", $$"""{"model":"m","input":[{"type":"message","role":"user","content":"go"},{{items}}]}""");

        Assert.Equal(problem is null ? HttpStatusCode.OK : HttpStatusCode.BadRequest, status);
        if (problem is null)
        {
            Assert.Equal("fine", JsonNode.Parse(body)!["output"]![0]!["content"]![0]!["text"]!.GetValue<string>());
        }
        else
        {
            Assert.Equal(problem, Assert.Single(endpoint.Rejections));
        }
    }
}
