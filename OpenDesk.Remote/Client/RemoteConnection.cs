using OpenDesk.Core;
using OpenDesk.Remote.Peering;

namespace OpenDesk.Remote.Client;

/// <summary>One authenticated, started session with a server: the peer and the manifest from its HELLO.</summary>
internal sealed class RemoteConnection(Peer peer, CapabilityManifest manifest, string host, int port) : IAsyncDisposable
{
    public Peer Peer { get; } = peer;

    public CapabilityManifest Manifest { get; } = manifest;

    public string Host { get; } = host;

    public int Port { get; } = port;

    public ValueTask DisposeAsync() => Peer.DisposeAsync();
}
