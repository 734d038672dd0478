using System.Diagnostics;
using System.Runtime.Versioning;
using OpenDesk.Core;

namespace OpenDesk.Local.Platforms.Linux;

/// <summary>Runs a process with a timeout, working directory, extra environment, stdin and capped output; kills the whole tree on timeout or cancellation.</summary>
[SupportedOSPlatform("linux")]
internal static class CommandRunner
{
    public static async ValueTask<CompletedCommand> RunAsync(IReadOnlyList<string> argv, string? cwd, IReadOnlyDictionary<string, string>? env,
        byte[]? stdin, TimeSpan timeout, int maxOutput, CancellationToken cancellationToken)
    {
        if (argv.Count == 0 || string.IsNullOrEmpty(argv[0]))
        {
            throw new InvalidArgumentException("The command is empty.");
        }

        if (cwd is not null && !Directory.Exists(cwd))
        {
            throw new NotFoundException($"The working directory '{cwd}' does not exist.", new Dictionary<string, object?> { ["cwd"] = cwd });
        }

        var psi = new ProcessStartInfo(argv[0])
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = cwd ?? string.Empty,
        };
        foreach (string a in argv.Skip(1))
        {
            psi.ArgumentList.Add(a);
        }

        if (env is not null)
        {
            foreach ((string k, string v) in env)
            {
                psi.Environment[k] = v;
            }
        }

        var clock = Stopwatch.StartNew();
        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new InternalErrorException($"Could not start '{argv[0]}'.");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new NotFoundException($"Could not start '{argv[0]}': {e.Message}", new Dictionary<string, object?> { ["program"] = argv[0] });
        }

        using (process)
        {
            using var timeoutCts = new CancellationTokenSource(timeout);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutCts.Token);
            Task<byte[]> stdout = ReadCappedAsync(process.StandardOutput.BaseStream, maxOutput);
            Task<byte[]> stderr = ReadCappedAsync(process.StandardError.BaseStream, maxOutput);
            try
            {
                if (stdin is { Length: > 0 })
                {
                    try
                    {
                        await process.StandardInput.BaseStream.WriteAsync(stdin, linked.Token).ConfigureAwait(false);
                    }
                    catch (IOException)
                    {
                        // The program exited or closed stdin without reading everything.
                    }
                }

                process.StandardInput.Close();
                await process.WaitForExitAsync(linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                KillTree(process);
                cancellationToken.ThrowIfCancellationRequested();

                throw new OperationTimedOutException($"The command timed out after {timeout.TotalSeconds:0.###} s and was killed.",
                    new Dictionary<string, object?> { ["timeout_s"] = timeout.TotalSeconds });
            }

            byte[] o = await stdout.ConfigureAwait(false);
            byte[] e2 = await stderr.ConfigureAwait(false);
            return new CompletedCommand(process.ExitCode, o, e2, clock.Elapsed);
        }
    }

    private static void KillTree(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
        }
    }

    private static async Task<byte[]> ReadCappedAsync(Stream stream, int cap)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16384];
        int read;
        while ((read = await stream.ReadAsync(chunk).ConfigureAwait(false)) > 0)
        {
            int keep = (int)Math.Min(read, Math.Max(0, cap - buffer.Length));
            if (keep > 0)
            {
                buffer.Write(chunk, 0, keep);
            }
        }

        return buffer.ToArray();
    }
}

/// <summary><c>process.*</c>: list from <c>/proc</c>; shell through <c>/bin/sh -c</c>; exec without a shell.</summary>
[SupportedOSPlatform("linux")]
internal sealed class LinuxProcesses(TimeSpan defaultTimeout, int maxOutput) : IComputerProcesses
{
    public ValueTask<IReadOnlyList<ProcessInfo>> ListAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        IReadOnlyList<ProcessInfo> list = ProcessTree.Snapshot()
            .Select(p => new ProcessInfo(p.Pid, p.Name, p.Ppid, ProcessTree.Cmdline(p.Pid))).ToList();
        return ValueTask.FromResult(list);
    }

    public ValueTask<CompletedCommand> ShellAsync(ShellCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        return CommandRunner.RunAsync(["/bin/sh", "-c", command.Command], command.WorkingDirectory, command.Environment, null,
            command.Timeout ?? defaultTimeout, maxOutput, cancellationToken);
    }

    public ValueTask<CompletedCommand> ExecAsync(ExecCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        return CommandRunner.RunAsync(command.Argv, command.WorkingDirectory, command.Environment, command.Stdin,
            command.Timeout ?? defaultTimeout, maxOutput, cancellationToken);
    }
}
