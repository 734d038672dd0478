using System.Runtime.CompilerServices;
using OpenDesk.Core;

namespace OpenDesk.Local;

/// <summary>Every capability group, each member throwing <see cref="CapabilityUnsupportedException"/>.</summary>
internal sealed class Unsupported : IComputerDisplay, IComputerInput, IComputerWindows, IComputerApps, IComputerUI, IComputerClipboard,
    IComputerFiles, IComputerProcesses, IComputerPower, IComputerNotifications
{
    public static CapabilityUnsupportedException Exception(Capability capability) => new(capability.Name, LocalComputer.BackendName);

    private static ValueTask<T> Fail<T>(Capability c) => ValueTask.FromException<T>(Exception(c));

    private static ValueTask Fail(Capability c) => ValueTask.FromException(Exception(c));

    public ValueTask<IReadOnlyList<Display>> GetDisplaysAsync(CancellationToken cancellationToken) => Fail<IReadOnlyList<Display>>(Capability.DisplayCapture);

    public ValueTask<Pixmap> CaptureAsync(CaptureOptions options, CancellationToken cancellationToken) => Fail<Pixmap>(Capability.DisplayCapture);

    public ValueTask<Point> GetCursorPositionAsync(CancellationToken cancellationToken) => Fail<Point>(Capability.InputPointer);

    public IAsyncEnumerable<DisplayFrame> SubscribeAsync(DisplayStreamOptions options, CancellationToken cancellationToken) => Throw<DisplayFrame>(Capability.DisplayStream, cancellationToken);

    public ValueTask SendPointerAsync(PointerEvent pointerEvent, CancellationToken cancellationToken) => Fail(Capability.InputPointer);

    public ValueTask SendKeyAsync(KeyEvent keyEvent, CancellationToken cancellationToken) => Fail(Capability.InputKeyboard);

    public ValueTask TypeTextAsync(TextInput textInput, CancellationToken cancellationToken) => Fail(Capability.InputText);

    public IAsyncEnumerable<InputEvent> SubscribeAsync(CancellationToken cancellationToken) => Throw<InputEvent>(new Capability("input.subscribe"), cancellationToken);

    ValueTask<IReadOnlyList<Window>> IComputerWindows.ListAsync(CancellationToken cancellationToken) => Fail<IReadOnlyList<Window>>(Capability.WindowsList);

    public ValueTask<Window?> GetFocusedAsync(CancellationToken cancellationToken) => Fail<Window?>(Capability.WindowsList);

    ValueTask IComputerWindows.FocusAsync(string windowId, CancellationToken cancellationToken) => Fail(Capability.WindowsManipulate);

    ValueTask IComputerWindows.MoveAsync(string windowId, Rect bounds, CancellationToken cancellationToken) => Fail(Capability.WindowsManipulate);

    ValueTask IComputerWindows.CloseAsync(string windowId, CancellationToken cancellationToken) => Fail(Capability.WindowsManipulate);

    public ValueTask OpenAsync(string name, CancellationToken cancellationToken) => Fail(Capability.AppLifecycle);

    ValueTask IComputerApps.CloseAsync(string name, CancellationToken cancellationToken) => Fail(Capability.AppLifecycle);

    ValueTask IComputerApps.FocusAsync(string name, CancellationToken cancellationToken) => Fail(Capability.AppLifecycle);

    ValueTask<IReadOnlyList<string>> IComputerApps.ListAsync(CancellationToken cancellationToken) => Fail<IReadOnlyList<string>>(Capability.AppLifecycle);

    public ValueTask<UIElement> GetTreeAsync(UITreeQuery query, CancellationToken cancellationToken) => Fail<UIElement>(Capability.UiTree);

    public ValueTask PerformActionAsync(UIElement element, string action, string? app, CancellationToken cancellationToken) => Fail(Capability.UiActions);

    ValueTask<ClipboardContents> IComputerClipboard.ReadAsync(CancellationToken cancellationToken) => Fail<ClipboardContents>(Capability.ClipboardRead);

    ValueTask IComputerClipboard.WriteAsync(ClipboardContents contents, CancellationToken cancellationToken) => Fail(Capability.ClipboardWrite);

    ValueTask<byte[]> IComputerFiles.ReadAsync(string path, CancellationToken cancellationToken) => Fail<byte[]>(Capability.FsRead);

    ValueTask IComputerFiles.WriteAsync(string path, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) => Fail(Capability.FsWrite);

    ValueTask<IReadOnlyList<FileEntry>> IComputerFiles.ListAsync(string path, CancellationToken cancellationToken) => Fail<IReadOnlyList<FileEntry>>(Capability.FsRead);

    public ValueTask<FileEntry> StatAsync(string path, CancellationToken cancellationToken) => Fail<FileEntry>(Capability.FsRead);

    public ValueTask DeleteAsync(string path, CancellationToken cancellationToken) => Fail(Capability.FsWrite);

    public ValueTask MoveAsync(string source, string destination, CancellationToken cancellationToken) => Fail(Capability.FsWrite);

    public ValueTask CreateDirectoryAsync(string path, bool parents, CancellationToken cancellationToken) => Fail(Capability.FsWrite);

    ValueTask<IReadOnlyList<ProcessInfo>> IComputerProcesses.ListAsync(CancellationToken cancellationToken) => Fail<IReadOnlyList<ProcessInfo>>(Capability.ProcessList);

    public ValueTask<CompletedCommand> ShellAsync(ShellCommand command, CancellationToken cancellationToken) => Fail<CompletedCommand>(Capability.ProcessShell);

    public ValueTask<CompletedCommand> ExecAsync(ExecCommand command, CancellationToken cancellationToken) => Fail<CompletedCommand>(Capability.ProcessSpawn);

    public ValueTask LockAsync(CancellationToken cancellationToken) => Fail(Capability.PowerLock);

    ValueTask<IReadOnlyList<Notification>> IComputerNotifications.ListAsync(CancellationToken cancellationToken) => Fail<IReadOnlyList<Notification>>(Capability.NotificationsList);

#pragma warning disable CS1998 // An async iterator that throws on the first MoveNextAsync.
    private static async IAsyncEnumerable<T> Throw<T>(Capability c, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        throw Exception(c);
#pragma warning disable CS0162
        yield break;
#pragma warning restore CS0162
    }
#pragma warning restore CS1998
}
