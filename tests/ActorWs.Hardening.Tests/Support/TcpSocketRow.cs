namespace ActorWs.Hardening.Tests.Support;

/// <summary>One row of /proc/net/tcp or tcp6: a TCP socket's local port, state, inode, and the
/// bytes in its receive queue (not yet read by the application).</summary>
public sealed record TcpSocketRow(int LocalPort, int State, long Inode, long ReceiveQueue = 0)
{
    /// <summary>TCP_LISTEN in the kernel's numbering (include/net/tcp_states.h).</summary>
    public const int Listen = 0x0A;

    public bool IsListener => State == Listen;
}
