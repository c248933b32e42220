using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.IO;
using Akka.TestKit;
using ActorWs.Transport;

namespace ActorWs.Tests.Support;

/// <summary>
/// Connected loopback pairs for the socket actor's tests: a <see cref="SocketConnection"/> on the
/// accepted end, registered to a probe, and a plain socket on the other, which the test reads and
/// writes as the peer. The plain sockets are disposed with this.
/// </summary>
internal sealed class SocketActorPairs : IDisposable
{
    private readonly List<Socket> _peers = [];

    /// <summary>An ack told back by a write, named for the assertion that expects it.</summary>
    public sealed class Ack(string name) : Tcp.Event
    {
        public override string ToString() => name;
    }

    /// <summary>A new pair. <paramref name="kernelBuffer"/> (when not 0) makes the peer's receive
    /// buffer and the actor's send buffer that small, so a large write cannot be taken at once.</summary>
    public (IActorRef Tcp, TestProbe Handler, Socket Peer) Open(TestKitBase kit, WebSocketSettings settings, int kernelBuffer = 0)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var peer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        if (kernelBuffer > 0)
            peer.ReceiveBufferSize = kernelBuffer;
        peer.Connect(listener.LocalEndPoint!);
        var accepted = listener.Accept();
        if (kernelBuffer > 0)
            accepted.SendBufferSize = kernelBuffer;
        _peers.Add(peer);
        var handler = kit.CreateTestProbe();
        var tcp = SocketConnection.Spawn(kit.Sys, accepted, settings);
        tcp.Tell(new Tcp.Register(handler.Ref), handler.Ref);
        return (tcp, handler, peer);
    }

    /// <summary>Exactly <paramref name="count"/> bytes from <paramref name="socket"/>, in reads of at
    /// most <paramref name="chunk"/> (small reads keep the writer's side full for longer); the read
    /// times out after <paramref name="wait"/>.</summary>
    public static byte[] ReadExactly(Socket socket, int count, TimeSpan wait, int chunk = int.MaxValue)
    {
        var buffer = new byte[count];
        socket.ReceiveTimeout = (int)wait.TotalMilliseconds;
        for (int got = 0; got < count;)
        {
            int n = socket.Receive(buffer, got, Math.Min(chunk, count - got), SocketFlags.None);
            if (n == 0)
                throw new InvalidOperationException($"TCP closed after {got} of {count} bytes");
            got += n;
        }
        return buffer;
    }

    public void Dispose()
    {
        foreach (var peer in _peers)
            peer.Dispose();
    }
}
