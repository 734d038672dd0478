using System.ClientModel;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Responses;
using ChatMessage = OpenAI.Chat.ChatMessage;

namespace OpenDesk.Adapters;

/// <summary>
/// OpenAI function calling with the official OpenAI .NET SDK: the catalog as <see cref="ChatTool"/>s (Chat
/// Completions) and <see cref="ResponseTool"/>s (Responses API), and a dispatcher that runs the model's tool calls.
/// </summary>
/// <remarks>
/// Names, descriptions and JSON schemas are the catalog's, verbatim. Chat Completions does not accept images in
/// <c>role: tool</c> messages, so <see cref="DispatchAsync(IEnumerable{ChatToolCall}, CancellationToken)"/> returns one
/// tool message per call (the text plus a note) and then <b>one</b> user message with every image of the turn. The
/// Responses shape is the same: <c>function_call_output</c> items, then one user message item with the images.
/// Calls run one after another in the order the model gave them (GUI actions depend on order). Failed calls never
/// throw: unknown tools, arguments that are not a JSON object and OpenDesk errors become <c>Error: …</c> outputs,
/// so the model can correct itself and the loop continues.
/// </remarks>
public sealed class OpenDeskOpenAITools
{
    private readonly Dictionary<string, AIFunction> _byName = new(StringComparer.Ordinal);

    /// <summary>Creates the adapter over a catalog.</summary>
    /// <param name="tools">The catalog (e.g. OpenDesk.Mcp's tools over an <c>McpSession</c>).</param>
    public OpenDeskOpenAITools(IEnumerable<AIFunction> tools)
    {
        Functions = ErrorMappingFunction.WrapAll(tools);
        var chatTools = new List<ChatTool>(Functions.Count);
        foreach (AIFunction f in Functions)
        {
            _byName[f.Name] = f;
            chatTools.Add(ChatTool.CreateFunctionTool(f.Name, f.Description, BinaryData.FromString(f.JsonSchema.GetRawText())));
        }

        ChatTools = chatTools;
    }

    /// <summary>The catalog tools (wrapped so that OpenDesk errors become <c>Error: …</c> results).</summary>
    public IReadOnlyList<AIFunction> Functions { get; }

    /// <summary>The tools for <c>ChatCompletionOptions.Tools</c> (names, descriptions and schemas verbatim).</summary>
    public IReadOnlyList<ChatTool> ChatTools { get; }

    /// <summary>The tools for <c>CreateResponseOptions.Tools</c> (Responses API; strict mode off, schemas verbatim).</summary>
    [Experimental("OPENAI001")]
    public IReadOnlyList<ResponseTool> ResponseTools =>
        [.. Functions.Select(f => ResponseTool.CreateFunctionTool(
            f.Name, BinaryData.FromString(f.JsonSchema.GetRawText()), strictModeEnabled: false, f.Description))];

    /// <summary>Creates an <see cref="OpenAIClient"/> for OpenAI or any OpenAI-compatible endpoint.</summary>
    /// <param name="baseUrl">The API base URL, e.g. <c>http://127.0.0.1:8080/v1</c>; null uses <c>OPENAI_BASE_URL</c> when set, else OpenAI.</param>
    /// <param name="apiKey">The API key; null uses <c>OPENAI_API_KEY</c>, else a placeholder (local servers ignore it).</param>
    public static OpenAIClient CreateClient(Uri? baseUrl = null, string? apiKey = null)
    {
        string? envUrl = Environment.GetEnvironmentVariable("OPENAI_BASE_URL");
        baseUrl ??= string.IsNullOrWhiteSpace(envUrl) ? null : new Uri(envUrl);
        apiKey ??= Environment.GetEnvironmentVariable("OPENAI_API_KEY");
        if (string.IsNullOrEmpty(apiKey))
        {
            apiKey = "unused";
        }

        var options = new OpenAIClientOptions();
        if (baseUrl is not null)
        {
            options.Endpoint = baseUrl;
        }

        return new OpenAIClient(new ApiKeyCredential(apiKey), options);
    }

    /// <summary>
    /// Runs the tool calls of one assistant message (Chat Completions) and returns the messages to append after it:
    /// one <see cref="ToolChatMessage"/> per call, in order, then one <see cref="UserChatMessage"/> with the images
    /// the calls returned (only when there are images).
    /// </summary>
    /// <param name="toolCalls">The assistant message's <c>ToolCalls</c>.</param>
    /// <param name="cancellationToken">Cancels the calls.</param>
    public async Task<IReadOnlyList<ChatMessage>> DispatchAsync(IEnumerable<ChatToolCall> toolCalls, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(toolCalls);
        var messages = new List<ChatMessage>();
        var imageParts = new List<ChatMessageContentPart>();
        foreach (ChatToolCall call in toolCalls)
        {
            OpenDeskToolOutput output = await InvokeAsync(call.FunctionName, call.FunctionArguments?.ToString(), cancellationToken).ConfigureAwait(false);
            messages.Add(new ToolChatMessage(call.Id, ToolResults.WithImageNote(output.Text, output.Images.Count)));
            if (output.Images.Count > 0)
            {
                imageParts.Add(ChatMessageContentPart.CreateTextPart(ToolResults.ImageIntroPrefix + call.Id + ":"));
                foreach (DataContent image in output.Images)
                {
                    imageParts.Add(ChatMessageContentPart.CreateImagePart(BinaryData.FromBytes(image.Data), image.MediaType));
                }
            }
        }

        if (imageParts.Count > 0)
        {
            messages.Add(new UserChatMessage(imageParts));
        }

        return messages;
    }

    /// <summary>
    /// Runs the function calls of one response (Responses API) and returns the input items to send next: one
    /// <c>function_call_output</c> item per call, in order, then one user message item with the images (only when
    /// there are images).
    /// </summary>
    /// <param name="functionCalls">The response's <see cref="FunctionCallResponseItem"/>s.</param>
    /// <param name="cancellationToken">Cancels the calls.</param>
    [Experimental("OPENAI001")]
    public async Task<IReadOnlyList<ResponseItem>> DispatchAsync(IEnumerable<FunctionCallResponseItem> functionCalls, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(functionCalls);
        var items = new List<ResponseItem>();
        var imageParts = new List<ResponseContentPart>();
        foreach (FunctionCallResponseItem call in functionCalls)
        {
            OpenDeskToolOutput output = await InvokeAsync(call.FunctionName, call.FunctionArguments?.ToString(), cancellationToken).ConfigureAwait(false);
            items.Add(ResponseItem.CreateFunctionCallOutputItem(call.CallId, ToolResults.WithImageNote(output.Text, output.Images.Count)));
            if (output.Images.Count > 0)
            {
                imageParts.Add(ResponseContentPart.CreateInputTextPart(ToolResults.ImageIntroPrefix + call.CallId + ":"));
                foreach (DataContent image in output.Images)
                {
                    imageParts.Add(ResponseContentPart.CreateInputImagePart(new Uri(image.Uri), imageDetailLevel: null));
                }
            }
        }

        if (imageParts.Count > 0)
        {
            items.Add(ResponseItem.CreateUserMessageItem(imageParts));
        }

        return items;
    }

    /// <summary>Runs one tool call given by name and JSON arguments. Never throws for a bad call (see the remarks of the class).</summary>
    /// <param name="toolName">The tool name the model used.</param>
    /// <param name="argumentsJson">The arguments as the model sent them (a JSON object; null or empty means none).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async Task<OpenDeskToolOutput> InvokeAsync(string toolName, string? argumentsJson, CancellationToken cancellationToken = default)
    {
        if (!_byName.TryGetValue(toolName ?? string.Empty, out AIFunction? function))
        {
            return OpenDeskToolOutput.Error(
                $"Error: unknown tool '{toolName}'. Available tools: {string.Join(", ", _byName.Keys.Order(StringComparer.Ordinal))}.");
        }

        AIFunctionArguments arguments;
        try
        {
            arguments = ParseArguments(argumentsJson);
        }
        catch (JsonException e)
        {
            return OpenDeskToolOutput.Error(
                $"Error: the arguments of '{toolName}' are not a valid JSON object ({e.Message}). Send one JSON object that matches the tool's schema.");
        }

        object? result;
        try
        {
            result = await function.InvokeAsync(arguments, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
#pragma warning disable CA1031 // A failed tool call is reported to the model; the loop must go on.
        catch (Exception e)
#pragma warning restore CA1031
        {
            return OpenDeskToolOutput.Error($"Error: '{toolName}' failed unexpectedly ({e.GetType().Name}).");
        }

        (string text, IReadOnlyList<DataContent> images) = ToolResults.Split(result);
        bool isError = images.Count == 0 && text.StartsWith("Error: ", StringComparison.Ordinal);
        return new OpenDeskToolOutput(text, images, isError);
    }

    private static AIFunctionArguments ParseArguments(string? json)
    {
        var arguments = new AIFunctionArguments();
        if (string.IsNullOrWhiteSpace(json))
        {
            return arguments;
        }

        using JsonDocument document = JsonDocument.Parse(json);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            throw new JsonException($"expected an object, got {document.RootElement.ValueKind.ToString().ToLowerInvariant()}");
        }

        foreach (JsonProperty property in document.RootElement.EnumerateObject())
        {
            arguments[property.Name] = property.Value.ValueKind == JsonValueKind.Null ? null : property.Value.Clone();
        }

        return arguments;
    }
}

/// <summary>The output of one tool call on a chat surface.</summary>
/// <param name="Text">The text (what a tool message carries).</param>
/// <param name="Images">The images the call returned (sent in a user message after the tool messages).</param>
/// <param name="IsError">True when the call failed; <paramref name="Text"/> then starts with <c>Error: </c>.</param>
public sealed record OpenDeskToolOutput(string Text, IReadOnlyList<DataContent> Images, bool IsError)
{
    internal static OpenDeskToolOutput Error(string text) => new(text, [], true);
}
