using System.Buffers;
using OpenDesk.Core;

namespace OpenDesk.Remote.Protocol;

/// <summary>
/// The encrypted channel of spec §6: every transport message is ChaCha20-Poly1305(key, nonce, frame) with no
/// associated data; the nonce is a 96-bit big-endian counter per direction starting at 0, never transmitted.
/// Any tag failure closes the connection. Obtained only from a completed <see cref="Handshake"/>.
/// Sends are serialised (nonce order = wire order); at most one receive may be outstanding.
/// </summary>
internal sealed class SecureChannel : IAsyncDisposable
{
    private readonly IMessageTransport _transport;
    private readonly AeadKey _sendKey;
    private readonly AeadKey _receiveKey;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private ulong _sendCounter;
    private ulong _receiveCounter;
    private int _closed;

    internal SecureChannel(IMessageTransport transport, ReadOnlySpan<byte> sendKey, ReadOnlySpan<byte> receiveKey)
    {
        ArgumentNullException.ThrowIfNull(transport);
        _transport = transport;
        _sendKey = new AeadKey(sendKey);
        _receiveKey = new AeadKey(receiveKey);
    }

    /// <summary>The underlying transport.</summary>
    public IMessageTransport Transport => _transport;

    /// <summary>Messages sent so far (the next send nonce).</summary>
    public ulong SendCounter => Volatile.Read(ref _sendCounter);

    /// <summary>Messages received so far (the next receive nonce).</summary>
    public ulong ReceiveCounter => Volatile.Read(ref _receiveCounter);

    /// <summary>True once the channel was closed (by either side, or by an integrity failure).</summary>
    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>Encrypts and sends one message. <paramref name="cancellationToken"/> cancels only the wait for earlier sends.</summary>
    /// <exception cref="IOException">The connection is closed.</exception>
    public async ValueTask SendAsync(ReadOnlyMemory<byte> plaintext, CancellationToken cancellationToken)
    {
        int size = plaintext.Length + ProtocolCrypto.TagSize;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (IsClosed)
                {
                    throw new IOException("the secure channel is closed");
                }

                Encrypt(plaintext.Span, buffer.AsSpan(0, size));

                // The nonce is spent: the message must go out, or the peer sees a gap and closes. The caller's token
                // only bounds the wait for the send lock (cancelling a WebSocket send would also abort the socket).
                await _transport.SendAsync(buffer.AsMemory(0, size), CancellationToken.None).ConfigureAwait(false);
            }
            finally
            {
                _sendLock.Release();
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Receives and decrypts one message; null once the connection is closed.</summary>
    /// <exception cref="ProtocolException">The message failed the integrity check (the connection is now closed), or a transport-level violation.</exception>
    public async ValueTask<byte[]?> ReceiveAsync(CancellationToken cancellationToken)
    {
        if (IsClosed)
        {
            return null;
        }

        byte[]? message;
        try
        {
            message = await _transport.ReceiveAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ProtocolException)
        {
            Volatile.Write(ref _closed, 1);
            throw;
        }

        if (message is null)
        {
            Volatile.Write(ref _closed, 1);
            return null;
        }

        byte[]? plaintext = TryDecrypt(message);
        if (plaintext is null)
        {
            await CloseAsync().ConfigureAwait(false);
            throw new ProtocolException("frame integrity check failed");
        }

        return plaintext;
    }

    /// <summary>Closes the connection (idempotent).</summary>
    public async Task CloseAsync()
    {
        Volatile.Write(ref _closed, 1);
        await _transport.CloseAsync(CancellationToken.None).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await CloseAsync().ConfigureAwait(false);
        await _transport.DisposeAsync().ConfigureAwait(false);
        _sendKey.Dispose();
        _receiveKey.Dispose();
    }

    private void Encrypt(ReadOnlySpan<byte> plaintext, Span<byte> ciphertext)
    {
        Span<byte> nonce = stackalloc byte[ProtocolCrypto.NonceSize];
        ProtocolCrypto.WriteNonce(nonce, _sendCounter);
        _sendKey.Encrypt(nonce, plaintext, ciphertext);
        _sendCounter = checked(_sendCounter + 1);
    }

    private byte[]? TryDecrypt(byte[] message)
    {
        if (message.Length < ProtocolCrypto.TagSize)
        {
            return null;
        }

        Span<byte> nonce = stackalloc byte[ProtocolCrypto.NonceSize];
        ProtocolCrypto.WriteNonce(nonce, _receiveCounter);
        byte[] plaintext = new byte[message.Length - ProtocolCrypto.TagSize];
        if (!_receiveKey.TryDecrypt(nonce, message, plaintext))
        {
            return null;
        }

        _receiveCounter = checked(_receiveCounter + 1);
        return plaintext;
    }
}
