using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using OpenDesk.Core;

namespace OpenDesk.Remote.Discovery;

/// <summary>
/// Browses the LAN for OpenDesk servers (<c>_opendesk._tcp.local</c>) over mDNS on every interface that is up, has
/// an IPv4 address and supports multicast. Entries without a 32-byte <c>pk</c> are dropped (an unrelated Rust crate
/// uses the same service type). The result is a hint: the key is checked in the handshake.
/// </summary>
public static class MdnsBrowser
{
    private static readonly TimeSpan s_firstRequery = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Listens for <paramref name="timeout"/> (queries at once, then after 1 s, 2 s, 4 s, …) and returns every
    /// OpenDesk server seen, sorted by name. <see cref="DiscoveredPeer.PairedAs"/> is always null: the caller
    /// knows the trusted peers.
    /// </summary>
    /// <param name="timeout">How long to listen (the Python default is 2 s).</param>
    /// <param name="cancellationToken">Cancels the browse.</param>
    /// <exception cref="OperationCanceledException">The caller cancelled (carries <paramref name="cancellationToken"/>).</exception>
    public static Task<IReadOnlyList<DiscoveredPeer>> DiscoverAsync(TimeSpan timeout, CancellationToken cancellationToken = default) =>
        BrowseAsync(MdnsInterface.Enumerate(), timeout, stopWhen: null, cancellationToken);

    /// <summary>
    /// Looks for the server with <paramref name="publicKey"/> and returns as soon as it is seen (the <c>connect</c>
    /// fallback when the cached endpoint fails), or null after <paramref name="timeout"/>.
    /// </summary>
    /// <param name="publicKey">The trusted static public key (32 bytes).</param>
    /// <param name="timeout">How long to look at most.</param>
    /// <param name="cancellationToken">Cancels the browse.</param>
    /// <exception cref="OperationCanceledException">The caller cancelled (carries <paramref name="cancellationToken"/>).</exception>
    public static async Task<DiscoveredPeer?> FindAsync(ReadOnlyMemory<byte> publicKey, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        byte[] key = publicKey.ToArray();
        IReadOnlyList<DiscoveredPeer> found = await BrowseAsync(MdnsInterface.Enumerate(), timeout, p => p.PublicKey.AsSpan().SequenceEqual(key), cancellationToken).ConfigureAwait(false);
        return found.FirstOrDefault(p => p.PublicKey.AsSpan().SequenceEqual(key));
    }

    /// <summary>
    /// Looks for the server advertised under the instance name <paramref name="instanceName"/> (compared
    /// case-insensitively, e.g. <c>vm-7b4e90</c>) and returns as soon as it is seen, or null after
    /// <paramref name="timeout"/>. Used by <c>opendesk pair-with NAME CODE</c>: the answer is only a hint, the
    /// pairing code decides which key is trusted.
    /// </summary>
    /// <param name="instanceName">The advertised instance name (the first label of the service instance).</param>
    /// <param name="timeout">How long to look at most.</param>
    /// <param name="cancellationToken">Cancels the browse.</param>
    /// <exception cref="OperationCanceledException">The caller cancelled (carries <paramref name="cancellationToken"/>).</exception>
    public static async Task<DiscoveredPeer?> FindByNameAsync(string instanceName, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(instanceName);
        string wanted = instanceName.Trim();
        bool Matches(DiscoveredPeer p) => string.Equals(p.Name, wanted, StringComparison.OrdinalIgnoreCase);
        IReadOnlyList<DiscoveredPeer> found = await BrowseAsync(MdnsInterface.Enumerate(), timeout, Matches, cancellationToken).ConfigureAwait(false);
        return found.FirstOrDefault(Matches);
    }

    /// <summary>Browses on the given interfaces; stops early when <paramref name="stopWhen"/> matches a complete entry.</summary>
    internal static async Task<IReadOnlyList<DiscoveredPeer>> BrowseAsync(
        IReadOnlyList<MdnsInterface> interfaces,
        TimeSpan timeout,
        Func<DiscoveredPeer, bool>? stopWhen,
        CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(timeout, TimeSpan.Zero);
        cancellationToken.ThrowIfCancellationRequested();
        List<MdnsSocket> sockets = MdnsSocket.OpenAll(interfaces, allowEphemeralPort: true);
        var cache = new MdnsBrowseCache();
        using var done = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        done.CancelAfter(timeout);
        try
        {
            var tasks = new List<Task>(sockets.Count + 1);
            foreach (MdnsSocket socket in sockets)
            {
                tasks.Add(ReceiveLoopAsync(socket, cache, stopWhen, done));
            }

            tasks.Add(QueryLoopAsync(sockets, cache, done.Token));
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        finally
        {
            foreach (MdnsSocket socket in sockets)
            {
                socket.Dispose();
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
        return cache.Results();
    }

    private static async Task QueryLoopAsync(List<MdnsSocket> sockets, MdnsBrowseCache cache, CancellationToken token)
    {
        TimeSpan wait = s_firstRequery;
        try
        {
            while (!token.IsCancellationRequested)
            {
                foreach (MdnsSocket socket in sockets)
                {
                    DnsMessage query;
                    lock (cache)
                    {
                        query = cache.BuildQuery(legacyUnicast: !socket.OnMdnsPort);
                    }

                    await socket.SendMulticastAsync(DnsMessageCodec.Encode(query), token).ConfigureAwait(false);
                }

                await Task.Delay(wait, token).ConfigureAwait(false);
                wait *= 2;
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static async Task ReceiveLoopAsync(MdnsSocket socket, MdnsBrowseCache cache, Func<DiscoveredPeer, bool>? stopWhen, CancellationTokenSource done)
    {
        await Task.Yield();
        CancellationToken token = done.Token;
        while (!token.IsCancellationRequested)
        {
            MdnsDatagram? datagram;
            try
            {
                datagram = await socket.ReceiveAsync(token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            if (datagram is not { } received)
            {
                return;
            }

            if (!DnsMessageCodec.TryDecode(received.Data.Span, out DnsMessage? message) || !message.IsResponse)
            {
                continue;
            }

            bool stop;
            lock (cache)
            {
                cache.Add(message, received.Remote.Address);
                stop = stopWhen is not null && cache.Results().Any(stopWhen);
            }

            if (stop)
            {
                await done.CancelAsync().ConfigureAwait(false);
                return;
            }
        }
    }
}

/// <summary>What a browse has learnt so far: service instances, their SRV and TXT data and host addresses (not thread-safe).</summary>
internal sealed class MdnsBrowseCache
{
    private readonly Dictionary<DnsName, Instance> _instances = [];
    private readonly Dictionary<DnsName, List<IPAddress>> _addresses = [];

    /// <summary>Adds the records of a response that came from <paramref name="source"/>; TTL 0 (goodbye) removes.</summary>
    public void Add(DnsMessage response, IPAddress source)
    {
        foreach (DnsRecord record in response.AllRecords)
        {
            switch (record.Data)
            {
                case PtrRecordData ptr when record.Name.Equals(MdnsNames.ServiceType) && IsInstanceName(ptr.Target):
                    if (record.Ttl == 0)
                    {
                        _instances.Remove(ptr.Target);
                    }
                    else
                    {
                        GetInstance(ptr.Target).Source ??= source;
                    }

                    break;
                case SrvRecordData srv when IsInstanceName(record.Name):
                    if (record.Ttl == 0)
                    {
                        _instances.Remove(record.Name);
                    }
                    else
                    {
                        Instance instance = GetInstance(record.Name);
                        instance.Srv = srv;
                        instance.Source = source;
                    }

                    break;
                case TxtRecordData txt when IsInstanceName(record.Name) && record.Ttl > 0:
                    GetInstance(record.Name).Txt = txt;
                    break;
                case AddressRecordData address:
                    if (!_addresses.TryGetValue(record.Name, out List<IPAddress>? list))
                    {
                        _addresses[record.Name] = list = [];
                    }

                    if (record.Ttl == 0)
                    {
                        list.Remove(address.Address);
                    }
                    else if (!list.Contains(address.Address))
                    {
                        list.Add(address.Address);
                    }

                    break;
                default:
                    break;
            }
        }
    }

    /// <summary>
    /// The next query: PTR for the service type (QM, with the instances already known as known answers), plus SRV
    /// and TXT for instances still missing them and A for hosts without an address.
    /// </summary>
    public DnsMessage BuildQuery(bool legacyUnicast)
    {
        var questions = new List<DnsQuestion> { new(MdnsNames.ServiceType, DnsRecordType.Ptr) };
        var known = new List<DnsRecord>();
        foreach ((DnsName name, Instance instance) in _instances)
        {
            if (instance.Srv is null)
            {
                questions.Add(new DnsQuestion(name, DnsRecordType.Srv));
            }
            else if (!_addresses.TryGetValue(instance.Srv.Target, out List<IPAddress>? list) || list.Count == 0)
            {
                questions.Add(new DnsQuestion(instance.Srv.Target, DnsRecordType.A));
            }

            if (instance.Txt is null)
            {
                questions.Add(new DnsQuestion(name, DnsRecordType.Txt));
            }

            // Only complete instances are suppressed; an answer's TTL is at least half of the 4500 s we claim here.
            if (!legacyUnicast && instance.Srv is not null && instance.Txt is not null)
            {
                known.Add(new DnsRecord(MdnsNames.ServiceType, DnsRecordType.Ptr, false, MdnsServiceProfile.LongTtl / 2, new PtrRecordData(name)));
            }
        }

        DnsMessage query = DnsMessage.Query(questions, known);

        // A legacy-unicast query carries a non-zero id that replies echo (RFC 6762 §6.7).
        return legacyUnicast ? query with { Id = (ushort)Random.Shared.Next(1, ushort.MaxValue) } : query;
    }

    /// <summary>The complete OpenDesk entries (SRV and a TXT with a 32-byte <c>pk</c>), sorted by name.</summary>
    public IReadOnlyList<DiscoveredPeer> Results()
    {
        var results = new List<DiscoveredPeer>();
        foreach ((DnsName name, Instance instance) in _instances)
        {
            if (instance.Srv is null || instance.Txt is null)
            {
                continue;
            }

            Dictionary<string, byte[]> txt = MdnsServiceProfile.ParseTxt(instance.Txt.Strings);
            if (!txt.TryGetValue("pk", out byte[]? publicKey) || publicKey.Length != 32)
            {
                continue;
            }

            string description = txt.TryGetValue("desc", out byte[]? desc) ? Encoding.UTF8.GetString(desc) : "";
            results.Add(new DiscoveredPeer(name.Labels[0], HostOf(instance), instance.Srv.Port, publicKey, description, PairedAs: null));
        }

        results.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return results;
    }

    /// <summary>IPv4 from the A records of the SRV target; else the sender of the SRV; else IPv6; else the target name.</summary>
    private string HostOf(Instance instance)
    {
        Debug.Assert(instance.Srv is not null, "complete instance");
        _addresses.TryGetValue(instance.Srv.Target, out List<IPAddress>? addresses);
        addresses ??= [];
        IPAddress? ipv4 = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)
            ?? (instance.Source?.AddressFamily == AddressFamily.InterNetwork ? instance.Source : null);
        if (ipv4 is not null)
        {
            return ipv4.ToString();
        }

        IPAddress? ipv6 = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetworkV6 && !a.IsIPv6LinkLocal);
        return ipv6?.ToString() ?? instance.Srv.Target.ToString();
    }

    private static bool IsInstanceName(DnsName name) =>
        name.Labels.Count == MdnsNames.ServiceType.Labels.Count + 1 && name.Suffix(1).Equals(MdnsNames.ServiceType);

    private Instance GetInstance(DnsName name)
    {
        if (!_instances.TryGetValue(name, out Instance? instance))
        {
            _instances[name] = instance = new Instance();
        }

        return instance;
    }

    private sealed class Instance
    {
        public SrvRecordData? Srv { get; set; }

        public TxtRecordData? Txt { get; set; }

        public IPAddress? Source { get; set; }
    }
}
