using System.Runtime.Versioning;
using OpenDesk.Core;

namespace OpenDesk.Local.Platforms.Linux;

/// <summary><c>fs.*</c> on the local file system; errors map to <c>not_found</c>, <c>permission_denied</c>, <c>invalid_argument</c>.</summary>
[SupportedOSPlatform("linux")]
internal sealed class LinuxFiles : IComputerFiles
{
    public async ValueTask<byte[]> ReadAsync(string path, CancellationToken cancellationToken)
    {
        string full = Full(path);
        try
        {
            return await File.ReadAllBytesAsync(full, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (Map(e, full) is { } mapped)
        {
            throw mapped;
        }
    }

    public async ValueTask WriteAsync(string path, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        string full = Full(path);
        try
        {
            var stream = new FileStream(full, FileMode.Create, FileAccess.Write, FileShare.None, 4096, useAsync: true);
            await using (stream.ConfigureAwait(false))
            {
                await stream.WriteAsync(data, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (Map(e, full) is { } mapped)
        {
            throw mapped;
        }
    }

    public ValueTask<IReadOnlyList<FileEntry>> ListAsync(string path, CancellationToken cancellationToken)
    {
        string full = Full(path);
        try
        {
            var dir = new DirectoryInfo(full);
            if (!dir.Exists)
            {
                throw File.Exists(full)
                    ? new InvalidArgumentException($"'{full}' is not a directory.", Details(full))
                    : new NotFoundException($"No directory '{full}'.", Details(full));
            }

            IReadOnlyList<FileEntry> entries = dir.EnumerateFileSystemInfos().Select(Describe).OrderBy(e => e.Name, StringComparer.Ordinal).ToList();
            return ValueTask.FromResult(entries);
        }
        catch (Exception e) when (Map(e, full) is { } mapped)
        {
            throw mapped;
        }
    }

    public ValueTask<FileEntry> StatAsync(string path, CancellationToken cancellationToken)
    {
        string full = Full(path);
        FileSystemInfo info = Directory.Exists(full) ? new DirectoryInfo(full) : new FileInfo(full);
        if (!info.Exists)
        {
            throw new NotFoundException($"No file or directory '{full}'.", Details(full));
        }

        return ValueTask.FromResult(Describe(info));
    }

    public ValueTask DeleteAsync(string path, CancellationToken cancellationToken)
    {
        string full = Full(path);
        try
        {
            if (Directory.Exists(full) && !File.GetAttributes(full).HasFlag(FileAttributes.ReparsePoint))
            {
                Directory.Delete(full, recursive: true);
            }
            else if (File.Exists(full) || new FileInfo(full).LinkTarget is not null)
            {
                File.Delete(full);
            }
            else
            {
                throw new NotFoundException($"No file or directory '{full}'.", Details(full));
            }

            return ValueTask.CompletedTask;
        }
        catch (Exception e) when (Map(e, full) is { } mapped)
        {
            throw mapped;
        }
    }

    public ValueTask MoveAsync(string source, string destination, CancellationToken cancellationToken)
    {
        string from = Full(source), to = Full(destination);
        try
        {
            if (Directory.Exists(from))
            {
                Directory.Move(from, to);
            }
            else if (File.Exists(from))
            {
                File.Move(from, to, overwrite: true);
            }
            else
            {
                throw new NotFoundException($"No file or directory '{from}'.", Details(from));
            }

            return ValueTask.CompletedTask;
        }
        catch (Exception e) when (Map(e, from) is { } mapped)
        {
            throw mapped;
        }
    }

    public ValueTask CreateDirectoryAsync(string path, bool parents, CancellationToken cancellationToken)
    {
        string full = Full(path);
        try
        {
            if (!parents && !Directory.Exists(Path.GetDirectoryName(full)))
            {
                throw new NotFoundException($"The parent of '{full}' does not exist.", Details(full));
            }

            if (File.Exists(full))
            {
                throw new InvalidArgumentException($"'{full}' exists and is a file.", Details(full));
            }

            _ = Directory.CreateDirectory(full);
            return ValueTask.CompletedTask;
        }
        catch (Exception e) when (Map(e, full) is { } mapped)
        {
            throw mapped;
        }
    }

    private static FileEntry Describe(FileSystemInfo info)
    {
        bool isDir = info is DirectoryInfo;
        long size = info is FileInfo f ? f.Length : 0;
        int mode = (int)info.UnixFileMode;
        return new FileEntry(info.FullName, info.Name, isDir, size, new DateTimeOffset(info.LastWriteTimeUtc, TimeSpan.Zero), mode);
    }

    private static string Full(string path)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new InvalidArgumentException("The path is empty.");
        }

        if (path.StartsWith('~'))
        {
            path = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile) + path[1..];
        }

        return Path.GetFullPath(path);
    }

    private static Dictionary<string, object?> Details(string path) => new() { ["path"] = path };

    private static OpenDeskException? Map(Exception e, string path) => e switch
    {
        OpenDeskException => null,
        FileNotFoundException or DirectoryNotFoundException => new NotFoundException($"No such file or directory: '{path}'.", Details(path)),
        UnauthorizedAccessException => new PermissionDeniedException($"Permission denied: '{path}'.", Details(path)),
        PathTooLongException or ArgumentException or NotSupportedException => new InvalidArgumentException(e.Message, Details(path)),
        IOException => new InternalErrorException(e.Message, Details(path), e),
        _ => null,
    };
}
