using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using OpenDesk.Core;
using OpenDesk.Remote.Protocol;

namespace OpenDesk.Remote.Peering;

/// <summary>Peer settings.</summary>
internal sealed class PeerOptions
{
    /// <summary>The defaults.</summary>
    public static PeerOptions Default { get; } = new();

    /// <summary>Inbound items buffered per stream before the reader waits (backpressure; spec default 64).</summary>
    public int StreamBufferSize { get; init; } = 64;
}

/// <summary>
/// One side of a protocol-v1 session over a <see cref="SecureChannel"/> (spec §8): HELLO exchange, unary calls with
/// ids from 1, streams (seq, end), cancel, push, and concurrent inbound handlers. One reader loop; sends are
/// serialised by the channel. Stream items go through a bounded buffer per stream: when a consumer falls behind the
/// reader waits (backpressure), which stalls the whole connection, as documented for v1. When the connection drops,
/// every in-flight call fails with <see cref="PeerDisconnectedException"/>.
/// </summary>
internal sealed class Peer : IAsyncDisposable
{
    private readonly SecureChannel _channel;
    private readonly IRequestHandler? _handler;
    private readonly PeerOptions _options;
    private readonly ConcurrentDictionary<long, PendingCall> _pending = new();
    private readonly ConcurrentDictionary<long, CancellationTokenSource> _inbound = new();
    private readonly CancellationTokenSource _shutdown = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _nextId;
    private int _started;
    private int _disposed;
    private volatile Exception? _closeReason;

    /// <summary>Creates a peer; call <see cref="ExchangeHelloAsync"/> and then <see cref="Start"/>.</summary>
    /// <param name="channel">The channel from a completed handshake; the peer owns it.</param>
    /// <param name="handler">Serves inbound requests; null answers every request with <c>capability_unsupported</c>.</param>
    /// <param name="options">Settings, or null for the defaults.</param>
    public Peer(SecureChannel channel, IRequestHandler? handler = null, PeerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(channel);
        _channel = channel;
        _handler = handler;
        _options = options ?? PeerOptions.Default;
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.StreamBufferSize, 1, nameof(options));
    }

    /// <summary>Called (on the reader loop) for every received <c>push</c>. Set it before <see cref="Start"/>; exceptions are ignored.</summary>
    public Action<PushFrame>? PushReceived { get; set; }

    /// <summary>Completes when the reader loop has ended (connection closed or disposed). Never faults.</summary>
    public Task Completion => _completion.Task;

    /// <summary>Why the connection ended (null while open, or after a clean close by the remote).</summary>
    public Exception? CloseReason => _closeReason;

    /// <summary>True once the connection is closed.</summary>
    public bool IsClosed => _completion.Task.IsCompleted || _channel.IsClosed;

    /// <summary>The number of requests sent so far (the last id used).</summary>
    public long LastRequestId => Interlocked.Read(ref _nextId);

    /// <summary>
    /// The simultaneous HELLO exchange (spec §8.1): sends <paramref name="mine"/>, then reads one frame, which must be a
    /// HELLO. A HELLO with <c>error</c> throws <see cref="OpenDeskException.FromCode"/> of it (e.g. <see cref="BusyException"/>).
    /// Call before <see cref="Start"/>.
    /// </summary>
    /// <exception cref="ProtocolException">The first frame is not a HELLO, or it is malformed.</exception>
    /// <exception cref="PeerDisconnectedException">The connection closed first.</exception>
    public async Task<HelloFrame> ExchangeHelloAsync(HelloFrame mine, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(mine);
        if (Volatile.Read(ref _started) != 0)
        {
            throw new InvalidOperationException("ExchangeHelloAsync must be called before Start.");
        }

        await SendFrameAsync(mine, cancellationToken).ConfigureAwait(false);
        byte[]? data = await _channel.ReceiveAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new PeerDisconnectedException("the connection closed during the HELLO exchange");
        if (!FrameCodec.TryDecode(data, out Frame? frame, out string? error))
        {
            await _channel.CloseAsync().ConfigureAwait(false);
            throw new ProtocolException("invalid HELLO: " + error);
        }

        if (frame is not HelloFrame hello)
        {
            await _channel.CloseAsync().ConfigureAwait(false);
            throw new ProtocolException($"expected a HELLO as the first frame, got '{frame.Type}'");
        }

        if (hello.Error is not null)
        {
            throw ErrorMapping.ToException(hello.Error);
        }

        return hello;
    }

    /// <summary>Starts the reader loop (once).</summary>
    public void Start()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException("The peer is already started.");
        }

        _ = Task.Run(ReadLoopAsync);
    }

    /// <summary>A unary call: sends <c>req</c> and waits for its <c>res</c>.</summary>
    /// <returns>The <c>result</c> (a map, or null).</returns>
    /// <exception cref="OpenDeskException">The callee answered with an error (the subclass of its code).</exception>
    /// <exception cref="PeerDisconnectedException">The connection dropped before the answer.</exception>
    /// <exception cref="OperationCanceledException">The caller cancelled (a <c>cancel</c> frame was sent); carries <paramref name="cancellationToken"/>.</exception>
    public async Task<object?> InvokeAsync(string method, IReadOnlyDictionary<string, object?>? parameters, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(method);
        cancellationToken.ThrowIfCancellationRequested();
        long id = Interlocked.Increment(ref _nextId);
        var call = new PendingCall(null);
        RegisterOrThrow(id, call);
        try
        {
            await SendFrameAsync(new RequestFrame(id, method, false, parameters ?? Frame.EmptyMap), cancellationToken).ConfigureAwait(false);
            ResponseFrame response;
            try
            {
                response = await call.Unary!.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                _pending.TryRemove(id, out _);
                await SendCancelQuietlyAsync(id).ConfigureAwait(false);
                throw;
            }

            return response.Error is null ? response.Result : throw ErrorMapping.ToException(response.Error);
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    /// <summary>
    /// A stream call (<c>stream=true</c>): yields each item's <c>result</c> until the final <c>res</c>. Disposing the
    /// enumerator early, or cancelling, sends <c>cancel</c>.
    /// </summary>
    /// <exception cref="OpenDeskException">The stream ended with an error.</exception>
    /// <exception cref="PeerDisconnectedException">The connection dropped before the end.</exception>
    public async IAsyncEnumerable<object?> StreamAsync(string method, IReadOnlyDictionary<string, object?>? parameters, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(method);
        cancellationToken.ThrowIfCancellationRequested();
        long id = Interlocked.Increment(ref _nextId);
        var call = new PendingCall(Channel.CreateBounded<ResponseFrame>(new BoundedChannelOptions(_options.StreamBufferSize)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = true,
        }));
        RegisterOrThrow(id, call);
        bool ended = false;
        try
        {
            await SendFrameAsync(new RequestFrame(id, method, true, parameters ?? Frame.EmptyMap), cancellationToken).ConfigureAwait(false);
            ChannelReader<ResponseFrame> reader = call.Items!.Reader;
            while (true)
            {
                if (!reader.TryRead(out ResponseFrame? frame))
                {
                    if (!await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        ended = true;
                        throw call.Failure ?? new PeerDisconnectedException("the connection closed during the stream");
                    }

                    continue;
                }

                if (frame.End)
                {
                    ended = true;
                    if (frame.Error is not null)
                    {
                        throw ErrorMapping.ToException(frame.Error);
                    }

                    yield break;
                }

                yield return frame.Result;
            }
        }
        finally
        {
            _pending.TryRemove(id, out _);
            call.Abandon();
            if (!ended && !IsClosed)
            {
                await SendCancelQuietlyAsync(id).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Sends a <c>push</c>.</summary>
    /// <exception cref="PeerDisconnectedException">The connection is closed.</exception>
    public Task SendPushAsync(string topic, IReadOnlyDictionary<string, object?>? payload, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(topic);
        return SendFrameAsync(new PushFrame(topic, payload ?? Frame.EmptyMap), cancellationToken);
    }

    /// <summary>Closes the connection, fails in-flight calls, cancels inbound handlers and waits for the reader loop.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // Close first so the transport can finish its close handshake; the reader loop then sees the end.
        await _channel.CloseAsync().ConfigureAwait(false);
        if (Volatile.Read(ref _started) != 0)
        {
            try
            {
                await _completion.Task.WaitAsync(TimeSpan.FromSeconds(3)).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                await _shutdown.CancelAsync().ConfigureAwait(false);
                await _completion.Task.ConfigureAwait(false);
            }

            await _shutdown.CancelAsync().ConfigureAwait(false);
        }
        else
        {
            Shutdown(new PeerDisconnectedException("the peer was disposed"));
        }

        await _channel.DisposeAsync().ConfigureAwait(false);
        _shutdown.Dispose();
    }

    /// <summary>Sends one frame; a closed connection becomes <see cref="PeerDisconnectedException"/>.</summary>
    internal async Task SendFrameAsync(Frame frame, CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>(FrameCodec.EstimateSize(frame));
        FrameCodec.Encode(frame, buffer);
        try
        {
            await _channel.SendAsync(buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            throw new PeerDisconnectedException(_closeReason?.Message ?? "the connection is closed", _closeReason ?? ex);
        }
        catch (ObjectDisposedException ex)
        {
            throw new PeerDisconnectedException("the connection is closed", ex);
        }
    }

    private void RegisterOrThrow(long id, PendingCall call)
    {
        if (IsClosed || Volatile.Read(ref _disposed) != 0)
        {
            throw new PeerDisconnectedException(_closeReason?.Message ?? "the connection is closed", _closeReason);
        }

        _pending[id] = call;
        if (IsClosed)
        {
            _pending.TryRemove(id, out _);
            throw new PeerDisconnectedException(_closeReason?.Message ?? "the connection is closed", _closeReason);
        }
    }

    private async Task SendCancelQuietlyAsync(long id)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await SendFrameAsync(new CancelFrame(id, "cancelled"), timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OpenDeskException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            // The connection is going away; nothing to cancel.
        }
    }

    private async Task ReadLoopAsync()
    {
        Exception? reason = null;
        CancellationToken token = _shutdown.Token;
        try
        {
            while (true)
            {
                byte[]? data = await _channel.ReceiveAsync(token).ConfigureAwait(false);
                if (data is null)
                {
                    break;
                }

                if (!FrameCodec.TryDecode(data, out Frame? frame, out string? error))
                {
                    reason = new ProtocolException("protocol violation: " + error);
                    break;
                }

                switch (frame)
                {
                    case ResponseFrame response:
                        await DeliverAsync(response, token).ConfigureAwait(false);
                        break;
                    case RequestFrame request:
                        StartInbound(request);
                        break;
                    case CancelFrame cancel:
                        if (_inbound.TryGetValue(cancel.Id, out CancellationTokenSource? cts))
                        {
                            try
                            {
                                await cts.CancelAsync().ConfigureAwait(false);
                            }
                            catch (ObjectDisposedException)
                            {
                                // The handler just finished.
                            }
                        }

                        break;
                    case PushFrame push:
                        try
                        {
                            PushReceived?.Invoke(push);
                        }
#pragma warning disable CA1031 // A push callback must not kill the connection.
                        catch (Exception)
#pragma warning restore CA1031
                        {
                        }

                        break;
                    default:
                        // A late HELLO: tolerated and ignored.
                        break;
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            reason = new PeerDisconnectedException("the peer was disposed");
        }
        catch (ProtocolException ex)
        {
            reason = ex;
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            reason = ex;
        }
        finally
        {
            try
            {
                await _channel.CloseAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException)
            {
                // Already closed.
            }

            Shutdown(reason);
        }
    }

    private void Shutdown(Exception? reason)
    {
        _closeReason ??= reason;
        var failure = new PeerDisconnectedException(
            reason is null ? "the connection closed" : "the connection closed: " + reason.Message, reason);
        foreach (long id in _pending.Keys)
        {
            if (_pending.TryRemove(id, out PendingCall? call))
            {
                call.Fail(failure);
            }
        }

        foreach (CancellationTokenSource cts in _inbound.Values)
        {
            try
            {
                cts.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // Finished meanwhile.
            }
        }

        _completion.TrySetResult();
    }

    private async ValueTask DeliverAsync(ResponseFrame response, CancellationToken token)
    {
        if (!_pending.TryGetValue(response.Id, out PendingCall? call))
        {
            return; // Unknown or abandoned call (e.g. items after a cancel): dropped.
        }

        if (call.Unary is { } tcs)
        {
            _pending.TryRemove(response.Id, out _);
            tcs.TrySetResult(response);
            return;
        }

        try
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(token, call.AbandonToken);
            await call.Items!.Writer.WriteAsync(response, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (call.AbandonToken.IsCancellationRequested)
        {
            // The consumer went away.
        }
        catch (ChannelClosedException)
        {
            // Abandoned.
        }

        if (response.End)
        {
            _pending.TryRemove(response.Id, out _);
            call.Items!.Writer.TryComplete();
        }
    }

    private void StartInbound(RequestFrame request)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(_shutdown.Token);
        if (!_inbound.TryAdd(request.Id, cts))
        {
            cts.Dispose();
            _ = SendQuietlyAsync(new ResponseFrame(request.Id, 0, true, null,
                new ErrorInfo(ErrorCode.Protocol.ToWireName(), $"duplicate request id {request.Id}")));
            return;
        }

        _ = Task.Run(() => RunInboundAsync(request, cts));
    }

    private async Task RunInboundAsync(RequestFrame request, CancellationTokenSource cts)
    {
        long seq = 0;
        try
        {
            if (_handler is null)
            {
                throw new CapabilityUnsupportedException(request.Method, "none");
            }

            if (!request.Stream)
            {
                object? result = await _handler.HandleAsync(request.Method, request.Params, cts.Token).ConfigureAwait(false);
                cts.Token.ThrowIfCancellationRequested();
                await SendResponseAsync(new ResponseFrame(request.Id, 0, true, result, null)).ConfigureAwait(false);
            }
            else
            {
                await foreach (object? item in _handler.HandleStreamAsync(request.Method, request.Params, cts.Token).WithCancellation(cts.Token).ConfigureAwait(false))
                {
                    await SendResponseAsync(new ResponseFrame(request.Id, seq, false, item, null)).ConfigureAwait(false);
                    seq++;
                }

                cts.Token.ThrowIfCancellationRequested();
                await SendResponseAsync(new ResponseFrame(request.Id, seq, true, null, null)).ConfigureAwait(false);
            }
        }
        catch (PeerDisconnectedException) when (IsClosed)
        {
            // Nobody to answer.
        }
#pragma warning disable CA1031 // Every handler failure becomes an error response.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            ErrorInfo error = ex is OperationCanceledException && cts.IsCancellationRequested
                ? new ErrorInfo(ErrorCode.Cancelled.ToWireName(), "cancelled")
                : ErrorMapping.FromException(ex);
            await SendQuietlyAsync(new ResponseFrame(request.Id, seq, true, null, error)).ConfigureAwait(false);
        }
        finally
        {
            _inbound.TryRemove(request.Id, out _);
            cts.Dispose();
        }
    }

    private async Task SendResponseAsync(ResponseFrame response)
    {
        try
        {
            await SendFrameAsync(response, _shutdown.Token).ConfigureAwait(false);
        }
        catch (ArgumentException ex)
        {
            // A handler bug (a result with no msgpack form), not the caller's fault.
            throw new InternalErrorException("the result could not be encoded: " + ex.Message, null, ex);
        }
    }

    private async Task SendQuietlyAsync(ResponseFrame response)
    {
        try
        {
            try
            {
                await SendFrameAsync(response, _shutdown.Token).ConfigureAwait(false);
            }
            catch (ArgumentException) when (response.Error is not null)
            {
                // Details that have no msgpack form: send the error without them.
                await SendFrameAsync(response with { Error = response.Error with { Details = Frame.EmptyMap } }, _shutdown.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is OpenDeskException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            // The connection is gone.
        }
    }

#pragma warning disable CA1001 // The abandon source has no timer; it is only cancelled, and read after the consumer left.
    private sealed class PendingCall
#pragma warning restore CA1001
    {
        private readonly CancellationTokenSource? _abandon;

        public PendingCall(Channel<ResponseFrame>? items)
        {
            Items = items;
            if (items is null)
            {
                Unary = new TaskCompletionSource<ResponseFrame>(TaskCreationOptions.RunContinuationsAsynchronously);
            }
            else
            {
                _abandon = new CancellationTokenSource();
            }
        }

        public TaskCompletionSource<ResponseFrame>? Unary { get; }

        public Channel<ResponseFrame>? Items { get; }

        public Exception? Failure { get; private set; }

        public CancellationToken AbandonToken => _abandon?.Token ?? CancellationToken.None;

        public void Fail(Exception failure)
        {
            Failure = failure;
            Unary?.TrySetException(failure);
            Items?.Writer.TryComplete();
        }

        public void Abandon()
        {
            try
            {
                _abandon?.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // Already abandoned.
            }

            Items?.Writer.TryComplete();
        }
    }
}
