using System.Runtime.Versioning;
using System.Text;
using OpenDesk.Core;

namespace OpenDesk.Local.Platforms.Linux;

/// <summary>
/// Synthetic input through XTEST. Characters that are not on the keyboard map are typed by temporarily binding their
/// keysym to a spare keycode (as xdotool does) and restoring the mapping afterwards.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class X11Input : IDisposable
{
    // Xlib applies a keymap change when it reads the notification off the wire, not when the app handles the keys queued
    // before it: a client must have read the keys typed with temporary bindings before those are changed again. xdotool
    // waits 250 ms; a loaded machine can deschedule a client for longer, so recycling keycodes mid-text waits 1 s.
    private static readonly TimeSpan s_remapGrace = TimeSpan.FromSeconds(1);

    private readonly X11Connection _x;
    private readonly SemaphoreSlim _typing = new(1, 1);
    private readonly Dictionary<nuint, int> _bound = [];
    private readonly Timer _restoreTimer;
    private readonly int _minKeycode;
    private readonly int _maxKeycode;

    public X11Input(X11Connection x)
    {
        _x = x;
        _restoreTimer = new Timer(OnRestoreTimer);
        lock (_x.Gate)
        {
            Available = Interop.Xtst.XTestQueryExtension(_x.Handle, out _, out _, out _, out _) != 0;
            _ = Interop.Xlib.XDisplayKeycodes(_x.Handle, out _minKeycode, out _maxKeycode);
        }
    }

    public bool Available { get; }

    public Point CursorPosition()
    {
        lock (_x.Gate)
        {
            _ = Interop.Xlib.XQueryPointer(_x.Handle, _x.Root, out _, out _, out int rx, out int ry, out _, out _, out _);
            return new Point(rx, ry);
        }
    }

    public void Pointer(PointerEvent e)
    {
        int x = (int)Math.Round(e.Point.X), y = (int)Math.Round(e.Point.Y);
        var mods = ModifierKeysyms(e.Modifiers);
        lock (_x.Gate)
        {
            X11Connection.ClearError();
            PressKeysyms(mods, press: true);
            _ = Interop.Xtst.XTestFakeMotionEvent(_x.Handle, -1, x, y, 0);
            switch (e.Action)
            {
                case PointerAction.Move:
                    break;
                case PointerAction.Down:
                case PointerAction.Up:
                    _ = Interop.Xtst.XTestFakeButtonEvent(_x.Handle, ButtonNumber(e.Button ?? MouseButton.Left), e.Action == PointerAction.Down ? 1 : 0, 0);
                    break;
                case PointerAction.Scroll:
                    Scroll(e.Dy, 4, 5);
                    Scroll(e.Dx, 6, 7);
                    break;
                default:
                    throw new InvalidArgumentException($"Unknown pointer action {e.Action}.");
            }

            PressKeysyms(mods, press: false, reverse: true);
            Check("pointer");
        }
    }

    public void Key(KeyEvent e)
    {
        var keysyms = new List<nuint>(ModifierKeysyms(e.Modifiers));
        foreach (string part in KeyNames.SplitChord(e.Keysym))
        {
            nuint sym = KeyNames.ToKeysym(part);
            if (sym == 0)
            {
                throw new InvalidArgumentException($"Unknown key name '{part}'.", new Dictionary<string, object?> { ["key"] = part });
            }

            keysyms.Add(sym);
        }

        lock (_x.Gate)
        {
            X11Connection.ClearError();
            if (e.Action == KeyAction.Down)
            {
                foreach (nuint sym in keysyms)
                {
                    PressKeysymWithLevel(sym, press: true);
                }
            }
            else
            {
                for (int i = keysyms.Count - 1; i >= 0; i--)
                {
                    PressKeysymWithLevel(keysyms[i], press: false);
                }
            }

            Check("key");
        }
    }

    public async ValueTask TypeAsync(TextInput input, CancellationToken cancellationToken)
    {
        await _typing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _restoreTimer.Change(Timeout.Infinite, Timeout.Infinite);
            Dictionary<nuint, int> bound = _bound;
            Queue<int>? spare = null;
            List<nuint> syms = [];
            foreach (Rune rune in input.Text.EnumerateRunes())
            {
                if (rune.Value != '\r')
                {
                    syms.Add(KeyNames.KeysymForRune(rune));
                }
            }

            for (int index = 0; index < syms.Count; index++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                nuint sym = syms[index];
                bool needsRemap;
                lock (_x.Gate)
                {
                    needsRemap = !bound.ContainsKey(sym) && FindOnKeymap(sym).Keycode == 0;
                }

                if (needsRemap)
                {
                    spare ??= new Queue<int>(FindSpareKeycodes().Except(bound.Values));
                    HashSet<int>? recycled = null;
                    if (spare.Count == 0)
                    {
                        if (bound.Count == 0)
                        {
                            throw new InternalErrorException("No spare keycode is free to type characters that are not on the keyboard map.");
                        }

                        // All spare keycodes are bound: let clients process what was typed, then recycle them. The same
                        // keymap change that binds the next characters unbinds the recycled keycodes it does not reuse.
                        await Task.Delay(s_remapGrace, cancellationToken).ConfigureAwait(false);
                        recycled = [.. bound.Values];
                        foreach (int kc in recycled)
                        {
                            spare.Enqueue(kc);
                        }
                    }

                    // Bind this character and the next ones that need it too, as far as spare keycodes go, in one keymap
                    // change: every change makes every X client (the window manager too) reload its keymap.
                    var batch = new Dictionary<nuint, int>();
                    lock (_x.Gate)
                    {
                        for (int j = index; j < syms.Count && spare.Count > 0; j++)
                        {
                            if (!batch.ContainsKey(syms[j]) && (recycled is not null || !bound.ContainsKey(syms[j])) && (j == index || NeedsBinding(syms[j], recycled)))
                            {
                                batch[syms[j]] = spare.Dequeue();
                            }
                        }

                        Bind(batch, unbind: recycled);
                    }

                    if (recycled is not null)
                    {
                        bound.Clear(); // only once the change is made: if it failed, the old bindings are still there to restore
                    }

                    foreach ((nuint s, int kc) in batch)
                    {
                        bound[s] = kc;
                    }
                }

                lock (_x.Gate)
                {
                    X11Connection.ClearError();
                    if (bound.TryGetValue(sym, out int kc))
                    {
                        _ = Interop.Xtst.XTestFakeKeyEvent(_x.Handle, (uint)kc, 1, 0);
                        _ = Interop.Xtst.XTestFakeKeyEvent(_x.Handle, (uint)kc, 0, 0);
                    }
                    else
                    {
                        PressKeysymWithLevel(sym, press: true);
                        PressKeysymWithLevel(sym, press: false);
                    }

                    Check("text");
                }

                if (input.IntervalMs > 0)
                {
                    await Task.Delay(input.IntervalMs, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            // Clients re-read the keymap lazily (after MappingNotify, when they next translate a key), so temporary
            // bindings stay until typing has been idle for a while, then the original (empty) mapping is restored.
            if (_bound.Count > 0)
            {
                _restoreTimer.Change(RestoreAfterIdle, Timeout.InfiniteTimeSpan);
            }

            _typing.Release();
        }
    }

    /// <summary>
    /// How long typing must be idle before the temporary bindings are removed (default 2 s, for the same reason as the
    /// recycling grace); <see cref="Timeout.InfiniteTimeSpan"/> keeps them until <see cref="RestoreKeymap"/>.
    /// </summary>
    internal TimeSpan RestoreAfterIdle { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>True while characters are temporarily bound to spare keycodes.</summary>
    public bool HasTemporaryBindings => _bound.Count > 0;

    /// <summary>Restores the keymap now (temporary bindings for characters that were not on it are removed).</summary>
    public void RestoreKeymap()
    {
        _typing.Wait();
        try
        {
            if (_bound.Count > 0 && !_x.Handle.IsClosed)
            {
                lock (_x.Gate)
                {
                    Restore(_bound);
                }
            }

            _bound.Clear();
        }
        finally
        {
            _typing.Release();
        }
    }

    private void OnRestoreTimer(object? state)
    {
        if (!_typing.Wait(0))
        {
            return; // typing again; it re-arms the timer when it ends.
        }

        try
        {
            if (_bound.Count > 0 && !_x.Handle.IsClosed)
            {
                lock (_x.Gate)
                {
                    Restore(_bound);
                }

                _bound.Clear();
            }
        }
        finally
        {
            _typing.Release();
        }
    }

    private void Scroll(double amount, uint negativeButton, uint positiveButton)
    {
        int notches = (int)Math.Round(Math.Abs(amount));
        uint button = amount < 0 ? negativeButton : positiveButton;
        for (int i = 0; i < notches; i++)
        {
            _ = Interop.Xtst.XTestFakeButtonEvent(_x.Handle, button, 1, 0);
            _ = Interop.Xtst.XTestFakeButtonEvent(_x.Handle, button, 0, 0);
        }
    }

    private static uint ButtonNumber(MouseButton button) => button switch
    {
        MouseButton.Left => 1,
        MouseButton.Middle => 2,
        MouseButton.Right => 3,
        MouseButton.X1 => 8,
        MouseButton.X2 => 9,
        _ => throw new InvalidArgumentException($"Unknown button {button}."),
    };

    private static List<nuint> ModifierKeysyms(IReadOnlyList<Modifier> modifiers)
    {
        var list = new List<nuint>(modifiers.Count);
        foreach (Modifier m in modifiers)
        {
            string? name = m switch
            {
                Modifier.Shift => "Shift_L",
                Modifier.Ctrl => "Control_L",
                Modifier.Alt => "Alt_L",
                Modifier.Meta => "Super_L",
                Modifier.CapsLock => "Caps_Lock",
                _ => null,
            };
            if (name is not null)
            {
                list.Add(Interop.Xlib.XStringToKeysym(name));
            }
        }

        return list;
    }

    private void PressKeysyms(List<nuint> keysyms, bool press, bool reverse = false)
    {
        for (int i = 0; i < keysyms.Count; i++)
        {
            PressKeysymWithLevel(keysyms[reverse ? keysyms.Count - 1 - i : i], press);
        }
    }

    /// <summary>Presses or releases the key that makes <paramref name="keysym"/>, holding Shift for level-2 symbols. Caller holds the gate.</summary>
    private void PressKeysymWithLevel(nuint keysym, bool press)
    {
        (int keycode, int level) = FindOnKeymap(keysym);
        if (keycode == 0)
        {
            throw new InvalidArgumentException($"The key 0x{keysym:x} is not on the keyboard map; use text input for such characters.");
        }

        uint shift = Interop.Xlib.XKeysymToKeycode(_x.Handle, 0xFFE1);
        bool needShift = level == 1 && !KeyNames.IsModifier(keysym) && shift != 0;
        if (press)
        {
            if (needShift)
            {
                _ = Interop.Xtst.XTestFakeKeyEvent(_x.Handle, shift, 1, 0);
            }

            _ = Interop.Xtst.XTestFakeKeyEvent(_x.Handle, (uint)keycode, 1, 0);
        }
        else
        {
            _ = Interop.Xtst.XTestFakeKeyEvent(_x.Handle, (uint)keycode, 0, 0);
            if (needShift)
            {
                _ = Interop.Xtst.XTestFakeKeyEvent(_x.Handle, shift, 0, 0);
            }
        }
    }

    /// <summary>The keycode and level (0 plain, 1 shifted) of <paramref name="keysym"/>; keycode 0 when it is not reachable so. Caller holds the gate.</summary>
    private unsafe (int Keycode, int Level) FindOnKeymap(nuint keysym)
    {
        byte keycode = Interop.Xlib.XKeysymToKeycode(_x.Handle, keysym);
        if (keycode == 0)
        {
            return (0, 0);
        }

        IntPtr map = Interop.Xlib.XGetKeyboardMapping(_x.Handle, keycode, 1, out int per);
        if (map == IntPtr.Zero)
        {
            return (0, 0);
        }

        try
        {
            var syms = new ReadOnlySpan<nuint>((void*)map, per);
            if (per > 0 && syms[0] == keysym)
            {
                return (keycode, 0);
            }

            if (per > 1 && syms[1] == keysym)
            {
                return (keycode, 1);
            }

            // Letters: a keycode whose level 0 is lower case and level 1 is NoSymbol still gives upper case with Shift.
            return (0, 0);
        }
        finally
        {
            _ = Interop.Xlib.XFree(map);
        }
    }

    private unsafe List<int> FindSpareKeycodes()
    {
        lock (_x.Gate)
        {
            int count = _maxKeycode - _minKeycode + 1;
            IntPtr map = Interop.Xlib.XGetKeyboardMapping(_x.Handle, (byte)_minKeycode, count, out int per);
            var result = new List<int>();
            if (map == IntPtr.Zero)
            {
                return result;
            }

            try
            {
                var syms = new ReadOnlySpan<nuint>((void*)map, count * per);
                for (int i = count - 1; i >= 0 && result.Count < 16; i--)
                {
                    bool empty = true;
                    for (int j = 0; j < per; j++)
                    {
                        empty &= syms[(i * per) + j] == 0;
                    }

                    if (empty)
                    {
                        result.Add(_minKeycode + i);
                    }
                }
            }
            finally
            {
                _ = Interop.Xlib.XFree(map);
            }

            return result;
        }
    }

    /// <summary>
    /// True when <paramref name="keysym"/> is not on the keymap, or only on a keycode that is about to be recycled. Caller
    /// holds the gate.
    /// </summary>
    private bool NeedsBinding(nuint keysym, HashSet<int>? recycled)
    {
        int keycode = FindOnKeymap(keysym).Keycode;
        return keycode == 0 || recycled?.Contains(keycode) == true;
    }

    /// <summary>
    /// Binds each keysym of <paramref name="keysyms"/> to its spare keycode (both levels) and unbinds the keycodes of
    /// <paramref name="unbind"/> it does not reuse, in one keymap change. Caller holds the gate.
    /// </summary>
    private void Bind(Dictionary<nuint, int> keysyms, HashSet<int>? unbind)
    {
        if (keysyms.Count == 0 && (unbind is null || unbind.Count == 0))
        {
            return;
        }

        var changes = new Dictionary<int, nuint>();
        foreach (int keycode in unbind ?? [])
        {
            changes[keycode] = 0;
        }

        foreach ((nuint sym, int keycode) in keysyms)
        {
            changes[keycode] = sym;
        }

        ChangeMapping(changes);
        Check("keyboard mapping");
    }

    /// <summary>Unbinds the keycodes of <paramref name="remapped"/> (back to NoSymbol) in one keymap change. Caller holds the gate.</summary>
    private void Restore(Dictionary<nuint, int> remapped)
    {
        if (remapped.Count == 0)
        {
            return;
        }

        var changes = new Dictionary<int, nuint>();
        foreach (int keycode in remapped.Values)
        {
            changes[keycode] = 0;
        }

        ChangeMapping(changes);
        _ = _x.SyncAndCheck();
        _x.DrainEvents();
    }

    /// <summary>
    /// Sets the keycodes of <paramref name="changes"/> to their keysym (0 = NoSymbol everywhere) with one
    /// XChangeKeyboardMapping (one MappingNotify per client). Spare keycodes are scattered over the map, so the request
    /// covers the range from the lowest to the highest and writes the keycodes in between back as they are (the server's
    /// core-to-XKB conversion leaves such keys unchanged: checked on us and us,ru keymaps with xkbcomp). The read and the
    /// write happen under a server grab, so a key another client changes inside the range at that moment is not
    /// overwritten with its old value. Caller holds the gate.
    /// </summary>
    private unsafe void ChangeMapping(Dictionary<int, nuint> changes)
    {
        int first = changes.Keys.Min(), last = changes.Keys.Max();
        int count = last - first + 1;
        _ = Interop.Xlib.XGrabServer(_x.Handle);
        IntPtr current = IntPtr.Zero;
        try
        {
            current = Interop.Xlib.XGetKeyboardMapping(_x.Handle, (byte)first, count, out int per);
            if (current == IntPtr.Zero || per <= 0)
            {
                throw new InternalErrorException("Could not read the keyboard map.");
            }

            // Same width as the server's map, so restoring writes back exactly what was there (NoSymbol everywhere).
            var syms = new Span<nuint>((void*)current, count * per);
            foreach ((int keycode, nuint sym) in changes)
            {
                Span<nuint> key = syms.Slice((keycode - first) * per, per);
                key.Clear();
                if (sym != 0)
                {
                    key[0] = sym;
                    if (per > 1)
                    {
                        key[1] = sym;
                    }
                }
            }

            X11Connection.ClearError();
            _ = Interop.Xlib.XChangeKeyboardMapping(_x.Handle, first, per, (nuint*)current, count);
        }
        finally
        {
            _ = Interop.Xlib.XUngrabServer(_x.Handle);
            _ = Interop.Xlib.XFlush(_x.Handle); // never leave the server grabbed, even when this throws
            if (current != IntPtr.Zero)
            {
                _ = Interop.Xlib.XFree(current);
            }
        }
    }

    private void Check(string what)
    {
        int err = _x.SyncAndCheck();
        _x.DrainEvents(); // keymap notifications read by the sync (this connection selects nothing else)
        if (err != 0)
        {
            throw new InternalErrorException($"The X server rejected the {what} input (X error {err}).");
        }
    }

    public void Dispose()
    {
        _restoreTimer.Dispose();
        RestoreKeymap();
        _typing.Dispose();
    }
}
