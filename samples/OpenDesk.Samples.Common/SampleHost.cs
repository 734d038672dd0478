using Microsoft.Extensions.AI;
using OpenDesk.Adapters.Tests;
using OpenDesk.Core;
using OpenDesk.Local;
using OpenDesk.Mcp;
using OpenDesk.Testing;

namespace OpenDesk.Samples;

/// <summary>
/// SAMPLE CODE. Command line of every adapter sample:
/// <c>[--base-url URL] [--model NAME] [--api-key KEY] [--local [--virtual-display]] [--prompt TEXT]</c>.
/// Without <c>--base-url</c> the sample starts a scripted fake OpenAI-compatible endpoint on 127.0.0.1 that plays
/// screenshot → mouse click → keyboard type. Without <c>--local</c> the tools drive a FakeComputer (no desktop needed).
/// <c>--local</c> drives this machine's display as <c>opendesk mcp</c> finds it ($DISPLAY, else an X socket in
/// /tmp/.X11-unix, else a private Xvfb); add <c>--virtual-display</c> to always use a private Xvfb.
/// </summary>
public sealed class SampleHost : IAsyncDisposable
{
    private readonly ScriptedOpenAIEndpoint? _endpoint;

    private SampleHost(IComputer computer, FakeComputer? fake, McpSession session, ScriptedOpenAIEndpoint? endpoint, Uri baseUrl, string model, string? apiKey, string prompt)
    {
        Computer = computer;
        Fake = fake;
        Session = session;
        Tools = OpenDeskTools.Create(session);
        _endpoint = endpoint;
        BaseUrl = baseUrl;
        Model = model;
        ApiKey = apiKey;
        Prompt = prompt;
    }

    public IComputer Computer { get; }

    /// <summary>The FakeComputer when not <c>--local</c>.</summary>
    public FakeComputer? Fake { get; }

    public McpSession Session { get; }

    /// <summary>The OpenDesk tool catalog (the same tools <c>opendesk mcp</c> serves).</summary>
    public IReadOnlyList<AIFunction> Tools { get; }

    public Uri BaseUrl { get; }

    public string Model { get; }

    public string? ApiKey { get; }

    public string Prompt { get; }

    /// <summary>True when the scripted fake endpoint plays the model.</summary>
    public bool Scripted => _endpoint is not null;

    /// <summary>Parses the command line and prepares the computer, the catalog and (without --base-url) the fake endpoint.</summary>
    /// <param name="args">The command line.</param>
    /// <param name="toolPrefix">The prefix the model sees on tool names (Semantic Kernel: <c>opendesk_</c>).</param>
    public static async Task<SampleHost> StartAsync(string[] args, string toolPrefix = "")
    {
        string? Value(string name)
        {
            int i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        }

        bool local = args.Contains("--local");
        string? baseUrl = Value("--base-url");
        string prompt = Value("--prompt") ?? "Take a screenshot, click the Save button, then type hello.";
        IComputer computer;
        FakeComputer? fake = null;
        if (local)
        {
            computer = LocalComputer.Create(new LocalComputerOptions
            {
                EnableOcr = false,
                UseVirtualDisplay = args.Contains("--virtual-display") ? true : null,
            });
        }
        else
        {
            fake = new FakeComputer();
            computer = fake;
        }

        ScriptedOpenAIEndpoint? endpoint = null;
        if (baseUrl is null)
        {
            endpoint = await ScriptedOpenAIEndpoint.StartAsync(
                ScriptTurn.Tool(toolPrefix + "screenshot", "{}"),
                ScriptTurn.Tool(toolPrefix + "mouse", "{\"action\":\"click\",\"x\":760,\"y\":620}"),
                ScriptTurn.Tool(toolPrefix + "keyboard", "{\"action\":\"type\",\"text\":\"hello\"}"),
                ScriptTurn.Answer("Done: clicked Save and typed hello."));
        }

        var session = new McpSession(computer);
        return new SampleHost(computer, fake, session, endpoint, endpoint?.BaseUrl ?? new Uri(baseUrl!), Value("--model") ?? "gpt-4.1", Value("--api-key"), prompt);
    }

    /// <summary>Prints what the fake endpoint received and what the computer did.</summary>
    public void Report()
    {
        if (_endpoint is not null)
        {
            int images = _endpoint.Requests.Sum(r => r.Body.ToJsonString().Split("\"type\":\"image_url\"").Length - 1
                + r.Body.ToJsonString().Split("\"type\":\"input_image\"").Length - 1);
            Console.WriteLine($"fake endpoint: {_endpoint.Requests.Count} requests, {images} image part(s) sent to the model in total (a screenshot is re-sent with every later request, at most MaxImages of them)");
        }

        if (Fake is not null)
        {
            Console.WriteLine("computer input: " + string.Join("; ", Fake.Calls.Where(c => c.StartsWith("input.", StringComparison.Ordinal))));
            Console.WriteLine($"Save button clicks: {Fake.SaveClicks}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Session.DisposeAsync();
        await Computer.DisposeAsync();
        if (_endpoint is not null)
        {
            await _endpoint.DisposeAsync();
        }
    }
}
