namespace OpenDesk.Core;

/// <summary>
/// A computer OpenDesk can see and drive: this machine (<c>LocalComputer</c>) or a peer (<c>RemoteComputer</c>).
/// Every protocol-v1 method maps to one member of a capability group. All coordinates on this contract are in
/// <b>desktop space</b> (the OS pointer space, spanning every monitor). A group whose capability the
/// <see cref="GetCapabilitiesAsync"/> manifest does not advertise throws <see cref="CapabilityUnsupportedException"/>.
/// Failures with a wire code throw the matching <see cref="OpenDeskException"/>.
/// </summary>
public interface IComputer : IAsyncDisposable
{
    /// <summary>Displays, capture and frame streams (<c>display.*</c>).</summary>
    IComputerDisplay Display { get; }

    /// <summary>Pointer, keyboard and text input (<c>input.*</c>).</summary>
    IComputerInput Input { get; }

    /// <summary>Top-level windows (<c>windows.*</c>).</summary>
    IComputerWindows Windows { get; }

    /// <summary>Applications (<c>apps.*</c>).</summary>
    IComputerApps Apps { get; }

    /// <summary>Accessibility tree and element actions (<c>ui.*</c>).</summary>
    IComputerUI UI { get; }

    /// <summary>The clipboard (<c>clipboard.*</c>).</summary>
    IComputerClipboard Clipboard { get; }

    /// <summary>Files (<c>fs.*</c>).</summary>
    IComputerFiles Files { get; }

    /// <summary>Processes and commands (<c>process.*</c>).</summary>
    IComputerProcesses Processes { get; }

    /// <summary>Power: screen lock (<c>power.*</c>).</summary>
    IComputerPower Power { get; }

    /// <summary>Desktop notifications (<c>notifications.*</c>).</summary>
    IComputerNotifications Notifications { get; }

    /// <summary>What this computer can do (<c>system.capabilities</c>).</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<CapabilityManifest> GetCapabilitiesAsync(CancellationToken cancellationToken);

    /// <summary>OS, host and displays (<c>system.environment</c>).</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<EnvironmentInfo> GetEnvironmentAsync(CancellationToken cancellationToken);
}

/// <summary>Displays and capture. Coordinates are desktop space.</summary>
public interface IComputerDisplay
{
    /// <summary>The displays, primary first (<c>display.displays</c>).</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<IReadOnlyList<Display>> GetDisplaysAsync(CancellationToken cancellationToken);

    /// <summary>Captures the desktop, a display or a desktop-space region (<c>display.capture</c>).</summary>
    /// <param name="options">What to capture and how to encode it.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<Pixmap> CaptureAsync(CaptureOptions options, CancellationToken cancellationToken);

    /// <summary>The pointer position in desktop space (<c>display.cursor_position</c>).</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<Point> GetCursorPositionAsync(CancellationToken cancellationToken);

    /// <summary>A stream of frames until cancelled (<c>display.subscribe</c>).</summary>
    /// <param name="options">Display, rate and region.</param>
    /// <param name="cancellationToken">Ends the stream.</param>
    IAsyncEnumerable<DisplayFrame> SubscribeAsync(DisplayStreamOptions options, CancellationToken cancellationToken);
}

/// <summary>Synthetic input. Pointer coordinates are desktop space.</summary>
public interface IComputerInput
{
    /// <summary>Sends one pointer event (<c>input.pointer</c>).</summary>
    /// <param name="pointerEvent">The event; its point is in desktop space.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask SendPointerAsync(PointerEvent pointerEvent, CancellationToken cancellationToken);

    /// <summary>Sends one key event (<c>input.key</c>).</summary>
    /// <param name="keyEvent">The event.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask SendKeyAsync(KeyEvent keyEvent, CancellationToken cancellationToken);

    /// <summary>Types Unicode text (<c>input.text</c>).</summary>
    /// <param name="textInput">The text and pace.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask TypeTextAsync(TextInput textInput, CancellationToken cancellationToken);

    /// <summary>A stream of observed input events until cancelled (<c>input.subscribe</c>).</summary>
    /// <param name="cancellationToken">Ends the stream.</param>
    IAsyncEnumerable<InputEvent> SubscribeAsync(CancellationToken cancellationToken);
}

/// <summary>Top-level windows. Bounds are desktop space.</summary>
public interface IComputerWindows
{
    /// <summary>All top-level windows (<c>windows.list</c>).</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<IReadOnlyList<Window>> ListAsync(CancellationToken cancellationToken);

    /// <summary>The focused window, or null (<c>windows.focused</c>).</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<Window?> GetFocusedAsync(CancellationToken cancellationToken);

    /// <summary>Raises and focuses a window (<c>windows.focus</c>).</summary>
    /// <param name="windowId">The window id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask FocusAsync(string windowId, CancellationToken cancellationToken);

    /// <summary>Moves and resizes a window (<c>windows.move</c>).</summary>
    /// <param name="windowId">The window id.</param>
    /// <param name="bounds">The new outer bounds in desktop space.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask MoveAsync(string windowId, Rect bounds, CancellationToken cancellationToken);

    /// <summary>Asks a window to close (<c>windows.close</c>).</summary>
    /// <param name="windowId">The window id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask CloseAsync(string windowId, CancellationToken cancellationToken);
}

/// <summary>Applications, by name.</summary>
public interface IComputerApps
{
    /// <summary>Opens an application, file or URL (<c>apps.open</c>).</summary>
    /// <param name="name">An application name, desktop-file id, executable, path or URL.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask OpenAsync(string name, CancellationToken cancellationToken);

    /// <summary>Closes an application, gracefully first (<c>apps.close</c>).</summary>
    /// <param name="name">The application name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask CloseAsync(string name, CancellationToken cancellationToken);

    /// <summary>Brings an application's window to the front (<c>apps.focus</c>).</summary>
    /// <param name="name">The application name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask FocusAsync(string name, CancellationToken cancellationToken);

    /// <summary>Names of running applications that have windows (<c>apps.list</c>).</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<IReadOnlyList<string>> ListAsync(CancellationToken cancellationToken);
}

/// <summary>Accessibility. Element bounds are desktop space.</summary>
public interface IComputerUI
{
    /// <summary>The accessibility tree of a window or app, within a node and time budget (<c>ui.tree</c>).</summary>
    /// <param name="query">Which tree and how much of it.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<UIElement> GetTreeAsync(UITreeQuery query, CancellationToken cancellationToken);

    /// <summary>Performs an action on an element from a tree (<c>ui.action</c>); see <see cref="UIActions"/>.</summary>
    /// <param name="element">The element, as returned by <see cref="GetTreeAsync"/>.</param>
    /// <param name="action">The action name, e.g. <see cref="UIActions.Click"/>.</param>
    /// <param name="app">The application the element belongs to, or null.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask PerformActionAsync(UIElement element, string action, string? app, CancellationToken cancellationToken);
}

/// <summary>The clipboard.</summary>
public interface IComputerClipboard
{
    /// <summary>Reads the clipboard (<c>clipboard.read</c>); empty contents when it is empty.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<ClipboardContents> ReadAsync(CancellationToken cancellationToken);

    /// <summary>Replaces the clipboard (<c>clipboard.write</c>).</summary>
    /// <param name="contents">The new contents.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask WriteAsync(ClipboardContents contents, CancellationToken cancellationToken);
}

/// <summary>Files on the computer. Paths are the computer's own.</summary>
public interface IComputerFiles
{
    /// <summary>Reads a whole file (<c>fs.read</c>).</summary>
    /// <param name="path">The path.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<byte[]> ReadAsync(string path, CancellationToken cancellationToken);

    /// <summary>Writes a whole file, replacing it (<c>fs.write</c>).</summary>
    /// <param name="path">The path.</param>
    /// <param name="data">The bytes.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask WriteAsync(string path, ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    /// <summary>Lists a directory (<c>fs.list</c>).</summary>
    /// <param name="path">The directory.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<IReadOnlyList<FileEntry>> ListAsync(string path, CancellationToken cancellationToken);

    /// <summary>Describes a file or directory (<c>fs.stat</c>).</summary>
    /// <param name="path">The path.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<FileEntry> StatAsync(string path, CancellationToken cancellationToken);

    /// <summary>Deletes a file or a directory tree (<c>fs.delete</c>).</summary>
    /// <param name="path">The path.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask DeleteAsync(string path, CancellationToken cancellationToken);

    /// <summary>Moves or renames (<c>fs.move</c>).</summary>
    /// <param name="source">The current path.</param>
    /// <param name="destination">The new path.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask MoveAsync(string source, string destination, CancellationToken cancellationToken);

    /// <summary>Creates a directory (<c>fs.mkdir</c>).</summary>
    /// <param name="path">The directory.</param>
    /// <param name="parents">Also create missing parents (protocol-v1 default true).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask CreateDirectoryAsync(string path, bool parents, CancellationToken cancellationToken);
}

/// <summary>Processes and commands.</summary>
public interface IComputerProcesses
{
    /// <summary>Running processes (<c>process.list</c>).</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<IReadOnlyList<ProcessInfo>> ListAsync(CancellationToken cancellationToken);

    /// <summary>Runs a command line through the shell (<c>process.shell</c>).</summary>
    /// <param name="command">The command.</param>
    /// <param name="cancellationToken">Cancels (and kills) the command.</param>
    ValueTask<CompletedCommand> ShellAsync(ShellCommand command, CancellationToken cancellationToken);

    /// <summary>Runs a program with arguments, no shell (<c>process.exec</c>).</summary>
    /// <param name="command">The command.</param>
    /// <param name="cancellationToken">Cancels (and kills) the process.</param>
    ValueTask<CompletedCommand> ExecAsync(ExecCommand command, CancellationToken cancellationToken);
}

/// <summary>Power.</summary>
public interface IComputerPower
{
    /// <summary>Locks the screen (<c>power.lock</c>).</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask LockAsync(CancellationToken cancellationToken);
}

/// <summary>Desktop notifications.</summary>
public interface IComputerNotifications
{
    /// <summary>Recent notifications (<c>notifications.list</c>).</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<IReadOnlyList<Notification>> ListAsync(CancellationToken cancellationToken);
}
