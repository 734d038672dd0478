namespace OpenDesk.Remote.Protocol;

/// <summary>
/// A message-oriented, ordered, reliable transport: one protocol message = one transport message (spec §1).
/// Sends may be called concurrently (implementations serialise them); at most one receive is outstanding.
/// Cancelling a send or a receive may close the transport (WebSocket semantics): pass a token only where giving up
/// means giving up the connection (handshakes, shutdown). <see cref="SecureChannel"/> never cancels a started send.
/// </summary>
internal interface IMessageTransport : IAsyncDisposable
{
    /// <summary>The largest message <see cref="ReceiveAsync"/> accepts; bigger ones close the transport.</summary>
    int MaxMessageSize { get; }

    /// <summary>Sends one message.</summary>
    /// <exception cref="IOException">The transport is closed.</exception>
    ValueTask SendAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken);

    /// <summary>Receives one whole message, or null once the transport is closed.</summary>
    /// <exception cref="OpenDesk.Core.ProtocolException">A protocol violation at transport level (text message, message over the cap); the transport is closed.</exception>
    ValueTask<byte[]?> ReceiveAsync(CancellationToken cancellationToken);

    /// <summary>Closes the transport (idempotent). Pending and later receives return null.</summary>
    Task CloseAsync(CancellationToken cancellationToken);
}

/// <summary>Transport defaults.</summary>
internal static class TransportDefaults
{
    /// <summary>The default message size cap: 64 MiB.</summary>
    public const int MaxMessageSize = 64 * 1024 * 1024;
}
