using System.Globalization;
using OpenDesk.Remote.Trust;

namespace OpenDesk.Remote.Server;

/// <summary>A controller session of a running server, as the admin socket reports it.</summary>
/// <param name="Id">The session id (8 hex digits).</param>
/// <param name="PeerName">The controller's name in the server's trusted peers.</param>
/// <param name="PeerPublicKeyHex">The controller's public key (64 hex).</param>
/// <param name="RemoteAddress">Where it connects from (<c>ip:port</c>).</param>
/// <param name="Age">How long it has been connected.</param>
/// <param name="Mode"><c>serve</c>, or <c>pair</c> for the session that paired.</param>
public sealed record ServerSessionInfo(string Id, string PeerName, string PeerPublicKeyHex, string RemoteAddress, TimeSpan Age, string Mode);

/// <summary>
/// Talks to the server running for a home over its admin socket (<c>&lt;home&gt;/admin.sock</c>, 0600; the same
/// 4-byte length + msgpack framing as Python opendesk). Used by <c>opendesk sessions</c>, <c>disconnect</c> and
/// <c>unpair</c>.
/// </summary>
public static class OpenDeskAdmin
{
    /// <summary>The active controller sessions (0 or 1).</summary>
    /// <param name="home">The server's home.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <exception cref="IOException">No server is running for this home.</exception>
    public static async Task<IReadOnlyList<ServerSessionInfo>> ListSessionsAsync(OpenDeskHome home, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(home);
        Dictionary<string, object?> answer = await AdminIpc.RequestAsync(home.AdminSocketPath, new() { ["op"] = "list" }, cancellationToken).ConfigureAwait(false);
        ThrowIfFailed(answer);
        var result = new List<ServerSessionInfo>();
        if (answer.GetValueOrDefault("sessions") is List<object?> sessions)
        {
            foreach (object? item in sessions)
            {
                if (item is Dictionary<string, object?> s)
                {
                    result.Add(new ServerSessionInfo(
                        Text(s, "id"), Text(s, "peer_name"), Text(s, "peer_pubkey_hex"), Text(s, "remote_addr"),
                        TimeSpan.FromSeconds(Number(s.GetValueOrDefault("age_seconds"))), Text(s, "mode")));
                }
            }
        }

        return result;
    }

    /// <summary>Asks the server to evict one session, or every session when <paramref name="sessionId"/> is null.</summary>
    /// <param name="home">The server's home.</param>
    /// <param name="sessionId">A session id, or null for all.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>How many sessions were evicted.</returns>
    /// <exception cref="IOException">No server is running for this home.</exception>
    public static async Task<int> DisconnectAsync(OpenDeskHome home, string? sessionId = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(home);
        Dictionary<string, object?> request = sessionId is null ? new() { ["op"] = "kill_all" } : new() { ["op"] = "kill", ["id"] = sessionId };
        Dictionary<string, object?> answer = await AdminIpc.RequestAsync(home.AdminSocketPath, request, cancellationToken).ConfigureAwait(false);
        return (int)Number(answer.GetValueOrDefault("killed"));
    }

    /// <summary>Evicts every session of the controller with <paramref name="publicKey"/> (after its trust was removed).</summary>
    /// <param name="home">The server's home.</param>
    /// <param name="publicKey">The controller's public key.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>How many sessions were evicted (0 when no server runs).</returns>
    public static async Task<int> DisconnectPeerAsync(OpenDeskHome home, ReadOnlyMemory<byte> publicKey, CancellationToken cancellationToken = default)
    {
        string hex = Convert.ToHexStringLower(publicKey.Span);
        IReadOnlyList<ServerSessionInfo> sessions;
        try
        {
            sessions = await ListSessionsAsync(home, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException)
        {
            return 0;
        }

        int killed = 0;
        foreach (ServerSessionInfo session in sessions.Where(s => string.Equals(s.PeerPublicKeyHex, hex, StringComparison.OrdinalIgnoreCase)))
        {
            killed += await DisconnectAsync(home, session.Id, cancellationToken).ConfigureAwait(false);
        }

        return killed;
    }

    private static void ThrowIfFailed(Dictionary<string, object?> answer)
    {
        if (answer.GetValueOrDefault("ok") is not true)
        {
            throw new IOException("the server refused the admin request: " + (answer.GetValueOrDefault("error") as string ?? "unknown error"));
        }
    }

    private static string Text(Dictionary<string, object?> map, string key)
        => map.GetValueOrDefault(key) is { } v ? Convert.ToString(v, CultureInfo.InvariantCulture) ?? "" : "";

    private static double Number(object? value) => value switch
    {
        double d => d,
        float f => f,
        long l => l,
        int i => i,
        byte b => b,
        sbyte sb => sb,
        short sh => sh,
        ushort us => us,
        uint ui => ui,
        ulong ul => ul,
        _ => 0,
    };
}
