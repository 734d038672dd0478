using OpenDesk.Core;
using OpenDesk.Remote.Protocol;
using static OpenDesk.Remote.Tests.Protocol.ProtocolTestKit;

namespace OpenDesk.Remote.Tests.Protocol;

/// <summary>Frame decoding rules: defaults, unknown fields, strict types, and a bounded deterministic fuzz.</summary>
public sealed class FrameCodecTests
{
    private static byte[] Pack(object? value) => MsgPackValue.Encode(value);

    private static Dictionary<string, object?> Map(params (string Key, object? Value)[] entries)
    {
        var map = new Dictionary<string, object?>();
        foreach ((string key, object? value) in entries)
        {
            map[key] = value;
        }

        return map;
    }

    [Theory]
    [InlineData(0x91)] // fixarray of one
    [InlineData(0x81)] // fixmap of one (key "k")
    public void MsgPackValue_NestingBeyondMaxDepth_IsRejected(byte header)
    {
        static byte[] Nested(byte header, int depth)
        {
            var bytes = new List<byte>();
            for (int i = 0; i < depth; i++)
            {
                bytes.Add(header);
                if (header == 0x81)
                {
                    bytes.AddRange([0xa1, (byte)'k']);
                }
            }

            bytes.Add(0xc0); // nil innermost
            return [.. bytes];
        }

        Assert.NotNull(MsgPackValue.Decode(Nested(header, MsgPackValue.MaxDepth)));
        var error = Assert.Throws<MessagePack.MessagePackSerializationException>(() => MsgPackValue.Decode(Nested(header, MsgPackValue.MaxDepth + 1)));
        Assert.Contains("exceeds the maximum depth allowed of 500", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_MinimalFrames_FillsDefaults()
    {
        var hello = Assert.IsType<HelloFrame>(FrameCodec.Decode(Pack(Map(("type", "hello"), ("role", "server")))));
        Assert.Equal("", hello.Principal);
        Assert.Empty(hello.Capabilities);
        Assert.Null(hello.Error);

        var req = Assert.IsType<RequestFrame>(FrameCodec.Decode(Pack(Map(("v", 1), ("type", "req"), ("id", 3), ("method", "m")))));
        Assert.False(req.Stream);
        Assert.Empty(req.Params);

        var res = Assert.IsType<ResponseFrame>(FrameCodec.Decode(Pack(Map(("v", 1), ("type", "res"), ("id", 3)))));
        Assert.Equal(0, res.Seq);
        Assert.True(res.End);
        Assert.Null(res.Result);

        var cancel = Assert.IsType<CancelFrame>(FrameCodec.Decode(Pack(Map(("type", "cancel"), ("id", 9)))));
        Assert.Equal("", cancel.Reason);

        var push = Assert.IsType<PushFrame>(FrameCodec.Decode(Pack(Map(("type", "push"), ("topic", "t"), ("payload", null)))));
        Assert.Empty(push.Payload);
    }

    [Fact]
    public void Decode_ErrorInfoWithDefaults_FillsCodeAndMessage()
    {
        var res = Assert.IsType<ResponseFrame>(FrameCodec.Decode(Pack(Map(("type", "res"), ("id", 1), ("error", Map())))));
        Assert.Equal("internal", res.Error!.Code);
        Assert.Equal("", res.Error.Message);
        Assert.Empty(res.Error.Details);
    }

    [Fact]
    public void Decode_UnknownFieldsEverywhere_AreIgnored()
    {
        byte[] bytes = Pack(Map(("v", 1), ("type", "res"), ("id", 2), ("future", Map(("x", 1))), ("end", false), ("seq", 4),
            ("result", Map(("a", "b"))), ("error", null), ("zzz", new byte[] { 1 })));
        var res = Assert.IsType<ResponseFrame>(FrameCodec.Decode(bytes));
        Assert.Equal(2, res.Id);
        Assert.Equal(4, res.Seq);
        Assert.False(res.End);
        var hello = Assert.IsType<HelloFrame>(FrameCodec.Decode(Pack(Map(("type", "hello"), ("role", "client"), ("error", Map(("code", "busy"), ("hint", "x")))))));
        Assert.Equal("busy", hello.Error!.Code);
    }

    public static TheoryData<string, byte[]> Invalid() => new()
    {
        { "not a map", Pack(new List<object?> { 1, 2 }) },
        { "no type", Pack(Map(("v", 1))) },
        { "unknown type", Pack(Map(("v", 1), ("type", "nope"))) },
        { "v = 2", Pack(Map(("v", 2), ("type", "cancel"), ("id", 1))) },
        { "v is str", Pack(Map(("v", "1"), ("type", "cancel"), ("id", 1))) },
        { "req without id", Pack(Map(("type", "req"), ("method", "m"))) },
        { "req id is str", Pack(Map(("type", "req"), ("id", "1"), ("method", "m"))) },
        { "req method is bin", Pack(Map(("type", "req"), ("id", 1), ("method", new byte[] { 0x6d })) ) },
        { "req stream is int", Pack(Map(("type", "req"), ("id", 1), ("method", "m"), ("stream", 1))) },
        { "req params is array", Pack(Map(("type", "req"), ("id", 1), ("method", "m"), ("params", new List<object?>()))) },
        { "hello without role", Pack(Map(("type", "hello"))) },
        { "res error is str", Pack(Map(("type", "res"), ("id", 1), ("error", "boom"))) },
        { "push without topic", Pack(Map(("type", "push"))) },
        { "cancel id is float", Pack(Map(("type", "cancel"), ("id", 1.0))) },
        { "non-string key", Hex("81 01 02") },
        { "trailing bytes", [.. Pack(Map(("type", "cancel"), ("id", 1))), 0xc0] },
        { "truncated", Pack(Map(("type", "cancel"), ("id", 1)))[..^1] },
        { "empty", [] },
        { "extension type", Hex("d6ff00000000") },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void TryDecode_InvalidFrame_ReturnsFalseWithReasonAndDecodeThrowsProtocol(string what, byte[] bytes)
    {
        Assert.False(FrameCodec.TryDecode(bytes, out _, out string? error), what);
        Assert.False(string.IsNullOrEmpty(error));
        Assert.Throws<ProtocolException>(() => FrameCodec.Decode(bytes));
    }

    [Fact]
    public void Decode_BytesAndText_StayBinAndStr()
    {
        var frame = new ResponseFrame(1, 0, true, new Dictionary<string, object?> { ["b"] = new byte[] { 1, 2 }, ["s"] = "é", ["n"] = -5L, ["f"] = 0.25, ["big"] = ulong.MaxValue, ["l"] = new List<object?> { true, null } }, null);
        var back = Assert.IsType<ResponseFrame>(FrameCodec.Decode(FrameCodec.Encode(frame)));
        var result = Assert.IsType<Dictionary<string, object?>>(back.Result);
        Assert.Equal(new byte[] { 1, 2 }, result["b"]);
        Assert.Equal("é", result["s"]);
        Assert.Equal(-5L, result["n"]);
        Assert.Equal(0.25, result["f"]);
        Assert.Equal(ulong.MaxValue, result["big"]);
        Assert.Equal(new List<object?> { true, null }, result["l"]);
    }

    [Fact]
    public void Encode_UnsupportedValue_ThrowsArgumentException()
    {
        Assert.Throws<ArgumentException>(() => FrameCodec.Encode(new RequestFrame(1, "m", false, new Dictionary<string, object?> { ["x"] = new object() })));
        Assert.Throws<ArgumentException>(() => FrameCodec.Encode(new RequestFrame(1, "m", false, new Dictionary<string, object?> { ["x"] = PixmapFormat.Png })));
    }

    [Fact]
    public void Fuzz_RandomAndMutatedBytes_NeverThrowOrHang()
    {
        var random = new Random(20261123);
        var seeds = GoldenBytesTests.Frames().Select(row => Hex((string)row.Data.Item2)).ToList();
        seeds.Add(HandshakeMessages.EncodePairHello(new byte[32]));
        seeds.Add(HandshakeMessages.EncodeAuthOffer(new byte[32], new byte[18]));
        var started = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < 20_000; i++)
        {
            byte[] input;
            if (i % 3 == 0)
            {
                input = new byte[random.Next(0, 64)];
                random.NextBytes(input);
            }
            else
            {
                byte[] seed = seeds[random.Next(seeds.Count)];
                input = (byte[])seed.Clone();
                int edits = random.Next(1, 4);
                for (int e = 0; e < edits; e++)
                {
                    switch (random.Next(3))
                    {
                        case 0:
                            input[random.Next(input.Length)] = (byte)random.Next(256);
                            break;
                        case 1:
                            input = input[..random.Next(input.Length)];
                            break;
                        default:
                            int at = random.Next(input.Length + 1);
                            input = [.. input[..at], (byte)random.Next(256), .. input[at..]];
                            break;
                    }

                    if (input.Length == 0)
                    {
                        break;
                    }
                }
            }

            FrameCodec.TryDecode(input, out _, out _); // must not throw
            try
            {
                HandshakeMessages.Parse(input, HandshakeMessages.PairHello);
            }
            catch (HandshakeException)
            {
                // the only allowed failure
            }
        }

        Assert.True(started.Elapsed < TimeSpan.FromSeconds(30), $"fuzz took {started.Elapsed}");
    }

    public static TheoryData<string, string> Bombs() => new()
    {
        { "array32 claiming 4G items", "dd ffffffff 00" },
        { "map32 claiming 4G entries", "df ffffffff a1 61" },
        { "bin32 claiming 4 GB", "c6 ffffffff 00" },
        { "str32 claiming 4 GB", "db ffffffff 61" },
        { "ext32 claiming 4 GB", "c9 ffffffff 01" },
        { "res with huge result array", "83 a4 74797065 a3 726573 a2 6964 01 a6 726573756c74 dd 7fffffff" },
    };

    [Theory]
    [MemberData(nameof(Bombs))]
    public void Decode_LengthBombs_FailWithoutAllocatingTheClaimedSize(string what, string hex)
    {
        byte[] input = Hex(hex);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.False(FrameCodec.TryDecode(input, out _, out _), what);
        Assert.Throws<HandshakeException>(() => HandshakeMessages.Parse(input, HandshakeMessages.PairHello));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 1_000_000, $"{what}: allocated {allocated} bytes");
    }

    [Fact]
    public void Decode_DeepNesting_FailsCleanly()
    {
        // {type: "push", topic: "t", payload: {a: [[[[... 5000 deep]]]]}}
        byte[] head = Hex("83 a4 74797065 a4 70757368 a5 746f706963 a1 74 a7 7061796c6f6164 81 a1 61");
        byte[] input = [.. head, .. Enumerable.Repeat((byte)0x91, 5000), 0xc0];
        Assert.False(FrameCodec.TryDecode(input, out _, out string? error));
        Assert.NotNull(error);
    }
}
