using System.Globalization;
using System.Runtime.InteropServices;

namespace ActorWs.Transport;

/// <summary>The process's file descriptors: how many it may open (RLIMIT_NOFILE, POSIX getrlimit)
/// and how many are open now.</summary>
internal static class Descriptors
{
    /// <summary>The soft limit and the count open now; null where there is no such limit (Windows,
    /// whose sockets are handles without a per-process cap) or it cannot be read.</summary>
    public static (long Limit, int Open)? Read()
    {
        if (OperatingSystem.IsWindows())
            return null;
        try
        {
            if (OperatingSystem.IsLinux())
                return (ReadProcLimit(), Directory.GetFileSystemEntries("/proc/self/fd").Length);
            // macOS and the BSDs: no /proc, but getrlimit, and /dev/fd lists the open descriptors.
            return getrlimit(RlimitNofileBsd, out var limit) == 0
                ? ((long)Math.Min(limit.Current, long.MaxValue), Directory.GetFileSystemEntries("/dev/fd").Length)
                : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or InvalidOperationException
                                      or DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    /// <summary>The "Max open files" soft limit of /proc/self/limits (proc(5)).</summary>
    private static long ReadProcLimit()
    {
        var line = File.ReadLines("/proc/self/limits").Single(l => l.StartsWith("Max open files", StringComparison.Ordinal));
        var soft = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
        return soft == "unlimited" ? long.MaxValue : long.Parse(soft, CultureInfo.InvariantCulture);
    }

    /// <summary>RLIMIT_NOFILE on macOS, FreeBSD, NetBSD and OpenBSD (Linux's is 7).</summary>
    private const int RlimitNofileBsd = 8;

    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int getrlimit(int resource, out RLimit limit);
}
