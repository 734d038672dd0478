using OpenDesk.Remote.Protocol;
using static OpenDesk.Remote.Tests.Protocol.ProtocolTestKit;

namespace OpenDesk.Remote.Tests.Protocol;

/// <summary>
/// Exact bytes per frame type and handshake message. The expected bytes were produced by the independent Python
/// encoder of ../shared/interop/refpeer (msgpack.packb of its frame constructors), and the pair_hello bytes are the
/// ones printed in protocol-v1.md §14.
/// </summary>
public sealed class GoldenBytesTests
{
    private const string EsPub = "7b0d47d93427f8311160781c7c733fd89f88970aef490d8aa0ee19a4cb8a1b14";
    private const string EcPub = "ff2ee45601ec1b67310c7790404585ae697331eee1c1f8cf2419731c1fff3e6b";
    private const string ScPub = "0faa684ed28867b97f4a6a2dee5df8ce974e76b7018e3f22a1c4cf2678570f20";

    public static TheoryData<string, string> Frames() => new()
    {
        { "hello_client", "87a17601a474797065a568656c6c6fa4726f6c65a6636c69656e74a97072696e636970616ca0a46175746880ac6361706162696c697469657380a56572726f72c0" },
        { "hello_busy", "87a17601a474797065a568656c6c6fa4726f6c65a6736572766572a97072696e636970616ca0a46175746880ac6361706162696c697469657380a56572726f7283a4636f6465a462757379a76d657373616765ae7365727665722069732062757379a764657461696c7380" },
        { "req", "86a17601a474797065a3726571a2696401a66d6574686f64af646973706c61792e63617074757265a673747265616dc2a6706172616d7382aa646973706c61795f6964c0a9646f776e7363616c65c3" },
        { "req_stream", "86a17601a474797065a3726571a2696407a66d6574686f64b1646973706c61792e737562736372696265a673747265616dc3a6706172616d7381a36670731e" },
        { "res_result", "87a17601a474797065a3726573a2696401a373657100a3656e64c3a6726573756c7482a178cb3ff8000000000000a179cbc000000000000000a56572726f72c0" },
        { "res_item", "87a17601a474797065a3726573a26964cd012ca373657102a3656e64c2a6726573756c7481a464617461c4030001ffa56572726f72c0" },
        { "res_error", "87a17601a474797065a3726573a2696405a373657100a3656e64c3a6726573756c74c0a56572726f7283a4636f6465a96e6f745f666f756e64a76d657373616765ac6e6f20737563682066696c65a764657461696c7381a470617468a22f78" },
        { "cancel", "84a17601a474797065a663616e63656ca26964ce00011170a6726561736f6ea774696d656f7574" },
        { "push", "84a17601a474797065a470757368a5746f706963af73657373696f6e2e65766963746564a77061796c6f616481a6726561736f6eb061646d696e5f646973636f6e6e656374" },
    };

    internal static Frame Sample(string name) => name switch
    {
        "hello_client" => HelloFrame.Client(),
        "hello_busy" => HelloFrame.Rejection(new ErrorInfo("busy", "server is busy")),
        "req" => new RequestFrame(1, "display.capture", false, new Dictionary<string, object?> { ["display_id"] = null, ["downscale"] = true }),
        "req_stream" => new RequestFrame(7, "display.subscribe", true, new Dictionary<string, object?> { ["fps"] = 30 }),
        "res_result" => new ResponseFrame(1, 0, true, new Dictionary<string, object?> { ["x"] = 1.5, ["y"] = -2.0 }, null),
        "res_item" => new ResponseFrame(300, 2, false, new Dictionary<string, object?> { ["data"] = new byte[] { 0, 1, 255 } }, null),
        "res_error" => new ResponseFrame(5, 0, true, null, new ErrorInfo("not_found", "no such file", new Dictionary<string, object?> { ["path"] = "/x" })),
        "cancel" => new CancelFrame(70000, "timeout"),
        "push" => new PushFrame(PushFrame.SessionEvicted, new Dictionary<string, object?> { ["reason"] = "admin_disconnect" }),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [MemberData(nameof(Frames))]
    public void Encode_EachFrameType_MatchesReferenceBytes(string name, string expectedHex) =>
        Assert.Equal(expectedHex, ToHex(FrameCodec.Encode(Sample(name))));

    [Theory]
    [MemberData(nameof(Frames))]
    public void Decode_ReferenceBytes_ReencodesIdentically(string name, string hex)
    {
        Frame frame = FrameCodec.Decode(Hex(hex));
        Assert.Equal(Sample(name).Type, frame.Type);
        Assert.Equal(hex, ToHex(FrameCodec.Encode(frame)));
    }

    [Fact]
    public void EncodePairHello_SpecLayout_MatchesSection14Bytes() =>
        Assert.Equal(
            "83a17601a46b696e64aa706169725f68656c6c6fa165c420" + EcPub,
            ToHex(HandshakeMessages.EncodePairHello(Hex(EcPub))));

    [Fact]
    public void EncodeHandshakeMessages_VectorValues_MatchReferenceBytes()
    {
        const string ct1 = "aafa8f5d1ce4a28cad6e1b243690afc91ca5e8edc98080322d66ab693744cf77314300d4b1e788b2f62fb495fb96da38";
        const string ct2 = "be13a63f41f15a90a087375edb06a373f8c44a324888c12c2cff3afcdf927f83b68e2115da190f184751ddee630a0549";
        const string ok = "74e6431ba10b88865484ca3b9c6f6ff0a143";
        Assert.Equal("84a17601a46b696e64aa706169725f6f66666572a165c420" + EsPub + "a26374c430" + ct1,
            ToHex(HandshakeMessages.EncodePairOffer(Hex(EsPub), Hex(ct1))));
        Assert.Equal("83a17601a46b696e64ab706169725f66696e697368a26374c430" + ct2,
            ToHex(HandshakeMessages.EncodePairFinish(Hex(ct2))));
        Assert.Equal("84a17601a46b696e64aa617574685f68656c6c6fa165c420" + EcPub + "a173c420" + ScPub,
            ToHex(HandshakeMessages.EncodeAuthHello(Hex(EcPub), Hex(ScPub))));
        Assert.Equal("84a17601a46b696e64aa617574685f6f66666572a165c420" + EsPub + "a26374c412" + ok,
            ToHex(HandshakeMessages.EncodeAuthOffer(Hex(EsPub), Hex(ok))));
        Assert.Equal("84a17601a46b696e64aa617574685f6f66666572a165c420" + EsPub + "a26374c400",
            ToHex(HandshakeMessages.EncodeAuthOffer(Hex(EsPub), [])));
    }
}
