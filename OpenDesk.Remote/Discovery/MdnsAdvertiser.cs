using System.Diagnostics;
using System.Net;

namespace OpenDesk.Remote.Discovery;

/// <summary>What <see cref="MdnsAdvertiser"/> advertises.</summary>
/// <param name="Port">The server's TCP port (1–65535).</param>
/// <param name="PublicKey">The server's static public key (32 bytes), advertised raw in the <c>pk</c> TXT key.</param>
/// <param name="Description">The server description; its first 120 UTF-8 bytes go in the <c>desc</c> TXT key.</param>
public sealed record MdnsAdvertisement(int Port, byte[] PublicKey, string Description = "")
{
    /// <summary>The instance name; default <c>&lt;hostname&gt;-&lt;first 6 hex digits of the key&gt;</c>.</summary>
    public string? InstanceName { get; init; }

    /// <summary>The host label of the SRV target (<c>&lt;label&gt;.local</c>); default the machine's host name.</summary>
    public string? HostLabel { get; init; }
}

/// <summary>
/// Advertises this OpenDesk server on the LAN as <c>_opendesk._tcp.local</c> (mDNS / DNS-SD, RFC 6762/6763) on every
/// interface that is up, has an IPv4 address and supports multicast (never loopback). It probes the instance name,
/// announces twice, answers multicast and legacy-unicast queries, and sends a goodbye (TTL 0) when disposed.
/// Discovery is only a hint: peers check the key in the handshake.
/// </summary>
public sealed class MdnsAdvertiser : IAsyncDisposable
{
    private const int ProbeCount = 3;
    private const int MaxRenames = 16;
    private static readonly TimeSpan s_probeInterval = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan s_announceInterval = TimeSpan.FromSeconds(1);

    private readonly List<MdnsSocket> _sockets;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _loops = [];
    private readonly Lock _lock = new();
    private readonly string _baseName;
    private MdnsServiceProfile _profile;
    private int _renames;
    private bool _announced;
    private bool _conflict;
    private bool _reprobing;
    private Task _secondAnnouncement = Task.CompletedTask;
    private Task _reprobe = Task.CompletedTask;
    private int _disposed;

    private MdnsAdvertiser(MdnsServiceProfile profile, List<MdnsSocket> sockets)
    {
        _profile = profile;
        _baseName = profile.InstanceName;
        _sockets = sockets;
    }

    /// <summary>
    /// The advertised instance name: after any rename forced by a conflict, also one found after the start (then
    /// the advertiser re-probes and announces the new name by itself, RFC 6762 §9).
    /// </summary>
    public string InstanceName => _profile.InstanceName;

    /// <summary>The SRV target, e.g. <c>desk.local</c>.</summary>
    public string HostName => _profile.HostName.ToString();

    /// <summary>
    /// The interfaces advertised on, as <c>name=address</c>; empty when the machine has no usable interface (then
    /// nothing is sent and the advertiser does nothing).
    /// </summary>
    public IReadOnlyList<string> Interfaces => [.. _sockets.Select(s => $"{s.Interface.Name}={s.Interface.Address}")];

    /// <summary>
    /// Opens the sockets, probes the instance name (about 0.75 s; renamed <c>name-2</c>, <c>name-3</c>, … on a
    /// conflict), sends the first announcement and returns; the second announcement follows a second later.
    /// </summary>
    /// <param name="advertisement">What to advertise.</param>
    /// <param name="cancellationToken">Cancels the start (probing).</param>
    /// <returns>The running advertiser; dispose it to send the goodbye and close the sockets.</returns>
    /// <exception cref="ArgumentException">The port, key or names are invalid.</exception>
    /// <exception cref="InvalidOperationException">No free instance name was found after 16 renames.</exception>
    public static Task<MdnsAdvertiser> StartAsync(MdnsAdvertisement advertisement, CancellationToken cancellationToken = default) =>
        StartAsync(advertisement, MdnsInterface.Enumerate(), cancellationToken);

    /// <summary>Starts on the given interfaces (tests).</summary>
    internal static async Task<MdnsAdvertiser> StartAsync(MdnsAdvertisement advertisement, IReadOnlyList<MdnsInterface> interfaces, CancellationToken cancellationToken)
    {
        MdnsServiceProfile profile = CreateProfile(advertisement);
        cancellationToken.ThrowIfCancellationRequested();
        var advertiser = new MdnsAdvertiser(profile, MdnsSocket.OpenAll(interfaces, allowEphemeralPort: false));
        try
        {
            await advertiser.RunStartupAsync(cancellationToken).ConfigureAwait(false);
            return advertiser;
        }
        catch
        {
            await advertiser.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Builds the profile, validating the advertisement.</summary>
    internal static MdnsServiceProfile CreateProfile(MdnsAdvertisement advertisement)
    {
        ArgumentNullException.ThrowIfNull(advertisement);
        ArgumentNullException.ThrowIfNull(advertisement.PublicKey);
        ArgumentOutOfRangeException.ThrowIfLessThan(advertisement.Port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(advertisement.Port, ushort.MaxValue);
        if (advertisement.PublicKey.Length != 32)
        {
            throw new ArgumentException("The public key has 32 bytes.", nameof(advertisement));
        }

        string hostLabel = MdnsServiceProfile.HostLabelFrom(advertisement.HostLabel ?? Environment.MachineName);
        string instance = advertisement.InstanceName ?? MdnsServiceProfile.DefaultInstanceName(hostLabel, advertisement.PublicKey);
        IReadOnlyList<byte[]> txt = MdnsServiceProfile.BuildTxt(advertisement.PublicKey, advertisement.Description ?? "");
        return new MdnsServiceProfile(instance, hostLabel, (ushort)advertisement.Port, txt);
    }

    /// <summary>
    /// Sends the goodbye (TTL 0) on every interface, then closes the sockets. The goodbye withdraws the PTR, SRV
    /// and TXT records, not the host's A record: <c>&lt;host&gt;.local</c> is shared with the machine's own responder
    /// (avahi) and any other advertiser on it, and withdrawing it would make peers forget the host's address.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        Task reprobe;
        bool announced;
        lock (_lock)
        {
            // After the cancel no receive loop starts a re-probe (it checks the token under this lock).
            reprobe = _reprobe;
            announced = _announced;
        }

        await _secondAnnouncement.ConfigureAwait(false);
        await reprobe.ConfigureAwait(false);
        if (announced)
        {
            foreach (MdnsSocket socket in _sockets)
            {
                IReadOnlyList<DnsRecord> goodbye = [.. _profile.AllRecords(socket.Interface.Address).Where(r => r.Type != DnsRecordType.A).Select(r => r.WithTtl(0))];
                await socket.SendMulticastAsync(DnsMessageCodec.Encode(DnsMessage.Response(goodbye)), CancellationToken.None).ConfigureAwait(false);
            }
        }

        foreach (MdnsSocket socket in _sockets)
        {
            socket.Dispose();
        }

        await Task.WhenAll(_loops).ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task RunStartupAsync(CancellationToken cancellationToken)
    {
        if (_sockets.Count == 0)
        {
            return;
        }

        foreach (MdnsSocket socket in _sockets)
        {
            _loops.Add(ReceiveLoopAsync(socket));
        }

        // Nobody can dispose the advertiser before StartAsync returns it, so only the caller's token applies here
        // (and an OperationCanceledException carries it).
        await ProbeUntilUniqueAsync(cancellationToken).ConfigureAwait(false);
        await AnnounceAsync(cancellationToken).ConfigureAwait(false);
        lock (_lock)
        {
            _announced = true;
        }

        _secondAnnouncement = SecondAnnouncementAsync();
    }

    /// <summary>Probes the current name, renaming to <c>base-2</c>, <c>base-3</c>, … while another host holds it.</summary>
    private async Task ProbeUntilUniqueAsync(CancellationToken cancellationToken)
    {
        while (!await ProbeAsync(cancellationToken).ConfigureAwait(false))
        {
            Rename();
        }
    }

    private void Rename()
    {
        if (++_renames > MaxRenames)
        {
            throw new InvalidOperationException($"mDNS: no free instance name after {MaxRenames} renames of '{_baseName}'.");
        }

        string suffix = "-" + (_renames + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        lock (_lock)
        {
            _profile = _profile.WithInstanceName(MdnsServiceProfile.TruncateUtf8(_baseName, DnsName.MaxLabelBytes - suffix.Length) + suffix);
        }
    }

    /// <summary>
    /// RFC 6762 §9: another host announced different data for our name after we announced it. Stop answering,
    /// take the next name, probe it and announce it. Errors end advertising quietly (mDNS is only a hint).
    /// </summary>
    private async Task ReprobeAsync()
    {
        await Task.Yield();
        try
        {
            Rename();
            await ProbeUntilUniqueAsync(_stopping.Token).ConfigureAwait(false);
            await AnnounceAsync(_stopping.Token).ConfigureAwait(false);
            lock (_lock)
            {
                _announced = true;
            }

            await Task.Delay(s_announceInterval, _stopping.Token).ConfigureAwait(false);
            await AnnounceAsync(_stopping.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or InvalidOperationException)
        {
        }
        finally
        {
            lock (_lock)
            {
                _reprobing = false;
            }
        }
    }

    /// <summary>RFC 6762 §8.1: three probes 250 ms apart; false when another host answered for the name or won a tie-break.</summary>
    private async Task<bool> ProbeAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _conflict = false;
        }

        await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(0, 250)), cancellationToken).ConfigureAwait(false);
        for (int i = 0; i < ProbeCount; i++)
        {
            foreach (MdnsSocket socket in _sockets)
            {
                var probe = new DnsMessage(
                    0,
                    0,
                    [new DnsQuestion(_profile.InstanceFullName, DnsRecordType.Any, UnicastResponse: i == 0)],
                    [],
                    [_profile.Srv, _profile.TxtRecord],
                    []);
                await socket.SendMulticastAsync(DnsMessageCodec.Encode(probe), cancellationToken).ConfigureAwait(false);
            }

            await Task.Delay(s_probeInterval, cancellationToken).ConfigureAwait(false);
            lock (_lock)
            {
                if (_conflict)
                {
                    return false;
                }
            }
        }

        return true;
    }

    private async Task AnnounceAsync(CancellationToken cancellationToken)
    {
        foreach (MdnsSocket socket in _sockets)
        {
            byte[] announcement = DnsMessageCodec.Encode(DnsMessage.Response(_profile.AllRecords(socket.Interface.Address)));
            await socket.SendMulticastAsync(announcement, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task SecondAnnouncementAsync()
    {
        try
        {
            await Task.Delay(s_announceInterval, _stopping.Token).ConfigureAwait(false);
            await AnnounceAsync(_stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task ReceiveLoopAsync(MdnsSocket socket)
    {
        await Task.Yield();
        CancellationToken stopping = _stopping.Token;
        byte[]? lastMulticast = null;
        long lastMulticastAt = 0;
        while (!stopping.IsCancellationRequested)
        {
            MdnsDatagram? datagram;
            try
            {
                datagram = await socket.ReceiveAsync(stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            if (datagram is not { } received)
            {
                return;
            }

            if (!DnsMessageCodec.TryDecode(received.Data.Span, out DnsMessage? message))
            {
                continue; // malformed: dropped
            }

            byte[]? reply;
            IPEndPoint? unicastTo;
            bool reprobe;
            lock (_lock)
            {
                (reply, unicastTo, reprobe) = Handle(message, received.Remote, socket.Interface);
                if (reprobe)
                {
                    _reprobe = ReprobeAsync();
                }
            }

            if (reply is not null)
            {
                if (unicastTo is null)
                {
                    // RFC 6762 §6: the same answer is multicast on an interface at most once a second.
                    if (lastMulticast is not null && Stopwatch.GetElapsedTime(lastMulticastAt) < s_announceInterval && lastMulticast.AsSpan().SequenceEqual(reply))
                    {
                        continue;
                    }

                    lastMulticast = reply;
                    lastMulticastAt = Stopwatch.GetTimestamp();
                    await socket.SendMulticastAsync(reply, stopping).ConfigureAwait(false);
                }
                else
                {
                    await socket.SendToAsync(reply, unicastTo, stopping).ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>
    /// Handles one message under the lock; returns a reply, for a unicast reply its destination, and whether a
    /// conflict after the announcement calls for a re-probe.
    /// </summary>
    private (byte[]? Reply, IPEndPoint? UnicastTo, bool Reprobe) Handle(DnsMessage message, IPEndPoint remote, MdnsInterface networkInterface)
    {
        MdnsServiceProfile profile = _profile;
        if (message.IsResponse)
        {
            if (!HasConflictingRecords(message.AllRecords, profile))
            {
                return (null, null, false);
            }

            if (!_announced)
            {
                _conflict = true;
                return (null, null, false);
            }

            if (_reprobing || _stopping.IsCancellationRequested)
            {
                return (null, null, false);
            }

            _announced = false;
            _reprobing = true;
            return (null, null, true);
        }

        if (!_announced)
        {
            // A simultaneous probe for our name (RFC 6762 §8.2): the lexicographically later record set wins.
            if (message.Questions.Any(q => q.Name.Equals(profile.InstanceFullName)) && LosesTieBreak(message.Authorities, profile))
            {
                _conflict = true;
            }

            return (null, null, false);
        }

        // RFC 6762 §11: a unicast reply only goes to a sender on this link (no reflection off-link).
        if (remote.Port != MdnsNames.Port && !networkInterface.IsOnLink(remote.Address))
        {
            return (null, null, false);
        }

        (byte[]? reply, IPEndPoint? unicastTo) = MdnsResponder.Answer(message, remote, profile, networkInterface.Address);
        return (reply, unicastTo, false);
    }

    private static bool HasConflictingRecords(IEnumerable<DnsRecord> records, MdnsServiceProfile profile)
    {
        DnsRecord[] ours = [profile.Srv, profile.TxtRecord];
        return records.Any(r => r.Name.Equals(profile.InstanceFullName) && r.Ttl > 0
            && !ours.Any(o => o.Type == r.Type && o.Data.Equals(r.Data)));
    }

    private static bool LosesTieBreak(IReadOnlyList<DnsRecord> theirs, MdnsServiceProfile profile)
    {
        byte[][] their = [.. theirs.Where(r => r.Name.Equals(profile.InstanceFullName)).Select(TieBreakKey).Order(ByteArrayComparer.Instance)];
        if (their.Length == 0)
        {
            return false;
        }

        byte[][] ours = [.. new[] { profile.Srv, profile.TxtRecord }.Select(TieBreakKey).Order(ByteArrayComparer.Instance)];
        for (int i = 0; i < Math.Min(ours.Length, their.Length); i++)
        {
            int compare = ByteArrayComparer.Instance.Compare(ours[i], their[i]);
            if (compare != 0)
            {
                return compare < 0;
            }
        }

        return ours.Length < their.Length;
    }

    /// <summary>Class, type and uncompressed rdata, the order RFC 6762 §8.2 compares records in.</summary>
    private static byte[] TieBreakKey(DnsRecord record)
    {
        byte[] encoded = DnsMessageCodec.Encode(DnsMessage.Response([record with { Name = DnsName.Root, CacheFlush = false, Ttl = 0 }]));
        int dataStart = 12 + 1 + 10; // header, root name, type/class/ttl/length
        byte[] key = new byte[4 + (encoded.Length - dataStart)];
        key[0] = 0;
        key[1] = 1;
        key[2] = (byte)((ushort)record.Type >> 8);
        key[3] = (byte)record.Type;
        encoded.AsSpan(dataStart).CopyTo(key.AsSpan(4));
        return key;
    }

    private sealed class ByteArrayComparer : IComparer<byte[]>
    {
        public static ByteArrayComparer Instance { get; } = new();

        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }
}
