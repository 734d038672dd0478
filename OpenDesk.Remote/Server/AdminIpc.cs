using System.Buffers.Binary;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using MessagePack;
using OpenDesk.Remote.Protocol;

namespace OpenDesk.Remote.Server;

/// <summary>
/// Framing of the admin IPC, compatible with Python opendesk and refpeer: one request and one response per
/// connection, each a 4-byte big-endian length followed by a msgpack map. Requests: <c>{op:"list"}</c>,
/// <c>{op:"kill", id}</c>, <c>{op:"kill_all"}</c>. Responses: <c>{ok, sessions:[…]}</c>, <c>{ok, killed}</c> or
/// <c>{ok:false, error}</c>.
/// </summary>
internal static class AdminIpc
{
    public const int MaxMessageBytes = 1 << 20;

    public static async Task WriteAsync(Stream stream, Dictionary<string, object?> message, CancellationToken cancellationToken)
    {
        byte[] body = MsgPackValue.Encode(message);
        byte[] frame = new byte[4 + body.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)body.Length);
        body.CopyTo(frame, 4);
        await stream.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    public static async Task<Dictionary<string, object?>?> ReadAsync(Stream stream, CancellationToken cancellationToken)
    {
        byte[] header = new byte[4];
        if (!await ReadExactlyOrEndAsync(stream, header, cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        uint length = BinaryPrimitives.ReadUInt32BigEndian(header);
        if (length > MaxMessageBytes)
        {
            throw new InvalidDataException($"admin message of {length} bytes is too large");
        }

        byte[] body = new byte[length];
        if (!await ReadExactlyOrEndAsync(stream, body, cancellationToken).ConfigureAwait(false))
        {
            throw new InvalidDataException("admin message truncated");
        }

        // The protocol's own msgpack codec (string-keyed maps, untrusted-data depth limit); throws
        // MessagePackSerializationException on malformed bytes.
        return MsgPackValue.Decode(body) as Dictionary<string, object?> ?? throw new InvalidDataException("admin message is not a map");
    }

    private static async Task<bool> ReadExactlyOrEndAsync(Stream stream, byte[] buffer, CancellationToken cancellationToken)
    {
        int read = 0;
        while (read < buffer.Length)
        {
            int n = await stream.ReadAsync(buffer.AsMemory(read), cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                return false;
            }

            read += n;
        }

        return true;
    }

    /// <summary>Sends one request to the server listening on <paramref name="socketPath"/> and returns its answer.</summary>
    /// <exception cref="IOException">No server is listening.</exception>
    public static async Task<Dictionary<string, object?>> RequestAsync(string socketPath, Dictionary<string, object?> request, CancellationToken cancellationToken)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException ex)
        {
            throw new IOException($"no OpenDesk server is running for this home (cannot connect to {socketPath}: {ex.SocketErrorCode})", ex);
        }

        var stream = new NetworkStream(socket, ownsSocket: false);
        await using ConfiguredAsyncDisposable streamScope = stream.ConfigureAwait(false);
        await WriteAsync(stream, request, cancellationToken).ConfigureAwait(false);
        return await ReadAsync(stream, cancellationToken).ConfigureAwait(false)
            ?? throw new IOException("the OpenDesk server closed the admin connection without an answer");
    }
}

/// <summary>What the admin IPC can do to a running server.</summary>
internal interface IAdminTarget
{
    IReadOnlyList<Dictionary<string, object?>> ListSessions();

    Task<int> KillAsync(string? sessionId, string reason);
}

/// <summary>The admin socket server: <c>&lt;home&gt;/admin.sock</c> (0600), local only.</summary>
internal sealed partial class AdminServer : IAsyncDisposable
{
    private readonly string _socketPath;
    private readonly IAdminTarget _target;
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;

    private AdminServer(string socketPath, IAdminTarget target, Socket listener)
    {
        _socketPath = socketPath;
        _target = target;
        _listener = listener;
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    public string SocketPath => _socketPath;

    /// <summary>Binds the socket. A stale socket file (nobody answering) is replaced; a live one is an error.</summary>
    /// <exception cref="IOException">Another server already answers on this socket.</exception>
    public static AdminServer Start(string socketPath, IAdminTarget target)
    {
        if (File.Exists(socketPath))
        {
            using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                probe.Connect(new UnixDomainSocketEndPoint(socketPath));
                throw new IOException($"another OpenDesk server is already running for this home ({socketPath} answers)");
            }
            catch (SocketException)
            {
                File.Delete(socketPath);
            }
        }

        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(socketPath));
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(socketPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            listener.Listen(8);
        }
        catch
        {
            listener.Dispose();
            throw;
        }

        return new AdminServer(socketPath, target, listener);
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (SocketException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }

            _ = Task.Run(() => HandleAsync(client));
        }
    }

    private async Task HandleAsync(Socket client)
    {
        using (client)
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token))
        {
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            var stream = new NetworkStream(client, ownsSocket: false);
            await using ConfiguredAsyncDisposable streamScope = stream.ConfigureAwait(false);
            try
            {
                Dictionary<string, object?>? request = await AdminIpc.ReadAsync(stream, timeout.Token).ConfigureAwait(false);
                if (request is null)
                {
                    return;
                }

                Dictionary<string, object?> response = await AnswerAsync(request).ConfigureAwait(false);
                await AdminIpc.WriteAsync(stream, response, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or InvalidDataException or OperationCanceledException or MessagePackSerializationException or SocketException)
            {
                // A broken admin client only loses its own answer.
            }
        }
    }

    internal async Task<Dictionary<string, object?>> AnswerAsync(Dictionary<string, object?> request)
    {
        string? op = request.GetValueOrDefault("op") as string;
        switch (op)
        {
            case "list":
                return new() { ["ok"] = true, ["sessions"] = _target.ListSessions().Cast<object?>().ToList() };
            case "kill":
                if (request.GetValueOrDefault("id") is not string id)
                {
                    return new() { ["ok"] = false, ["error"] = "kill needs an id" };
                }

                int killed = await _target.KillAsync(id, "admin_disconnect").ConfigureAwait(false);
                return killed > 0
                    ? new() { ["ok"] = true, ["killed"] = killed }
                    : new() { ["ok"] = false, ["killed"] = 0, ["error"] = $"no session with id {id}" };
            case "kill_all":
                return new() { ["ok"] = true, ["killed"] = await _target.KillAsync(null, "admin_disconnect").ConfigureAwait(false) };
            default:
                return new() { ["ok"] = false, ["error"] = $"unknown op: {op ?? "(none)"}" };
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        try
        {
            await _acceptLoop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        try
        {
            File.Delete(_socketPath);
        }
        catch (IOException)
        {
        }

        _stop.Dispose();
    }
}
