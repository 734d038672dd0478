namespace OpenDesk.Remote.Protocol;

/// <summary>A protocol-v1 frame (spec §7): a msgpack map with <c>v</c> and <c>type</c>.</summary>
internal abstract record Frame
{
    private protected Frame()
    {
    }

    /// <summary>The wire <c>type</c>.</summary>
    public abstract string Type { get; }

    /// <summary>Empty map, shared (never mutated).</summary>
    internal static IReadOnlyDictionary<string, object?> EmptyMap { get; } = new Dictionary<string, object?>();
}

/// <summary><c>ErrorInfo = {code, message, details}</c>.</summary>
/// <param name="Code">The wire error code, e.g. <c>not_found</c>.</param>
/// <param name="Message">Human-readable text.</param>
/// <param name="Details">Structured details (never null).</param>
internal sealed record ErrorInfo(string Code, string Message, IReadOnlyDictionary<string, object?> Details)
{
    public ErrorInfo(string code, string message)
        : this(code, message, Frame.EmptyMap)
    {
    }
}

/// <summary><c>hello</c>: sent by both sides right after the handshake (spec §8.1).</summary>
internal sealed record HelloFrame(
    string Role,
    string Principal,
    IReadOnlyDictionary<string, object?> Auth,
    IReadOnlyDictionary<string, object?> Capabilities,
    ErrorInfo? Error) : Frame
{
    public const string ClientRole = "client";
    public const string ServerRole = "server";

    public override string Type => "hello";

    /// <summary>A client HELLO: empty principal, auth and capabilities.</summary>
    public static HelloFrame Client() => new(ClientRole, "", EmptyMap, EmptyMap, null);

    /// <summary>A server HELLO carrying the manifest map (see <see cref="ValueCodec.ToWire(OpenDesk.Core.CapabilityManifest)"/>).</summary>
    public static HelloFrame Server(IReadOnlyDictionary<string, object?> capabilities) => new(ServerRole, "", EmptyMap, capabilities, null);

    /// <summary>A rejecting server HELLO (e.g. <c>busy</c>) with empty capabilities.</summary>
    public static HelloFrame Rejection(ErrorInfo error) => new(ServerRole, "", EmptyMap, EmptyMap, error);
}

/// <summary><c>req</c>: a call (unary, or a stream when <see cref="Stream"/>).</summary>
internal sealed record RequestFrame(long Id, string Method, bool Stream, IReadOnlyDictionary<string, object?> Params) : Frame
{
    public override string Type => "req";
}

/// <summary><c>res</c>: a unary answer, a stream item (<see cref="End"/> false) or a stream end.</summary>
internal sealed record ResponseFrame(long Id, long Seq, bool End, object? Result, ErrorInfo? Error) : Frame
{
    public override string Type => "res";
}

/// <summary><c>cancel</c>: the caller gives up on call <see cref="Id"/>.</summary>
internal sealed record CancelFrame(long Id, string Reason) : Frame
{
    public override string Type => "cancel";
}

/// <summary><c>push</c>: a one-way notification (e.g. <c>session.evicted</c>).</summary>
internal sealed record PushFrame(string Topic, IReadOnlyDictionary<string, object?> Payload) : Frame
{
    /// <summary>The eviction topic (spec §8.5).</summary>
    public const string SessionEvicted = "session.evicted";

    public override string Type => "push";
}
