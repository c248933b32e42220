using System.Globalization;

namespace ActorWs.Hardening.Tests.Support;

/// <summary>
/// The TCP sockets this process holds on a given local port (Linux): /proc/self/fd links each
/// socket descriptor to <c>socket:[inode]</c>, and /proc/self/net/tcp and tcp6 give each socket's
/// local port and inode. A leak check that counted every descriptor also counted what the runtime
/// opens on its own (each loaded assembly is a mapped file), and failed when an assembly happened
/// to load during the test.
/// </summary>
public static class ProcessSockets
{
    /// <summary>Inodes of the sockets behind this process's descriptors.</summary>
    public static HashSet<long> OwnSocketInodes()
    {
        var inodes = new HashSet<long>();
        foreach (var fd in new DirectoryInfo("/proc/self/fd").EnumerateFileSystemInfos())
        {
            string? target;
            try
            {
                target = fd.LinkTarget;
            }
            catch (IOException)
            {
                continue; // closed between the listing and the read
            }
            if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal) && target.EndsWith(']'))
                inodes.Add(long.Parse(target.AsSpan(8, target.Length - 9), CultureInfo.InvariantCulture));
        }
        return inodes;
    }

    /// <summary>The rows of a /proc/net/tcp-format table (the header line is skipped).</summary>
    public static IEnumerable<TcpSocketRow> Parse(IEnumerable<string> lines)
    {
        foreach (var line in lines.Skip(1))
        {
            // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 10)
                continue;
            var local = f[1];
            int port = int.Parse(local.AsSpan(local.LastIndexOf(':') + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            int state = int.Parse(f[3], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            long rx = long.Parse(f[4].AsSpan(f[4].IndexOf(':') + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            yield return new TcpSocketRow(port, state, long.Parse(f[9], CultureInfo.InvariantCulture), rx);
        }
    }

    /// <summary>The TCP sockets (IPv4 and IPv6) that this process holds a descriptor of, on local
    /// port <paramref name="port"/>: a server's listener and the connections it accepted. Sockets
    /// only the kernel still holds (TIME_WAIT, orphaned FIN_WAIT) have no descriptor and inode 0,
    /// and are not counted.</summary>
    public static List<TcpSocketRow> OnLocalPort(int port)
    {
        // Descriptors first: a socket opened after this read is not in the set, and one closed
        // after it has left the tables or shows inode 0.
        var own = OwnSocketInodes();
        return new[] { "/proc/self/net/tcp", "/proc/self/net/tcp6" }
            .Where(File.Exists)
            .SelectMany(path => Parse(File.ReadLines(path)))
            .Where(s => s.LocalPort == port && s.Inode != 0 && own.Contains(s.Inode))
            .ToList();
    }

    /// <summary>Connections (not listeners) this process holds on local port <paramref name="port"/>.</summary>
    public static int ConnectionsOnLocalPort(int port) => OnLocalPort(port).Count(s => !s.IsListener);
}
