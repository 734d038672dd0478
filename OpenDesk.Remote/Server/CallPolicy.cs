using OpenDesk.Core;

namespace OpenDesk.Remote.Server;

/// <summary>A call about to run, as a policy sees it.</summary>
internal sealed record PolicyRequest(string PeerName, byte[] PeerPublicKey, string Method, string Summary);

/// <summary>Decides per call whether a controller may run it. Denial throws <see cref="PermissionDeniedException"/>.</summary>
internal interface ICallPolicy
{
    /// <summary>A line to print at start-up (e.g. "console approval is off: no terminal"), or null.</summary>
    string? StartupNotice { get; }

    ValueTask CheckAsync(PolicyRequest request, CancellationToken cancellationToken);
}

/// <summary>The default policy: everything is allowed.</summary>
internal sealed class AllowAllPolicy : ICallPolicy
{
    public static AllowAllPolicy Instance { get; } = new();

    public string? StartupNotice => null;

    public ValueTask CheckAsync(PolicyRequest request, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}

/// <summary>
/// <c>--approve console</c>: observation methods are allowed without asking; every action method is put to the user on
/// the serve machine's terminal (<c>[opendesk] PEER wants to SUMMARY. Allow? [y/N]</c>), one question at a time.
/// Without a terminal every action is denied, and <see cref="StartupNotice"/> says so.
/// </summary>
internal sealed class ConsolePolicy : ICallPolicy, IDisposable
{
    private readonly TextReader _input;
    private readonly TextWriter _output;
    private readonly bool _interactive;
    private readonly SemaphoreSlim _oneQuestion = new(1, 1);

    public ConsolePolicy(TextReader input, TextWriter output, bool interactive)
    {
        _input = input;
        _output = output;
        _interactive = interactive;
    }

    public static ConsolePolicy ForConsole()
        => new(Console.In, Console.Error, !Console.IsInputRedirected);

    public string? StartupNotice => _interactive
        ? "console approval: observation calls are allowed; every action asks here first"
        : "console approval: no terminal on stdin, so every action call will be DENIED (observation calls are allowed)";

    public async ValueTask CheckAsync(PolicyRequest request, CancellationToken cancellationToken)
    {
        if (MethodSets.Observation.Contains(request.Method))
        {
            return;
        }

        if (!_interactive)
        {
            throw new PermissionDeniedException($"{request.Method} denied: console approval needs a terminal on the server");
        }

        await _oneQuestion.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _output.WriteAsync($"[opendesk] {request.PeerName} wants to {request.Summary}. Allow? [y/N] ").ConfigureAwait(false);
            await _output.FlushAsync(cancellationToken).ConfigureAwait(false);
            string? answer = await _input.ReadLineAsync(cancellationToken).ConfigureAwait(false);
            if (answer is null || !answer.Trim().StartsWith("y", StringComparison.OrdinalIgnoreCase))
            {
                throw new PermissionDeniedException($"{request.Method} denied by the user on the server");
            }
        }
        finally
        {
            _oneQuestion.Release();
        }
    }

    public void Dispose() => _oneQuestion.Dispose();
}
