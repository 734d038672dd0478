using System.Runtime.CompilerServices;

namespace OpenDesk.Remote.Tests.Discovery.Netns;

/// <summary>
/// Two network namespaces created for this test run, joined by a veth pair (dependencies.md §2.3): avahi-daemon
/// (on a private D-Bus system bus, with a private /run/avahi-daemon) runs in namespace A; OpenDesk's code runs in
/// namespace B through the probe helper (<c>ip netns exec B dotnet OpenDesk.Mdns.Probe.dll …</c>). Nothing is sent
/// in the root namespace: the veth ends are created directly inside the namespaces. Everything is torn down
/// (processes killed by PID, namespaces deleted) at the end. Tests skip when the machine cannot do this (no root,
/// no avahi).
/// </summary>
public sealed class NetnsAvahiFixture : IAsyncLifetime
{
    public const string AddressA = "10.253.77.1";
    public const string AddressB = "10.253.77.2";
    private static readonly TimeSpan s_commandTimeout = TimeSpan.FromSeconds(20);

    private readonly string _id = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray().AsSpan(0, 3));
    private readonly List<string> _namespaces = [];
    private string _directory = "";
    private ChildProcess? _dbus;
    private ChildProcess? _avahi;

    public string? SkipReason { get; private set; }

    public string NamespaceA => $"odmdns-{_id}-a";

    public string NamespaceB => $"odmdns-{_id}-b";

    public string InterfaceA => $"odA{_id}";

    /// <summary>The environment avahi clients need (the private system bus).</summary>
    public IReadOnlyDictionary<string, string> AvahiEnvironment { get; private set; } = new Dictionary<string, string>();

    public string ProbeDll { get; private set; } = "";

    public static string DotnetHost =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    public void SkipIfUnavailable()
    {
        if (SkipReason is not null)
        {
            Assert.Skip(SkipReason);
        }
    }

    /// <summary>Runs a command in namespace A (where avahi lives) with the avahi client environment.</summary>
    internal ChildProcess StartInA(params string[] command) =>
        ChildProcess.Start("ip", ["netns", "exec", NamespaceA, .. command], AvahiEnvironment);

    /// <summary>Runs the probe helper in namespace A, next to avahi (port 5353 shared on one host).</summary>
    internal ChildProcess StartProbeInA(params string[] arguments) =>
        ChildProcess.Start("ip", ["netns", "exec", NamespaceA, DotnetHost, ProbeDll, .. arguments], AvahiEnvironment);

    /// <summary>Runs the probe helper in namespace B.</summary>
    internal ChildProcess StartProbeInB(params string[] arguments) =>
        ChildProcess.Start("ip", ["netns", "exec", NamespaceB, DotnetHost, ProbeDll, .. arguments]);

    public async ValueTask InitializeAsync()
    {
        try
        {
            await SetUpAsync();
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    private async Task SetUpAsync()
    {
        if (!OperatingSystem.IsLinux())
        {
            SkipReason = "network namespaces need Linux";
            return;
        }

        string? missing = new[] { "ip", "avahi-daemon", "avahi-browse", "avahi-publish", "dbus-daemon" }.FirstOrDefault(c => FindOnPath(c) is null);
        if (missing is not null)
        {
            SkipReason = $"'{missing}' is not installed (eng/packages.txt: avahi-daemon avahi-utils iproute2 dbus)";
            return;
        }

        (int code, string output) = await ChildProcess.RunAsync("ip", ["netns", "add", NamespaceA], s_commandTimeout);
        if (code != 0)
        {
            SkipReason = $"'ip netns add' failed (needs root / CAP_NET_ADMIN): {output}";
            return;
        }

        _namespaces.Add(NamespaceA);
        Task<string> probe = BuildProbeAsync();
        await Ip("netns", "add", NamespaceB);
        _namespaces.Add(NamespaceB);
        await Ip("link", "add", InterfaceA, "netns", NamespaceA, "type", "veth", "peer", "name", $"odB{_id}", "netns", NamespaceB);
        foreach ((string ns, string dev, string address) in new[] { (NamespaceA, InterfaceA, AddressA), (NamespaceB, $"odB{_id}", AddressB) })
        {
            await Ip("-n", ns, "addr", "add", address + "/24", "dev", dev);
            await Ip("-n", ns, "link", "set", "lo", "up");
            await Ip("-n", ns, "link", "set", dev, "up");
            await Ip("-n", ns, "route", "add", "224.0.0.0/4", "dev", dev);
        }

        _directory = Directory.CreateTempSubdirectory("od-mdns-").FullName;
        _dbus = ChildProcess.Start("dbus-daemon", ["--system", "--nofork", "--nopidfile", "--print-address", $"--address=unix:path={_directory}/bus"]);
        string bus = await _dbus.WaitForLineAsync(l => l.StartsWith("unix:", StringComparison.Ordinal), s_commandTimeout, "the D-Bus address");
        AvahiEnvironment = new Dictionary<string, string> { ["DBUS_SYSTEM_BUS_ADDRESS"] = bus.Trim() };

        string config = Path.Combine(_directory, "avahi.conf");
        await File.WriteAllTextAsync(config, $"""
            [server]
            host-name=opendesk-a
            use-ipv4=yes
            use-ipv6=no
            allow-interfaces={InterfaceA}
            [wide-area]
            enable-wide-area=no
            [publish]
            publish-hinfo=no
            publish-workstation=no
            """);

        // `ip netns exec` gives the command its own mount namespace: a tmpfs there keeps avahi's pid file and
        // socket private, so this daemon never collides with another avahi on the machine.
        _avahi = StartInA("sh", "-c",
            "mkdir -p /run/avahi-daemon && mount -t tmpfs tmpfs /run/avahi-daemon && "
            + $"exec avahi-daemon --no-drop-root --no-chroot --no-rlimits -f '{config}' 2>&1");
        await _avahi.WaitForLineAsync(l => l.Contains("Server startup complete", StringComparison.Ordinal), s_commandTimeout, "avahi-daemon startup");
        ProbeDll = await probe;
    }

    public async ValueTask DisposeAsync()
    {
        if (_avahi is not null)
        {
            await _avahi.DisposeAsync();
            _avahi = null;
        }

        if (_dbus is not null)
        {
            await _dbus.DisposeAsync();
            _dbus = null;
        }

        foreach (string ns in _namespaces)
        {
            await ChildProcess.RunAsync("ip", ["netns", "del", ns], s_commandTimeout);
        }

        _namespaces.Clear();
        if (_directory.Length > 0 && Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private static async Task Ip(params string[] arguments)
    {
        (int code, string output) = await ChildProcess.RunAsync("ip", arguments, s_commandTimeout);
        if (code != 0)
        {
            throw new InvalidOperationException($"ip {string.Join(' ', arguments)} failed: {output}");
        }
    }

    private static string? FindOnPath(string command) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Append("/usr/sbin").Append("/sbin")
            .Select(dir => Path.Combine(dir, command)).FirstOrDefault(File.Exists);

    /// <summary>
    /// The probe helper's dll. A solution build (eng/test.sh) has built it next to this test project; a build of
    /// only this test project has not, so it is built here into the same artifacts folder: only the probe itself
    /// (<c>--no-dependencies</c>: Core and Remote were just built for this test project), and without build
    /// servers, so no MSBuild or compiler server outlives the test run.
    /// </summary>
    private static async Task<string> BuildProbeAsync()
    {
        if (Environment.GetEnvironmentVariable("OPENDESK_MDNS_PROBE") is { Length: > 0 } configured)
        {
            return configured;
        }

        // <artifacts>/bin/OpenDesk.Remote.Tests/<configuration>/
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
        string configuration = output.Name;
        string artifacts = output.Parent!.Parent!.Parent!.FullName;
        string dll = Path.Combine(artifacts, "bin", "OpenDesk.Mdns.Probe", configuration, "OpenDesk.Mdns.Probe.dll");
        string remote = Path.Combine(AppContext.BaseDirectory, "OpenDesk.Remote.dll");
        if (File.Exists(dll) && File.GetLastWriteTimeUtc(dll) >= File.GetLastWriteTimeUtc(remote))
        {
            return dll; // built with the solution, and not older than the code under test
        }

        string? project = FindProbeProject();
        if (project is null)
        {
            return File.Exists(dll) ? dll : throw new FileNotFoundException("OpenDesk.Mdns.Probe is neither built nor found in the source tree.", dll);
        }

        string config = string.Equals(configuration, "release", StringComparison.OrdinalIgnoreCase) ? "Release" : "Debug";
        (int code, string log) = await ChildProcess.RunAsync(
            DotnetHost,
            ["build", project, "-c", config, $"-p:ArtifactsPath={artifacts}", "--no-dependencies", "--disable-build-servers", "-nologo", "-v:q", "-clp:ErrorsOnly"],
            TimeSpan.FromMinutes(3));
        return code == 0 && File.Exists(dll) ? dll : throw new InvalidOperationException($"Building the probe failed:\n{log}");
    }

    private static string? FindProbeProject([CallerFilePath] string thisFile = "")
    {
        foreach (string? start in new[] { Path.GetDirectoryName(thisFile), Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (DirectoryInfo? dir = start is null ? null : new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "tests", "OpenDesk.Mdns.Probe", "OpenDesk.Mdns.Probe.csproj");
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }
}

[CollectionDefinition(Name)]
public sealed class NetnsAvahiCollection : ICollectionFixture<NetnsAvahiFixture>
{
    public const string Name = "netns avahi";
}
