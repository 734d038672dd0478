using OpenDesk.Remote.Trust;

namespace OpenDesk.Remote.Client;

/// <summary>Settings of <see cref="OpenDeskClient"/> connections.</summary>
public sealed class OpenDeskClientOptions
{
    /// <summary>The home directory (identity and trusted peers); null resolves <c>--home</c>/<c>OPENDESK_HOME</c>/<c>~/.opendesk</c>.</summary>
    public OpenDeskHome? Home { get; init; }

    /// <summary>Timeout of one connection attempt: WebSocket, handshake and HELLO (default 5 s).</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Reconnect after a dropped connection (default true).</summary>
    public bool AutoReconnect { get; init; } = true;

    /// <summary>How long reconnecting may take in total (default 30 s).</summary>
    public TimeSpan ReconnectBudget { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Look trusted peers up on the LAN over mDNS when the cached endpoint fails (default true).</summary>
    public bool UseMdns { get; init; } = true;

    /// <summary>How long an mDNS look-up listens (default 2 s).</summary>
    public TimeSpan MdnsTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The largest accepted message (default 64 MiB).</summary>
    public int MaxMessageSize { get; init; } = 64 * 1024 * 1024;

    internal OpenDeskHome ResolveHome() => Home ?? OpenDeskHome.Resolve();
}
