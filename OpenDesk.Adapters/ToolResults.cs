using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace OpenDesk.Adapters;

/// <summary>Splits a tool result into the text a <c>role: tool</c> message can carry and the images it cannot.</summary>
internal static class ToolResults
{
    /// <summary>The intro line of the user message that carries tool images.</summary>
    public const string ImageIntroPrefix = "Image(s) returned by tool call ";

    /// <summary>Text that replaces an image dropped from what is re-sent (only the last N images are kept).</summary>
    public const string OmittedImage = "[older screenshot omitted to save context; take a new screenshot if needed]";

    /// <summary>The text and the images of a result.</summary>
    /// <param name="result">A tool result: <c>IEnumerable&lt;AIContent&gt;</c>, an <see cref="AIContent"/>, a string or anything JSON-serialisable.</param>
    public static (string Text, IReadOnlyList<DataContent> Images) Split(object? result)
    {
        switch (result)
        {
            case null:
                return (string.Empty, []);
            case string s:
                return (s, []);
            case AIContent single:
                return Split(new[] { single });
            case IEnumerable<AIContent> contents:
            {
                var text = new StringBuilder();
                var images = new List<DataContent>();
                foreach (AIContent c in contents)
                {
                    switch (c)
                    {
                        case TextContent t:
                            AppendLine(text, t.Text);
                            break;
                        case DataContent d when d.HasTopLevelMediaType("image"):
                            images.Add(d);
                            break;
                        case DataContent d:
                            AppendLine(text, $"[{d.MediaType} content of {d.Data.Length} bytes not shown]");
                            break;
                        case UriContent u:
                            AppendLine(text, u.Uri.ToString());
                            break;
                        case ErrorContent e:
                            AppendLine(text, "Error: " + e.Message);
                            break;
                        default:
                            AppendLine(text, JsonSerializer.Serialize(c, AIJsonUtilities.DefaultOptions.GetTypeInfo(typeof(AIContent))));
                            break;
                    }
                }

                return (text.ToString(), images);
            }

            case JsonElement { ValueKind: JsonValueKind.String } e:
                return (e.GetString() ?? string.Empty, []);
            default:
                return (JsonSerializer.Serialize(result, AIJsonUtilities.DefaultOptions.GetTypeInfo(result.GetType())), []);
        }
    }

    /// <summary>The tool-message text: the result text plus a note saying where its images went.</summary>
    public static string WithImageNote(string text, int imageCount)
    {
        if (imageCount == 0)
        {
            return text.Length == 0 ? "(no output)" : text;
        }

        string note = imageCount == 1
            ? "[1 image attached in the next user message]"
            : $"[{imageCount} images attached in the next user message]";
        return text.Length == 0 ? note : text + "\n" + note;
    }

    private static void AppendLine(StringBuilder builder, string? line)
    {
        if (string.IsNullOrEmpty(line))
        {
            return;
        }

        if (builder.Length > 0)
        {
            builder.Append('\n');
        }

        builder.Append(line);
    }
}
