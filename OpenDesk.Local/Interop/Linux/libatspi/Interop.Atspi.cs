using System.Runtime.InteropServices;
using System.Runtime.InteropServices.Marshalling;

namespace OpenDesk.Local;

/// <summary>An owned GObject reference (AtspiAccessible and its interface views, AtspiStateSet); released with <c>g_object_unref</c>.</summary>
internal sealed class SafeGObjectHandle : SafeHandle
{
    public SafeGObjectHandle()
        : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        Interop.GLib.g_object_unref(handle);
        return true;
    }
}

internal static unsafe partial class Interop
{
    /// <summary>GLib/GObject helpers libatspi needs.</summary>
    internal static partial class GLib
    {
        [LibraryImport(Libraries.GObject)]
        internal static partial void g_object_unref(IntPtr obj);

        [LibraryImport(Libraries.GLib)]
        internal static partial void g_free(IntPtr mem);

        [LibraryImport(Libraries.GLib)]
        internal static partial void g_error_free(IntPtr error);

        [LibraryImport(Libraries.GLib)]
        internal static partial int g_main_context_iteration(IntPtr context, int mayBlock);

        /// <summary>Takes a g_malloc'd UTF-8 string and frees it.</summary>
        internal static string? TakeString(IntPtr p)
        {
            if (p == IntPtr.Zero)
            {
                return null;
            }

            try
            {
                return Utf8StringMarshaller.ConvertToManaged((byte*)p);
            }
            finally
            {
                g_free(p);
            }
        }

        /// <summary>Frees a GError and returns its message (GError: domain u32 at 0, code at 4, message at 8 on LP64).</summary>
        internal static string? TakeError(IntPtr error)
        {
            if (error == IntPtr.Zero)
            {
                return null;
            }

            string? message = Utf8StringMarshaller.ConvertToManaged(*(byte**)((byte*)error + 8));
            g_error_free(error);
            return message ?? "unknown AT-SPI error";
        }
    }

    /// <summary>libatspi (AT-SPI2 client library).</summary>
    internal static partial class Atspi
    {
        internal const int CoordTypeScreen = 0;
        internal const int StateEnabled = 8;
        internal const int StateFocused = 12;
        internal const int StateSensitive = 24;
        internal const int StateShowing = 25;

        [StructLayout(LayoutKind.Sequential)]
        internal struct AtspiRect
        {
            public int X;
            public int Y;
            public int Width;
            public int Height;
        }

        [LibraryImport(Libraries.Atspi)]
        internal static partial int atspi_init();

        [LibraryImport(Libraries.Atspi)]
        internal static partial void atspi_set_timeout(int val, int startupTime);

        [LibraryImport(Libraries.Atspi)]
        internal static partial SafeGObjectHandle atspi_get_desktop(int i);

        [LibraryImport(Libraries.Atspi)]
        internal static partial int atspi_accessible_get_child_count(SafeGObjectHandle obj, out IntPtr error);

        [LibraryImport(Libraries.Atspi)]
        internal static partial SafeGObjectHandle atspi_accessible_get_child_at_index(SafeGObjectHandle obj, int index, out IntPtr error);

        [LibraryImport(Libraries.Atspi)]
        internal static partial IntPtr atspi_accessible_get_name(SafeGObjectHandle obj, out IntPtr error);

        [LibraryImport(Libraries.Atspi)]
        internal static partial IntPtr atspi_accessible_get_role_name(SafeGObjectHandle obj, out IntPtr error);

        [LibraryImport(Libraries.Atspi)]
        internal static partial uint atspi_accessible_get_process_id(SafeGObjectHandle obj, out IntPtr error);

        [LibraryImport(Libraries.Atspi)]
        internal static partial SafeGObjectHandle atspi_accessible_get_state_set(SafeGObjectHandle obj);

        [LibraryImport(Libraries.Atspi)]
        internal static partial int atspi_state_set_contains(SafeGObjectHandle set, int state);

        [LibraryImport(Libraries.Atspi)]
        internal static partial void atspi_accessible_clear_cache(SafeGObjectHandle obj);

        [LibraryImport(Libraries.Atspi)]
        internal static partial SafeGObjectHandle atspi_accessible_get_component_iface(SafeGObjectHandle obj);

        [LibraryImport(Libraries.Atspi)]
        internal static partial AtspiRect* atspi_component_get_extents(SafeGObjectHandle component, int coordType, out IntPtr error);

        [LibraryImport(Libraries.Atspi)]
        internal static partial int atspi_component_grab_focus(SafeGObjectHandle component, out IntPtr error);

        [LibraryImport(Libraries.Atspi)]
        internal static partial SafeGObjectHandle atspi_accessible_get_action_iface(SafeGObjectHandle obj);

        [LibraryImport(Libraries.Atspi)]
        internal static partial int atspi_action_get_n_actions(SafeGObjectHandle action, out IntPtr error);

        [LibraryImport(Libraries.Atspi)]
        internal static partial IntPtr atspi_action_get_action_name(SafeGObjectHandle action, int i, out IntPtr error);

        [LibraryImport(Libraries.Atspi)]
        internal static partial int atspi_action_do_action(SafeGObjectHandle action, int i, out IntPtr error);

        [LibraryImport(Libraries.Atspi)]
        internal static partial SafeGObjectHandle atspi_accessible_get_text_iface(SafeGObjectHandle obj);

        [LibraryImport(Libraries.Atspi)]
        internal static partial int atspi_text_get_character_count(SafeGObjectHandle text, out IntPtr error);

        [LibraryImport(Libraries.Atspi)]
        internal static partial IntPtr atspi_text_get_text(SafeGObjectHandle text, int start, int end, out IntPtr error);

        [LibraryImport(Libraries.Atspi)]
        internal static partial SafeGObjectHandle atspi_accessible_get_editable_text_iface(SafeGObjectHandle obj);

        [LibraryImport(Libraries.Atspi, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int atspi_editable_text_set_text_contents(SafeGObjectHandle editable, string text, out IntPtr error);

        [LibraryImport(Libraries.Atspi)]
        internal static partial SafeGObjectHandle atspi_accessible_get_value_iface(SafeGObjectHandle obj);

        [LibraryImport(Libraries.Atspi)]
        internal static partial double atspi_value_get_current_value(SafeGObjectHandle value, out IntPtr error);

        [LibraryImport(Libraries.Atspi)]
        internal static partial int atspi_value_set_current_value(SafeGObjectHandle value, double newValue, out IntPtr error);
    }
}
