using System.Buffers;
using System.Net.WebSockets;
using OpenDesk.Core;

namespace OpenDesk.Remote.Protocol;

/// <summary>
/// <see cref="IMessageTransport"/> over a framework <see cref="WebSocket"/> (Kestrel-accepted or
/// <see cref="ClientWebSocket"/>). Binary messages only: a text message closes the connection (code 1000, as the
/// Python original). The size cap is checked while the message arrives, before anything is decoded: a bigger
/// message closes the connection with code 1009. Pings are answered by the framework.
/// </summary>
internal sealed class WebSocketTransport : IMessageTransport
{
    private const int ReceiveChunk = 16 * 1024;
    private static readonly TimeSpan CloseGrace = TimeSpan.FromSeconds(2);

    private readonly WebSocket _socket;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private int _closed;
    private int _receiving;
    private Task _finishClose = Task.CompletedTask;
    private readonly TaskCompletionSource _closeSeen = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Wraps an open WebSocket; the transport owns and disposes it.</summary>
    public WebSocketTransport(WebSocket socket, int maxMessageSize = TransportDefaults.MaxMessageSize)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMessageSize, 1);
        _socket = socket;
        MaxMessageSize = maxMessageSize;
    }

    /// <inheritdoc />
    public int MaxMessageSize { get; }

    /// <summary>The WebSocket close status seen or sent, once closed.</summary>
    public WebSocketCloseStatus? CloseStatus => _socket.CloseStatus;

    /// <summary>
    /// Connects a <see cref="ClientWebSocket"/> to <paramref name="uri"/> (<c>ws://host:port</c>; a <c>#key</c> fragment is
    /// ignored here) with no subprotocol and no compression; the framework sends keep-alive pings every 20 s.
    /// </summary>
    public static async Task<WebSocketTransport> ConnectAsync(Uri uri, CancellationToken cancellationToken, int maxMessageSize = TransportDefaults.MaxMessageSize)
    {
        ArgumentNullException.ThrowIfNull(uri);
        var target = new UriBuilder(uri) { Fragment = string.Empty }.Uri;
        var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = TimeSpan.FromSeconds(20);
        try
        {
            await socket.ConnectAsync(target, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new WebSocketTransport(socket, maxMessageSize);
    }

    /// <inheritdoc />
    public async ValueTask SendAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (Volatile.Read(ref _closed) != 0 || _socket.State != WebSocketState.Open)
            {
                throw new IOException("the WebSocket is closed");
            }

            await _socket.SendAsync(message, WebSocketMessageType.Binary, endOfMessage: true, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException)
        {
            throw new IOException("the WebSocket is closed: " + ex.Message, ex);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask<byte[]?> ReceiveAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _closed) != 0)
        {
            return null;
        }

        byte[] buffer = ArrayPool<byte>.Shared.Rent(ReceiveChunk);
        int length = 0;
        Interlocked.Increment(ref _receiving);
        try
        {
            while (true)
            {
                if (buffer.Length - length < ReceiveChunk / 4)
                {
                    byte[] bigger = ArrayPool<byte>.Shared.Rent(Math.Min(Math.Max(buffer.Length * 2, length + ReceiveChunk), MaxMessageSize + 1));
                    buffer.AsSpan(0, length).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }

                ValueWebSocketReceiveResult result;
                try
                {
                    result = await _socket.ReceiveAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or IOException)
                {
                    _closeSeen.TrySetResult();
                    Volatile.Write(ref _closed, 1);
                    _socket.Abort();
                    return null;
                }

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    _closeSeen.TrySetResult();
                    await CloseCoreAsync(WebSocketCloseStatus.NormalClosure, null, fromReceiver: true).ConfigureAwait(false);
                    return null;
                }

                if (result.MessageType == WebSocketMessageType.Text)
                {
                    await CloseCoreAsync(WebSocketCloseStatus.NormalClosure, "received text frame", fromReceiver: true).ConfigureAwait(false);
                    throw new ProtocolException("received a text WebSocket message; only binary messages are allowed");
                }

                length += result.Count;
                if (length > MaxMessageSize)
                {
                    await CloseCoreAsync(WebSocketCloseStatus.MessageTooBig, "message too big", fromReceiver: true).ConfigureAwait(false);
                    throw new ProtocolException($"message exceeds the cap of {MaxMessageSize} bytes");
                }

                if (result.EndOfMessage)
                {
                    return buffer.AsSpan(0, length).ToArray();
                }
            }
        }
        finally
        {
            Interlocked.Decrement(ref _receiving);
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <inheritdoc />
    public Task CloseAsync(CancellationToken cancellationToken) => CloseCoreAsync(WebSocketCloseStatus.NormalClosure, null);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await CloseCoreAsync(WebSocketCloseStatus.NormalClosure, null).ConfigureAwait(false);
        await _finishClose.ConfigureAwait(false);
        _socket.Dispose();
        _sendLock.Dispose();
    }

    private async Task CloseCoreAsync(WebSocketCloseStatus status, string? description, bool fromReceiver = false)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        try
        {
            using var timeout = new CancellationTokenSource(CloseGrace);
            if (await _sendLock.WaitAsync(CloseGrace).ConfigureAwait(false))
            {
                try
                {
                    if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                    {
                        await _socket.CloseOutputAsync(status, description, timeout.Token).ConfigureAwait(false);
                    }
                }
                finally
                {
                    _sendLock.Release();
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or OperationCanceledException or IOException)
        {
            // Already gone.
        }

        if (_socket.State is WebSocketState.Closed or WebSocketState.Aborted)
        {
            return;
        }

        // Let the close handshake finish without blocking the caller: a pending receive sees the peer's close reply;
        // otherwise drain until it arrives. Either way the socket is aborted after the grace period.
        bool drain = fromReceiver || Volatile.Read(ref _receiving) == 0;
        _finishClose = Task.Run(() => FinishCloseAsync(drain));
    }

    private async Task FinishCloseAsync(bool drain)
    {
        try
        {
            using var timeout = new CancellationTokenSource(CloseGrace);
            if (drain)
            {
                byte[] scratch = new byte[4096];
                while (_socket.State is WebSocketState.CloseSent)
                {
                    ValueWebSocketReceiveResult result = await _socket.ReceiveAsync(scratch.AsMemory(), timeout.Token).ConfigureAwait(false);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        break;
                    }
                }
            }
            else
            {
                // The pending receive sees the peer's close reply.
                await _closeSeen.Task.WaitAsync(timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or OperationCanceledException or IOException)
        {
            // Gone or timed out.
        }
        finally
        {
            if (_socket.State is not (WebSocketState.Closed or WebSocketState.Aborted))
            {
                try
                {
                    _socket.Abort();
                }
                catch (ObjectDisposedException)
                {
                }
            }
        }
    }
}
