using System.Threading.Channels;
using OpenDesk.Core;

namespace OpenDesk.Remote.Protocol;

/// <summary>An in-process transport; <see cref="CreatePair"/> gives two connected ends. For tests and local wiring.</summary>
internal sealed class InMemoryTransport : IMessageTransport
{
    private readonly Channel<byte[]> _incoming;
    private readonly Channel<byte[]> _outgoing;
    private int _closed;

    private InMemoryTransport(Channel<byte[]> incoming, Channel<byte[]> outgoing, int maxMessageSize)
    {
        _incoming = incoming;
        _outgoing = outgoing;
        MaxMessageSize = maxMessageSize;
    }

    /// <inheritdoc />
    public int MaxMessageSize { get; }

    /// <summary>True once this end was closed (by itself).</summary>
    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>Two connected ends.</summary>
    public static (InMemoryTransport A, InMemoryTransport B) CreatePair(int maxMessageSize = TransportDefaults.MaxMessageSize)
    {
        var ab = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
        var ba = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
        return (new InMemoryTransport(ba, ab, maxMessageSize), new InMemoryTransport(ab, ba, maxMessageSize));
    }

    /// <inheritdoc />
    public ValueTask SendAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (IsClosed || !_outgoing.Writer.TryWrite(message.ToArray()))
        {
            throw new IOException("the transport is closed");
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public async ValueTask<byte[]?> ReceiveAsync(CancellationToken cancellationToken)
    {
        while (await _incoming.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (_incoming.Reader.TryRead(out byte[]? message))
            {
                if (message.Length > MaxMessageSize)
                {
                    await CloseAsync(CancellationToken.None).ConfigureAwait(false);
                    throw new ProtocolException($"message of {message.Length} bytes exceeds the cap of {MaxMessageSize} bytes");
                }

                return message;
            }
        }

        return null;
    }

    /// <inheritdoc />
    public Task CloseAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _closed, 1) == 0)
        {
            _outgoing.Writer.TryComplete();
            _incoming.Writer.TryComplete();
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => new(CloseAsync(CancellationToken.None));
}
