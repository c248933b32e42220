using System.Net;
using System.Net.Sockets;
using ActorWs.Hardening.Tests.Support;

namespace ActorWs.Hardening.Tests;

/// <summary>The socket count that the leak checks rely on: rows of the kernel's TCP tables, and the
/// sockets of this process on one port.</summary>
public sealed class ProcessSocketsTests
{
    [Fact]
    public void Rows_of_the_tcp_and_tcp6_tables_give_port_state_inode_and_receive_queue()
    {
        var rows = ProcessSockets.Parse([
            "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
            "   0: 0100007F:861F 00000000:0000 0A 00000000:0000012C 00:00000000 00000000     0        0 340279 1 000000009c98f7c2 100 0 0 10 0",
            "   1: 0000000000000000FFFF00000100007F:828A 0000000000000000FFFF00000100007F:8D99 06 00000000:00000000 03:00000ADA 00000000     0        0 0 3 0000000025dbe6a9",
        ]).ToList();
        Assert.Equal([new TcpSocketRow(0x861F, TcpSocketRow.Listen, 340279, 300), new TcpSocketRow(0x828A, 0x06, 0)], rows);
        Assert.True(rows[0].IsListener);
    }

    [Fact]
    public void A_listener_and_the_connection_it_accepted_are_counted_on_its_port_and_the_connection_goes_when_closed()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        int port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        client.Connect(listener.LocalEndPoint!);
        var accepted = listener.Accept();

        // The client's end has a port of its own: only the listener and the accepted socket count.
        var held = ProcessSockets.OnLocalPort(port);
        Assert.Equal(2, held.Count);
        Assert.Single(held, s => s.IsListener);
        Assert.Equal(1, ProcessSockets.ConnectionsOnLocalPort(port));

        // Closing the descriptor removes it at once, whatever state the kernel keeps the socket in.
        accepted.Dispose();
        Assert.Equal(0, ProcessSockets.ConnectionsOnLocalPort(port));
        Assert.Single(ProcessSockets.OnLocalPort(port), s => s.IsListener);
    }
}
