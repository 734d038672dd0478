namespace OpenDesk.Remote.Peering;

/// <summary>
/// Serves inbound requests of a <see cref="Peer"/>. Calls run concurrently, each with a token that fires when the
/// caller sends <c>cancel</c> or the connection drops. Exceptions become error responses
/// (see <see cref="Protocol.ErrorMapping.FromException"/>).
/// </summary>
internal interface IRequestHandler
{
    /// <summary>Handles a unary request; the result must be msgpack-ready (a map from ValueCodec, or null).</summary>
    ValueTask<object?> HandleAsync(string method, IReadOnlyDictionary<string, object?> parameters, CancellationToken cancellationToken);

    /// <summary>Handles a stream request (<c>stream=true</c>); each item is sent as one <c>res</c> with <c>end=false</c>.</summary>
    IAsyncEnumerable<object?> HandleStreamAsync(string method, IReadOnlyDictionary<string, object?> parameters, CancellationToken cancellationToken);
}
