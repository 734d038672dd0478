using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using OpenDesk.Core;
using OpenDesk.Mcp;
using OpenDesk.Testing;

namespace OpenDesk.Adapters.Tests;

/// <summary>The real OpenDesk catalog over a FakeComputer (and optionally fake peers).</summary>
public sealed class TestDesk : IAsyncDisposable
{
    private TestDesk(FakeComputer computer, McpSession session, FakePeerDirectory? peers)
    {
        Computer = computer;
        Session = session;
        Peers = peers;
        Tools = OpenDeskTools.Create(session);
    }

    public FakeComputer Computer { get; }

    public McpSession Session { get; }

    public FakePeerDirectory? Peers { get; }

    public IReadOnlyList<AIFunction> Tools { get; }

    /// <summary>The three-step script: screenshot, click the Save button, type "hello".</summary>
    public static ScriptTurn[] ThreeStepScript(string screenshot = "screenshot", string mouse = "mouse", string keyboard = "keyboard", string peerJson = "") =>
    [
        ScriptTurn.Tool(screenshot, "{" + peerJson.TrimStart(',') + "}"),
        ScriptTurn.Tool(mouse, "{\"action\":\"click\",\"x\":760,\"y\":620" + peerJson + "}"),
        ScriptTurn.Tool(keyboard, "{\"action\":\"type\",\"text\":\"hello\"" + peerJson + "}"),
        ScriptTurn.Answer("All done."),
    ];

    public static TestDesk Create(bool withPeer = false)
    {
        var computer = new FakeComputer();
        FakePeerDirectory? peers = withPeer ? new FakePeerDirectory() : null;
        var session = new McpSession(computer, peers, new OpenDeskToolOptions { SettleQuietMs = 30, SettlePollMs = 10 });
        return new TestDesk(computer, session, peers);
    }

    /// <summary>The input calls the computer saw (pointer, key and text events).</summary>
    public static List<string> InputCalls(FakeComputer computer) => [.. computer.Calls.Where(c => c.StartsWith("input.", StringComparison.Ordinal))];

    /// <summary>Asserts that the three-step script ran on <paramref name="computer"/>.</summary>
    public static void AssertThreeSteps(FakeComputer computer)
    {
        Assert.Contains(computer.Calls, c => c.StartsWith("display.capture desktop", StringComparison.Ordinal));
        List<string> input = InputCalls(computer);
        Assert.Contains(input, c => c.StartsWith("input.pointer down", StringComparison.Ordinal));
        Assert.Contains(input, c => c.StartsWith("input.pointer up", StringComparison.Ordinal));
        Assert.Equal("input.text 5 chars", input[^1]);
        Assert.Equal(1, computer.SaveClicks);
    }

    /// <summary>The user messages of a chat request that carry an image part, with the image URLs.</summary>
    public static List<string> ImageUrls(JsonObject request) =>
    [
        .. request["messages"]!.AsArray()
            .Where(m => m!["role"]!.GetValue<string>() == "user" && m["content"] is JsonArray)
            .SelectMany(m => m!["content"]!.AsArray())
            .Where(p => p!["type"]!.GetValue<string>() == "image_url")
            .Select(p => p!["image_url"]!["url"]!.GetValue<string>()),
    ];

    /// <summary>Asserts a data URL of a real image (FakeComputer captures PNG; real computers default to JPEG).</summary>
    public static void AssertImageUrl(string url)
    {
        Assert.Matches("^data:image/(png|jpeg);base64,", url);
        byte[] bytes = Convert.FromBase64String(url[(url.IndexOf(',', StringComparison.Ordinal) + 1)..]);
        Assert.True(bytes.Length > 100);
        Assert.True(bytes.AsSpan().StartsWith((byte[])[0x89, 0x50, 0x4E, 0x47]) || bytes.AsSpan().StartsWith((byte[])[0xFF, 0xD8]));
    }

    /// <summary>The tools a chat request offered: name → (description, parameters).</summary>
    public static Dictionary<string, (string Description, JsonNode Parameters)> OfferedTools(JsonObject request) =>
        request["tools"]!.AsArray().ToDictionary(
            t => t!["function"]!["name"]!.GetValue<string>(),
            t => (t!["function"]!["description"]?.GetValue<string>() ?? "", t["function"]!["parameters"]!));

    /// <summary>JSON equality ignoring object key order.</summary>
    public static bool JsonEquals(JsonNode? a, JsonNode? b) => JsonNode.DeepEquals(Normalize(a), Normalize(b));

    /// <summary>The schema as M.E.AI's OpenAI provider sends it: with <c>"required": []</c> when the catalog omits it.</summary>
    public static JsonNode WithRequired(JsonElement schema)
    {
        JsonObject o = Parse(schema)!.AsObject();
        o["required"] ??= new JsonArray();
        return o;
    }

    public static JsonNode? Parse(JsonElement element) => JsonNode.Parse(element.GetRawText());

    private static JsonNode? Normalize(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, Normalize(p.Value)))),
        JsonArray a => new JsonArray([.. a.Select(Normalize)]),
        null => null,
        _ => JsonNode.Parse(node.ToJsonString()),
    };

    public async ValueTask DisposeAsync() => await Session.DisposeAsync();
}

/// <summary>A peer directory with one trusted peer <c>desk2</c> backed by another FakeComputer.</summary>
public sealed class FakePeerDirectory : IPeerDirectory
{
    public const string PeerName = "desk2";

    public FakeComputer Remote { get; } = new();

    public int Connects { get; private set; }

    public ValueTask<IReadOnlyList<TrustedPeer>> GetTrustedPeersAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<TrustedPeer>>([new TrustedPeer(PeerName, new byte[32], "remote", DateTimeOffset.UnixEpoch, "second fake desk")]);

    public ValueTask<string?> GetDefaultPeerAsync(CancellationToken cancellationToken) => ValueTask.FromResult<string?>(null);

    public ValueTask SetDefaultPeerAsync(string? name, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask SetDescriptionOverrideAsync(string name, string? description, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask<IComputer> ConnectAsync(string name, CancellationToken cancellationToken)
    {
        if (name != PeerName)
        {
            throw new NotFoundException($"unknown peer '{name}'");
        }

        Connects++;
        return ValueTask.FromResult<IComputer>(new NonDisposingComputer(Remote));
    }

    public ValueTask<IReadOnlyList<DiscoveredPeer>> DiscoverAsync(TimeSpan timeout, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<DiscoveredPeer>>([]);

    private sealed class NonDisposingComputer(IComputer inner) : IComputer
    {
        public IComputerDisplay Display => inner.Display;
        public IComputerInput Input => inner.Input;
        public IComputerWindows Windows => inner.Windows;
        public IComputerApps Apps => inner.Apps;
        public IComputerUI UI => inner.UI;
        public IComputerClipboard Clipboard => inner.Clipboard;
        public IComputerFiles Files => inner.Files;
        public IComputerProcesses Processes => inner.Processes;
        public IComputerPower Power => inner.Power;
        public IComputerNotifications Notifications => inner.Notifications;
        public ValueTask<CapabilityManifest> GetCapabilitiesAsync(CancellationToken cancellationToken) => inner.GetCapabilitiesAsync(cancellationToken);
        public ValueTask<EnvironmentInfo> GetEnvironmentAsync(CancellationToken cancellationToken) => inner.GetEnvironmentAsync(cancellationToken);
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
