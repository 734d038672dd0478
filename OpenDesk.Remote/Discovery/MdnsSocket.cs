using System.Buffers.Binary;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace OpenDesk.Remote.Discovery;

/// <summary>A network interface mDNS runs on: it is up, not loopback, supports multicast and has an IPv4 address.</summary>
/// <param name="Name">The interface name, e.g. <c>eth0</c>.</param>
/// <param name="Index">The IPv4 interface index.</param>
/// <param name="Address">The interface's first IPv4 address.</param>
/// <param name="PrefixLength">The prefix length of <paramref name="Address"/> (24 for a /24).</param>
internal sealed record MdnsInterface(string Name, int Index, IPAddress Address, int PrefixLength = 24)
{
    /// <summary>True when <paramref name="remote"/> is an IPv4 address in this interface's subnet (RFC 6762 §11).</summary>
    public bool IsOnLink(IPAddress remote)
    {
        ArgumentNullException.ThrowIfNull(remote);
        if (remote.IsIPv4MappedToIPv6)
        {
            remote = remote.MapToIPv4();
        }

        if (remote.AddressFamily != AddressFamily.InterNetwork)
        {
            return false;
        }

        uint mask = PrefixLength <= 0 ? 0 : uint.MaxValue << (32 - Math.Min(PrefixLength, 32));
        uint local = BinaryPrimitives.ReadUInt32BigEndian(Address.GetAddressBytes());
        uint other = BinaryPrimitives.ReadUInt32BigEndian(remote.GetAddressBytes());
        return (local & mask) == (other & mask);
    }

    /// <summary>The interfaces usable for mDNS on this machine (in the current network namespace).</summary>
    public static IReadOnlyList<MdnsInterface> Enumerate()
    {
        var result = new List<MdnsInterface>();
        NetworkInterface[] all;
        try
        {
            all = NetworkInterface.GetAllNetworkInterfaces();
        }
        catch (NetworkInformationException)
        {
            return result;
        }

        foreach (NetworkInterface nic in all)
        {
            if (nic.NetworkInterfaceType == NetworkInterfaceType.Loopback
                || !nic.SupportsMulticast
                || nic.OperationalStatus is not (OperationalStatus.Up or OperationalStatus.Unknown)
                || !nic.Supports(NetworkInterfaceComponent.IPv4))
            {
                continue;
            }

            IPInterfaceProperties properties = nic.GetIPProperties();
            UnicastIPAddressInformation? address = properties.UnicastAddresses
                .FirstOrDefault(u => u.Address.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(u.Address));
            if (address is null)
            {
                continue;
            }

            int index = properties.GetIPv4Properties()?.Index ?? 0;
            if (index > 0)
            {
                result.Add(new MdnsInterface(nic.Name, index, address.Address, address.PrefixLength));
            }
        }

        return result;
    }
}

/// <summary>A datagram received on an mDNS socket.</summary>
internal readonly record struct MdnsDatagram(ReadOnlyMemory<byte> Data, IPEndPoint Remote);

/// <summary>
/// One UDP socket on one interface: bound to 0.0.0.0:5353 (ReuseAddress, so avahi or another responder can share
/// the port) or, for a browser that cannot get the port, to an ephemeral port (legacy unicast); member of
/// 224.0.0.251 on that interface; multicast sent out of that interface only, TTL 255, looped back to this host (so
/// <c>opendesk discover</c> sees a server on the same machine; our own packets are harmless). Because Linux
/// delivers a group's datagrams to every member socket, datagrams that arrived on other interfaces are dropped
/// (IP_PKTINFO).
/// </summary>
internal sealed class MdnsSocket : IDisposable
{
    private const int ReceiveBufferBytes = DnsMessageCodec.MaxMessageBytes + 1;

    private readonly Socket _socket;
    private readonly byte[] _buffer = new byte[ReceiveBufferBytes];

    private MdnsSocket(Socket socket, MdnsInterface networkInterface)
    {
        _socket = socket;
        Interface = networkInterface;
    }

    /// <summary>The interface.</summary>
    public MdnsInterface Interface { get; }

    /// <summary>True when bound to port 5353; false for an ephemeral (legacy-unicast) port.</summary>
    public bool OnMdnsPort => ((IPEndPoint)_socket.LocalEndPoint!).Port == MdnsNames.Port;

    /// <summary>Opens a socket on <paramref name="networkInterface"/>.</summary>
    /// <param name="networkInterface">The interface.</param>
    /// <param name="allowEphemeralPort">When port 5353 cannot be bound, bind an ephemeral port instead of failing.</param>
    /// <exception cref="SocketException">The socket cannot be set up.</exception>
    public static MdnsSocket Open(MdnsInterface networkInterface, bool allowEphemeralPort)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.PacketInformation, true);
            try
            {
                socket.Bind(new IPEndPoint(IPAddress.Any, MdnsNames.Port));
            }
            catch (SocketException) when (allowEphemeralPort)
            {
                socket.Bind(new IPEndPoint(IPAddress.Any, 0));
            }

            socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.AddMembership, new MulticastOption(MdnsNames.Group, networkInterface.Address));
            socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastInterface, networkInterface.Address.GetAddressBytes());
            socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastTimeToLive, 255);
            socket.MulticastLoopback = true;
            return new MdnsSocket(socket, networkInterface);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Opens one socket per interface, skipping interfaces whose socket cannot be set up.</summary>
    public static List<MdnsSocket> OpenAll(IReadOnlyList<MdnsInterface> interfaces, bool allowEphemeralPort)
    {
        var sockets = new List<MdnsSocket>(interfaces.Count);
        foreach (MdnsInterface networkInterface in interfaces)
        {
            try
            {
                sockets.Add(Open(networkInterface, allowEphemeralPort));
            }
            catch (SocketException)
            {
                // An interface that vanished or refuses multicast: advertise and browse on the others.
            }
        }

        return sockets;
    }

    /// <summary>Receives the next datagram that arrived on this socket's interface; null when the socket is closed.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <remarks>The returned data is valid until the next call.</remarks>
    public async ValueTask<MdnsDatagram?> ReceiveAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            SocketReceiveMessageFromResult result;
            try
            {
                result = await _socket.ReceiveMessageFromAsync(_buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException) when (!cancellationToken.IsCancellationRequested)
            {
                continue; // e.g. ICMP port unreachable reported on a UDP socket
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                return null; // closed or stopping
            }

            if (result.PacketInformation.Interface != Interface.Index || result.ReceivedBytes >= ReceiveBufferBytes)
            {
                continue;
            }

            return new MdnsDatagram(_buffer.AsMemory(0, result.ReceivedBytes), (IPEndPoint)result.RemoteEndPoint);
        }
    }

    /// <summary>Sends to the group on this interface. Network errors are swallowed: mDNS is best effort.</summary>
    public ValueTask SendMulticastAsync(byte[] message, CancellationToken cancellationToken) => SendToAsync(message, MdnsNames.GroupEndPoint, cancellationToken);

    /// <summary>Sends to one endpoint. Network errors are swallowed: mDNS is best effort.</summary>
    public async ValueTask SendToAsync(byte[] message, IPEndPoint destination, CancellationToken cancellationToken)
    {
        try
        {
            await _socket.SendToAsync(message, SocketFlags.None, destination, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _socket.Dispose();
}
