using System.Text.Json;
using Microsoft.Extensions.AI;
using OpenDesk.Core;
using OpenDesk.Testing;

namespace OpenDesk.Mcp.Tests;

/// <summary>An in-memory IPeerDirectory: trusted peers, a persistent default, connects to FakeComputers.</summary>
public sealed class FakePeerDirectory : IPeerDirectory
{
    private readonly List<TrustedPeer> _peers = [];
    private string? _default;

    public Dictionary<string, int> Connects { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, List<IComputer>> Computers { get; } = new(StringComparer.Ordinal);

    public Func<string, IComputer>? Factory { get; set; }

    public Exception? ConnectError { get; set; }

    public FakePeerDirectory Add(string name, string role = "remote", string description = "")
    {
        byte[] key = new byte[32];
        System.Text.Encoding.UTF8.GetBytes(name.PadRight(32, '.'))[..32].CopyTo(key, 0);
        _peers.Add(new TrustedPeer(name, key, role, DateTimeOffset.UnixEpoch, description));
        return this;
    }

    public ValueTask<IReadOnlyList<TrustedPeer>> GetTrustedPeersAsync(CancellationToken cancellationToken)
        => ValueTask.FromResult<IReadOnlyList<TrustedPeer>>([.. _peers.OrderBy(p => p.Name, StringComparer.Ordinal)]);

    public ValueTask<string?> GetDefaultPeerAsync(CancellationToken cancellationToken) => ValueTask.FromResult(_default);

    public ValueTask SetDefaultPeerAsync(string? name, CancellationToken cancellationToken)
    {
        _default = name;
        return ValueTask.CompletedTask;
    }

    public ValueTask SetDescriptionOverrideAsync(string name, string? description, CancellationToken cancellationToken)
        => ValueTask.CompletedTask;

    public ValueTask<IComputer> ConnectAsync(string name, CancellationToken cancellationToken)
    {
        if (ConnectError is { } e)
        {
            throw e;
        }

        Connects[name] = Connects.GetValueOrDefault(name) + 1;
        IComputer computer = Factory?.Invoke(name) ?? new FakeComputer();
        if (!Computers.TryGetValue(name, out List<IComputer>? list))
        {
            Computers[name] = list = [];
        }

        list.Add(computer);
        return ValueTask.FromResult(computer);
    }

    public ValueTask<IReadOnlyList<DiscoveredPeer>> DiscoverAsync(TimeSpan timeout, CancellationToken cancellationToken)
        => ValueTask.FromResult<IReadOnlyList<DiscoveredPeer>>(
            [new DiscoveredPeer("desk9", "192.0.2.9", 8423, new byte[32], "A lab machine", null)]);
}

/// <summary>An IComputer that forwards to a FakeComputer until <see cref="Die"/> is called; then every call throws PeerDisconnectedException.</summary>
public sealed class DyingComputer(FakeComputer inner) : IComputer, IComputerDisplay
{
    private volatile bool _dead;

    public FakeComputer Inner { get; } = inner;

    public bool Disposed { get; private set; }

    public void Die() => _dead = true;

    public IComputerDisplay Display => this;
    public IComputerInput Input => Check(Inner.Input);
    public IComputerWindows Windows => Check(Inner.Windows);
    public IComputerApps Apps => Check(Inner.Apps);
    public IComputerUI UI => Check(Inner.UI);
    public IComputerClipboard Clipboard => Check(Inner.Clipboard);
    public IComputerFiles Files => Check(Inner.Files);
    public IComputerProcesses Processes => Check(Inner.Processes);
    public IComputerPower Power => Check(Inner.Power);
    public IComputerNotifications Notifications => Check(Inner.Notifications);

    public ValueTask<CapabilityManifest> GetCapabilitiesAsync(CancellationToken cancellationToken) => Check(Inner).GetCapabilitiesAsync(cancellationToken);
    public ValueTask<EnvironmentInfo> GetEnvironmentAsync(CancellationToken cancellationToken) => Check(Inner).GetEnvironmentAsync(cancellationToken);
    public ValueTask<IReadOnlyList<Display>> GetDisplaysAsync(CancellationToken cancellationToken) => Check(Inner.Display).GetDisplaysAsync(cancellationToken);
    /// <summary>Behave like a peer without the capture extensions (MaxWidth/MaxHeight ignored).</summary>
    public bool IgnoreMaxSize { get; set; }

    public ValueTask<Pixmap> CaptureAsync(CaptureOptions options, CancellationToken cancellationToken)
        => Check(Inner.Display).CaptureAsync(IgnoreMaxSize ? options with { MaxWidth = null, MaxHeight = null } : options, cancellationToken);
    public ValueTask<Point> GetCursorPositionAsync(CancellationToken cancellationToken) => Check(Inner.Display).GetCursorPositionAsync(cancellationToken);
    public IAsyncEnumerable<DisplayFrame> SubscribeAsync(DisplayStreamOptions options, CancellationToken cancellationToken) => Check(Inner.Display).SubscribeAsync(options, cancellationToken);

    public ValueTask DisposeAsync()
    {
        Disposed = true;
        return ValueTask.CompletedTask;
    }

    private T Check<T>(T value) => _dead ? throw new PeerDisconnectedException("session evicted by the server") : value;
}

public static class Tools
{
    public static AIFunction Get(IReadOnlyList<AIFunction> catalog, string name) => catalog.Single(t => t.Name == name);

    public static async Task<IList<AIContent>> CallAsync(IReadOnlyList<AIFunction> catalog, string name, object? args = null)
    {
        var arguments = new AIFunctionArguments();
        if (args is not null)
        {
            JsonElement json = JsonSerializer.SerializeToElement(args);
            foreach (JsonProperty p in json.EnumerateObject())
            {
                arguments[p.Name] = p.Value.Clone();
            }
        }

        object? result = await Get(catalog, name).InvokeAsync(arguments, TestContext.Current.CancellationToken);
        return Assert.IsAssignableFrom<IList<AIContent>>(result);
    }

    public static string Text(IList<AIContent> result) => string.Join("\n", result.OfType<TextContent>().Select(t => t.Text));

    public static McpSession Session(IComputer? local = null, IPeerDirectory? peers = null, OpenDeskToolOptions? options = null)
        => new(local ?? new FakeComputer(), peers, options ?? new OpenDeskToolOptions { ProbeWidth = 160 });
}

/// <summary>An IComputer that forwards to a FakeComputer except <c>ui.tree</c>, which throws <see cref="Error"/> (e.g. no window has focus).</summary>
public sealed class NoFocusComputer(FakeComputer inner) : IComputer, IComputerUI
{
    public Exception Error { get; init; } = new NotFoundException("no focused window to read the accessibility tree of");

    public IComputerDisplay Display => inner.Display;
    public IComputerInput Input => inner.Input;
    public IComputerWindows Windows => inner.Windows;
    public IComputerApps Apps => inner.Apps;
    public IComputerUI UI => this;
    public IComputerClipboard Clipboard => inner.Clipboard;
    public IComputerFiles Files => inner.Files;
    public IComputerProcesses Processes => inner.Processes;
    public IComputerPower Power => inner.Power;
    public IComputerNotifications Notifications => inner.Notifications;

    public ValueTask<CapabilityManifest> GetCapabilitiesAsync(CancellationToken cancellationToken) => inner.GetCapabilitiesAsync(cancellationToken);
    public ValueTask<EnvironmentInfo> GetEnvironmentAsync(CancellationToken cancellationToken) => inner.GetEnvironmentAsync(cancellationToken);
    public ValueTask<UIElement> GetTreeAsync(UITreeQuery query, CancellationToken cancellationToken) => throw Error;
    public ValueTask PerformActionAsync(UIElement element, string action, string? app, CancellationToken cancellationToken) => throw Error;
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
