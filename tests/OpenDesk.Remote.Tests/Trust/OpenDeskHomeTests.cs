using OpenDesk.Remote.Trust;

namespace OpenDesk.Remote.Tests.Trust;

public sealed class OpenDeskHomeTests
{
    [Fact]
    public void LoadOrCreateIdentityKey_Creates32Bytes0600_ThenReloadsSame()
    {
        using var temp = new TempHome();
        byte[] first = temp.Home.LoadOrCreateIdentityKey();
        byte[] second = temp.Home.LoadOrCreateIdentityKey();

        Assert.Equal(32, first.Length);
        Assert.Equal(first, second);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(temp.Home.IdentityKeyPath));
        }
    }

    [Fact]
    public void LoadOrCreateIdentityKey_WrongLength_Throws()
    {
        using var temp = new TempHome();
        temp.Home.EnsureExists();
        File.WriteAllBytes(temp.Home.IdentityKeyPath, new byte[31]);
        Assert.Throws<InvalidDataException>(() => temp.Home.LoadOrCreateIdentityKey());
    }

    [Fact]
    public void Description_WriteReadClear()
    {
        using var temp = new TempHome();
        Assert.Equal("", temp.Home.ReadDescription());
        temp.Home.WriteDescription("  Build box in the lab \n");
        Assert.Equal("Build box in the lab", temp.Home.ReadDescription());
        temp.Home.WriteDescription(null);
        Assert.False(File.Exists(temp.Home.DescriptionPath));
    }

    [Fact]
    public void DefaultPeer_WriteReadClear()
    {
        using var temp = new TempHome();
        Assert.Null(temp.Home.ReadDefaultPeerName());
        temp.Home.WriteDefaultPeerName("desk");
        Assert.Equal("desk\n", File.ReadAllText(temp.Home.DefaultPeerPath));
        Assert.Equal("desk", temp.Home.ReadDefaultPeerName());
        temp.Home.WriteDefaultPeerName(null);
        Assert.Null(temp.Home.ReadDefaultPeerName());
    }

    [Fact]
    public void Resolve_UsesExplicitPathFirst()
    {
        Assert.Equal(Path.GetFullPath("/tmp/x-home"), OpenDeskHome.Resolve("/tmp/x-home").Path);
    }
}
