using System.Text.Json;
using OpenDesk.Core;
using OpenDesk.Remote.Trust;

namespace OpenDesk.Remote.Tests.Trust;

public sealed class TrustStoreTests
{
    private static readonly byte[] s_keyA = Convert.FromHexString("7b4e909bbe7ffe44c465a220037d608ee35897d31ef972f07f74892cb0f73f13");
    private static readonly byte[] s_keyB = Convert.FromHexString("0faa684ed28867b97f4a6a2dee5df8ce974e76b7018e3f22a1c4cf2678570f20");

    [Fact]
    public void Add_WritesPythonCompatibleJson_SortedKeys_Mode0600()
    {
        using var temp = new TempHome();
        var store = new TrustStore(temp.Home);
        string name = store.Add(s_keyA, "peer-7b4e90", TrustStore.ControllerRole);

        Assert.Equal("peer-7b4e90", name);
        string json = File.ReadAllText(temp.Home.TrustedPeersPath);
        using JsonDocument doc = JsonDocument.Parse(json);
        JsonElement entry = Assert.Single(doc.RootElement.EnumerateArray().ToList());
        string[] keys = [.. entry.EnumerateObject().Select(p => p.Name)];
        Assert.Equal(["description", "description_override", "last_host", "last_port", "name", "paired_at", "public_key", "role"], keys);
        Assert.Equal("7b4e909bbe7ffe44c465a220037d608ee35897d31ef972f07f74892cb0f73f13", entry.GetProperty("public_key").GetString());
        Assert.Equal(JsonValueKind.Number, entry.GetProperty("paired_at").ValueKind);
        Assert.Contains("\n  {\n    \"description\": \"\",", json.Replace("\r\n", "\n", StringComparison.Ordinal), StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(temp.Home.TrustedPeersPath));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(temp.Home.Path));
        }
    }

    [Fact]
    public void Read_PythonFileWithoutRole_AndUnknownKeys_KeepsThemOnRewrite()
    {
        using var temp = new TempHome();
        temp.Home.EnsureExists();
        File.WriteAllText(temp.Home.TrustedPeersPath, """
            [
              {
                "description": "the desk",
                "description_override": "",
                "last_host": "192.168.1.20",
                "last_port": 8423,
                "name": "desk",
                "paired_at": 1700000000.25,
                "public_key": "7b4e909bbe7ffe44c465a220037d608ee35897d31ef972f07f74892cb0f73f13",
                "rendezvous_url": "relay://x"
              }
            ]
            """);
        var store = new TrustStore(temp.Home);

        TrustedPeer peer = Assert.Single(store.GetAll());
        Assert.Equal("desk", peer.Name);
        Assert.Equal("", peer.Role);
        Assert.Equal("192.168.1.20", peer.LastHost);
        Assert.Equal(8423, peer.LastPort);
        Assert.Equal("the desk", peer.EffectiveDescription);
        Assert.True(store.IsTrustedController(s_keyA), "an entry without role is accepted as a controller");
        Assert.Single(store.GetByRole(TrustStore.RemoteRole));

        store.SetDescriptionOverride("desk", "mine");
        Assert.Contains("rendezvous_url", File.ReadAllText(temp.Home.TrustedPeersPath), StringComparison.Ordinal);
        Assert.Equal("mine", store.Find("desk")!.EffectiveDescription);
    }

    [Fact]
    public void Roles_RemoteEntryIsNotAController()
    {
        using var temp = new TempHome();
        var store = new TrustStore(temp.Home);
        store.Add(s_keyA, "laptop", TrustStore.RemoteRole);
        store.Add(s_keyB, "peer-0faa68", TrustStore.ControllerRole);

        Assert.False(store.IsTrustedController(s_keyA));
        Assert.True(store.IsTrustedController(s_keyB));
        Assert.Equal(["laptop"], store.GetByRole(TrustStore.RemoteRole).Select(p => p.Name));
    }

    [Fact]
    public void Add_SameKeyTwice_UpdatesInPlace_NameClashGetsSuffix()
    {
        using var temp = new TempHome();
        var store = new TrustStore(temp.Home);
        store.Add(s_keyA, "desk", TrustStore.RemoteRole, "10.0.0.1", 8423);
        store.Add(s_keyA, "desk", TrustStore.RemoteRole);
        string second = store.Add(s_keyB, "desk", TrustStore.RemoteRole);

        Assert.Equal("desk-2", second);
        Assert.Equal(2, store.GetAll().Count);
        Assert.Equal("10.0.0.1", store.Find("desk")!.LastHost);
    }

    [Fact]
    public void Remove_ByNameOrHex_AndRename_DropsEndpoint()
    {
        using var temp = new TempHome();
        var store = new TrustStore(temp.Home);
        store.Add(s_keyA, "desk", TrustStore.RemoteRole, "10.0.0.1", 8423);
        store.Add(s_keyB, "other", TrustStore.RemoteRole);

        store.Rename("desk", "office");
        TrustedPeer renamed = store.Find("office")!;
        Assert.Null(renamed.LastHost);
        Assert.Throws<InvalidArgumentException>(() => store.Rename("office", "other"));
        Assert.Throws<NotFoundException>(() => store.Rename("nope", "x"));

        Assert.NotNull(store.Remove(Convert.ToHexStringLower(s_keyB)));
        Assert.Null(store.Remove("other"));
        Assert.Equal(["office"], store.GetAll().Select(p => p.Name));
    }

    [Fact]
    public void RecordConnection_CachesEndpointAndDescription()
    {
        using var temp = new TempHome();
        var store = new TrustStore(temp.Home);
        store.Add(s_keyA, "desk", TrustStore.RemoteRole);
        store.RecordConnection(s_keyA, "127.0.0.1", 9000, "Build box");

        TrustedPeer peer = store.Find("desk")!;
        Assert.Equal(("127.0.0.1", 9000, "Build box"), (peer.LastHost, peer.LastPort, peer.Description));
    }

    [Fact]
    public void GetAll_CorruptFile_ThrowsInvalidData_AndMissingFileIsEmpty()
    {
        using var temp = new TempHome();
        var store = new TrustStore(temp.Home);
        Assert.Empty(store.GetAll());
        temp.Home.EnsureExists();
        File.WriteAllText(temp.Home.TrustedPeersPath, "[{\"name\": ");
        Assert.Throws<InvalidDataException>(() => store.GetAll());
    }

    [Fact]
    public async Task ConcurrentWriters_LoseNoEntry_AndNoTempFilesRemain()
    {
        using var temp = new TempHome();
        var keys = Enumerable.Range(1, 20).Select(i => Enumerable.Repeat((byte)i, 32).ToArray()).ToList();
        await Task.WhenAll(keys.Select(k => Task.Run(() => new TrustStore(temp.Home).Add(k, PeerFingerprint.DefaultName(k), TrustStore.ControllerRole))));

        Assert.Equal(20, new TrustStore(temp.Home).GetAll().Count);
        Assert.DoesNotContain(Directory.GetFiles(temp.Home.Path), f => f.EndsWith(".tmp", StringComparison.Ordinal));
    }
}
