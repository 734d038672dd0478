namespace OpenDesk.Core.Tests;

public sealed class ValueTests
{
    [Fact]
    public void WireNames_RoundTripEveryEnumValue()
    {
        foreach (PixmapFormat v in Enum.GetValues<PixmapFormat>())
        {
            Assert.True(WireNames.TryParse(v.ToWireName(), out PixmapFormat back));
            Assert.Equal(v, back);
        }

        foreach (PointerAction v in Enum.GetValues<PointerAction>())
        {
            Assert.True(WireNames.TryParse(v.ToWireName(), out PointerAction back));
            Assert.Equal(v, back);
        }

        foreach (MouseButton v in Enum.GetValues<MouseButton>())
        {
            Assert.True(WireNames.TryParse(v.ToWireName(), out MouseButton back));
            Assert.Equal(v, back);
        }

        foreach (Modifier v in Enum.GetValues<Modifier>())
        {
            Assert.True(WireNames.TryParse(v.ToWireName(), out Modifier back));
            Assert.Equal(v, back);
        }

        foreach (KeyAction v in Enum.GetValues<KeyAction>())
        {
            Assert.True(WireNames.TryParse(v.ToWireName(), out KeyAction back));
            Assert.Equal(v, back);
        }
    }

    [Theory]
    [InlineData(PixmapFormat.RawRgba, "raw_rgba")]
    [InlineData(PixmapFormat.Jpeg, "jpeg")]
    public void PixmapFormat_WireName_MatchesSpec(PixmapFormat format, string wire) => Assert.Equal(wire, format.ToWireName());

    [Theory]
    [InlineData(Modifier.CapsLock, "caps_lock")]
    [InlineData(Modifier.Meta, "meta")]
    public void Modifier_WireName_MatchesSpec(Modifier modifier, string wire) => Assert.Equal(wire, modifier.ToWireName());

    [Fact]
    public void WireNames_UnknownName_IsRejected()
    {
        Assert.False(WireNames.TryParse("hover", out PointerAction _));
        Assert.False(WireNames.TryParse(null, out MouseButton _));
        Assert.False(WireNames.TryParse("LEFT", out MouseButton _));
    }

    [Fact]
    public void ErrorCodes_RoundTrip_AndFromCodeBuildsTheMatchingException()
    {
        string[] wire = ["capability_unsupported", "permission_denied", "invalid_argument", "not_found", "timeout", "cancelled", "internal", "protocol", "busy"];
        Assert.Equal(wire.Order(), Enum.GetValues<ErrorCode>().Select(c => c.ToWireName()).Order());
        foreach (ErrorCode code in Enum.GetValues<ErrorCode>())
        {
            Assert.True(ErrorCodes.TryParse(code.ToWireName(), out ErrorCode back));
            Assert.Equal(code, back);
            OpenDeskException ex = OpenDeskException.FromCode(code, "m", new Dictionary<string, object?> { ["k"] = 1 });
            Assert.Equal(code, ex.Code);
            Assert.Equal("m", ex.Message);
            Assert.Equal(1, ex.Details["k"]);
        }

        Assert.False(ErrorCodes.TryParse("exploded", out ErrorCode unknown));
        Assert.Equal(ErrorCode.Internal, unknown);
    }

    [Fact]
    public void CapabilityUnsupported_CarriesCapabilityAndBackendDetails()
    {
        var ex = new CapabilityUnsupportedException("ui.tree", "local/linux");
        Assert.Equal("ui.tree", ex.Details["capability"]);
        Assert.Equal("local/linux", ex.Details["backend"]);
        Assert.Contains("ui.tree", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PeerDisconnected_IsATransientProtocolError()
    {
        Assert.Equal(ErrorCode.Protocol, new PeerDisconnectedException("gone").Code);
        Assert.IsAssignableFrom<ProtocolException>(new PeerDisconnectedException("gone"));
    }

    [Fact]
    public void Fingerprint_MatchesProtocolVector()
    {
        byte[] key = Convert.FromHexString("7b4e909bbe7ffe44c465a220037d608ee35897d31ef972f07f74892cb0f73f13");
        Assert.Equal("7b4e:909b:be7f:fe44", PeerFingerprint.Of(key));
        Assert.Equal("peer-7b4e90", PeerFingerprint.DefaultName(key));
        Assert.Throws<ArgumentException>(() => PeerFingerprint.Of(new byte[4]));
    }

    [Fact]
    public void Capability_KnownSet_HasTheThirtyThreeSpecNames()
    {
        Assert.Equal(33, Capability.Known.Count);
        Assert.Equal(33, Capability.Known.Distinct().Count());
        Assert.True(new Capability("display.capture").IsKnown);
        Assert.False(new Capability("display.teleport").IsKnown);
    }

    [Fact]
    public void Manifest_HasAndGetLimit()
    {
        var manifest = new CapabilityManifest(
            [Capability.DisplayCapture],
            new Dictionary<string, IReadOnlyDictionary<string, object?>> { ["display.stream"] = new Dictionary<string, object?> { ["max_fps"] = 30 } });
        Assert.True(manifest.Has(Capability.DisplayCapture));
        Assert.False(manifest.Has(Capability.DisplayStream));
        Assert.Equal(30, manifest.GetLimit(Capability.DisplayStream, "max_fps"));
        Assert.Null(manifest.GetLimit(Capability.DisplayCapture, "max_fps"));
        Assert.Equal("0.1", manifest.ProtocolVersion);
    }

    [Fact]
    public void Rect_Geometry()
    {
        var r = new Rect(10, 20, 100, 50);
        Assert.Equal(new Point(60, 45), r.Center);
        Assert.True(r.Contains(new Point(10, 20)));
        Assert.False(r.Contains(new Point(110, 20)));
        Assert.Equal(new Rect(50, 40, 60, 30), r.Intersect(new Rect(50, 40, 500, 500)));
        Assert.True(r.Intersect(new Rect(500, 500, 10, 10)).IsEmpty);
    }

    [Fact]
    public void Records_WithExpressions_KeepValueEquality()
    {
        var w = new Window("1", "t", "app", 5, new Rect(0, 0, 10, 10));
        Assert.Equal(w, w with { });
        Assert.NotEqual(w, w with { Focused = true });
        Assert.Empty(new ProcessInfo(1, "init").Cmdline);
        var e = new UIElement("button");
        Assert.Empty(e.Children);
        Assert.Empty(e.Actions);
        Assert.Empty(e.Metadata);
        Assert.True(e.Enabled);
    }

    [Fact]
    public void Pixmap_ScaleAndMime()
    {
        var p = new Pixmap([1], PixmapFormat.Jpeg, 960, 540, 1920, 1080, null, DateTimeOffset.UnixEpoch);
        Assert.Equal(0.5, p.ScaleX);
        Assert.Equal(0.5, p.ScaleY);
        Assert.Equal("image/jpeg", p.MimeType);
    }

    [Fact]
    public void Clipboard_TextHelpers()
    {
        ClipboardContents c = ClipboardContents.FromText("héllo");
        Assert.Equal(ClipboardContents.TextMimeType, c.Entries[0].MimeType);
        Assert.Equal("héllo", c.GetText());
        Assert.Null(ClipboardContents.Empty.GetText());
        Assert.Null(new ClipboardContents([new ClipboardEntry("image/png", [1, 2])]).GetText());
    }

    [Fact]
    public void UIElement_DescendantsAndSelf_IsDepthFirstInOrder()
    {
        var tree = new UIElement("frame", "root", Children:
        [
            new UIElement("panel", "a", Children: [new UIElement("button", "a1")]),
            new UIElement("button", "b"),
        ]);
        Assert.Equal(["root", "a", "a1", "b"], tree.DescendantsAndSelf().Select(e => e.Name));
    }

    [Fact]
    public void TrustedPeer_EffectiveDescription_PrefersOverride()
    {
        byte[] key = new byte[32];
        var peer = new TrustedPeer("desk", key, "remote", DateTimeOffset.UnixEpoch, "broadcast");
        Assert.Equal("broadcast", peer.EffectiveDescription);
        Assert.Equal("mine", (peer with { DescriptionOverride = "mine" }).EffectiveDescription);
        Assert.Equal("0000:0000:0000:0000", peer.Fingerprint);
    }
}
