using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OpenDesk.Remote.Trust;

namespace OpenDesk.Remote.Server;

/// <summary>How a server asks before running a controller's calls.</summary>
public enum ApprovalMode
{
    /// <summary>Allow every call (the default; <c>--approve auto</c>).</summary>
    AllowAll,

    /// <summary>
    /// Ask on this machine's terminal before each action call; observation calls are allowed. Without a terminal every
    /// action is denied (<c>--approve console</c>).
    /// </summary>
    Console,
}

/// <summary>Settings of an <see cref="OpenDeskServer"/>.</summary>
public sealed class OpenDeskServerOptions
{
    /// <summary>The home directory (identity, trusted peers, audit, admin socket). Required.</summary>
    public required OpenDeskHome Home { get; init; }

    /// <summary>The address to listen on (default <c>0.0.0.0</c>, all IPv4 interfaces).</summary>
    public string Host { get; init; } = "0.0.0.0";

    /// <summary>The TCP port (default 8423); 0 picks a free port (see <see cref="OpenDeskServer.Port"/>).</summary>
    public int Port { get; init; } = 8423;

    /// <summary>Advertise the server over mDNS (<c>_opendesk._tcp</c>); failures are only reported, never fatal.</summary>
    public bool AdvertiseMdns { get; init; } = true;

    /// <summary>Write the audit log under <c>&lt;home&gt;/audit</c> (default true; <c>--no-audit</c> turns it off).</summary>
    public bool EnableAudit { get; init; } = true;

    /// <summary>Listen on <c>&lt;home&gt;/admin.sock</c> for <c>opendesk sessions</c>/<c>disconnect</c>/<c>unpair</c> (default true).</summary>
    public bool EnableAdmin { get; init; } = true;

    /// <summary>The per-call approval policy (default <see cref="ApprovalMode.AllowAll"/>).</summary>
    public ApprovalMode Approval { get; init; } = ApprovalMode.AllowAll;

    /// <summary>How long a handshake and HELLO may take (default 10 s); a stalled client is dropped after it.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The largest accepted message (default 64 MiB), checked before decoding.</summary>
    public int MaxMessageSize { get; init; } = 64 * 1024 * 1024;

    /// <summary>Wrong pairing codes tolerated before pairing mode closes (default 3).</summary>
    public int MaxPairingAttempts { get; init; } = 3;

    /// <summary>
    /// Receives the server's log (<see cref="ServerLog"/>: sessions opened, closed and rejected as Information; mDNS
    /// problems and policy notices as Warning). Default: none.
    /// </summary>
    public ILogger Logger { get; init; } = NullLogger.Instance;
}

/// <summary>The outcome of <see cref="OpenDeskServer.PairAsync"/>.</summary>
/// <param name="Paired">True when a controller paired.</param>
/// <param name="PeerName">The name the controller was stored under (<c>peer-&lt;6 hex&gt;</c>), when paired.</param>
/// <param name="PeerFingerprint">The controller's fingerprint, when paired.</param>
/// <param name="Message">What happened, for the user.</param>
public sealed record PairingResult(bool Paired, string? PeerName, string? PeerFingerprint, string Message);
