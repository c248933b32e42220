using System.Net.Sockets;
using Akka.Actor;
using Akka.IO;
using Akka.TestKit;
using ActorWs.Testing;
using ActorWs.Transport;
using ActorWs.Tests.Support;
using Ack = ActorWs.Tests.Support.SocketActorPairs.Ack;
using Xunit.Abstractions;

namespace ActorWs.Tests;

/// <summary>
/// The socket actor over a real loopback connection, with a probe as its handler: it must keep
/// Akka.IO's contract (what our connection actors and their probe-driven tests rely on), read only
/// what the kernel holds, stop reading when asked, and end TCP the way it was told to.
/// </summary>
public sealed class SocketConnectionTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(AkkaConfig.Patient, output: output), IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private readonly SocketActorPairs _pairs = new();

    /// <summary>A connected pair: the socket actor on one end (registered to a probe), a plain socket on the other.</summary>
    private (IActorRef Tcp, TestProbe Handler, Socket Peer) Open(int maxReadSize = 64 * 1024) =>
        // A drain far longer than any test: a loaded machine must not make the drain run out.
        _pairs.Open(this, TestSettings.Create($"actorws.tcp {{ max-read-size = {maxReadSize}, drain-timeout = 60s }}"));

    private static byte[] ReadExactly(Socket socket, int count) => SocketActorPairs.ReadExactly(socket, count, Wait);

    /// <summary>0 for a FIN, or the error the kernel reports (ConnectionReset for an RST).</summary>
    private static SocketError ReadEnd(Socket socket)
    {
        socket.ReceiveTimeout = (int)Wait.TotalMilliseconds;
        try
        {
            while (socket.Receive(new byte[4096]) > 0)
            {
            }
            return SocketError.Success;
        }
        catch (SocketException e)
        {
            return e.SocketErrorCode;
        }
    }

    private byte[] ReceiveBytes(TestProbe handler, int count)
    {
        var received = new List<byte>();
        while (received.Count < count)
            received.AddRange(handler.ExpectMsg<SocketRead>(Wait).Bytes.ToArray());
        return [.. received];
    }

    [Fact]
    public void Bytes_arrive_in_order_each_read_in_an_array_of_its_own_never_larger_than_the_read_size()
    {
        var (_, handler, peer) = Open(maxReadSize: 1000);
        var data = new byte[50_000];
        new Random(6455).NextBytes(data);
        peer.Send(data);
        var received = new List<byte>();
        var arrays = new HashSet<byte[]>(ReferenceEqualityComparer.Instance);
        while (received.Count < data.Length)
        {
            var chunk = handler.ExpectMsg<SocketRead>(Wait).Bytes;
            Assert.InRange(chunk.Count, 1, 1000);
            // Each read is handed over in an array of its own, which the reader may then overwrite.
            Assert.True(arrays.Add(chunk.Array!), "a read's array was used again");
            received.AddRange(chunk.ToArray());
        }
        Assert.Equal(data, received.ToArray());
    }

    [Fact]
    public void A_small_send_arrives_as_exactly_its_bytes()
    {
        var (_, handler, peer) = Open();
        peer.Send("abc"u8.ToArray());
        Assert.Equal("abc"u8.ToArray(), handler.ExpectMsg<SocketRead>(Wait).Bytes.ToArray());
    }

    [Fact]
    public async Task Writes_are_acknowledged_in_order_and_reach_the_peer()
    {
        var (tcp, handler, peer) = Open();
        var big = new byte[4 << 20]; // more than the kernel takes at once: the rest goes asynchronously
        new Random(1).NextBytes(big);
        Ack first = new("first"), second = new("second");
        tcp.Tell(Tcp.Write.Create(ByteString.FromBytes(big), first), handler.Ref);
        tcp.Tell(Tcp.Write.Create(ByteString.FromBytes("tail"u8.ToArray()), second), handler.Ref);
        var read = Task.Run(() => ReadExactly(peer, big.Length + 4));
        await handler.ExpectMsgAsync(first, Wait);
        await handler.ExpectMsgAsync(second, Wait);
        var bytes = await read.WaitAsync(Wait);
        Assert.Equal(big, bytes[..big.Length]);
        Assert.Equal("tail"u8.ToArray(), bytes[big.Length..]);
    }

    [Fact]
    public void Suspended_reading_delivers_nothing_until_resumed_and_then_everything()
    {
        var (tcp, handler, peer) = Open();
        peer.Send("one"u8.ToArray());
        Assert.Equal("one"u8.ToArray(), handler.ExpectMsg<SocketRead>(Wait).Bytes.ToArray());
        tcp.Tell(Tcp.SuspendReading.Instance, handler.Ref);
        // The suspension is ordered before the next send: the peer's bytes now wait in the kernel.
        tcp.Tell(new Identify(1), handler.Ref);
        handler.ExpectMsg<ActorIdentity>(Wait);
        peer.Send("two"u8.ToArray());
        handler.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        tcp.Tell(Tcp.ResumeReading.Instance, handler.Ref);
        Assert.Equal("two"u8.ToArray(), ReceiveBytes(handler, 3));
    }

    [Fact]
    public void Peer_FIN_is_PeerClosed_for_the_handler_and_the_actor_stops()
    {
        var (tcp, handler, peer) = Open();
        Watch(tcp);
        peer.Send("last"u8.ToArray());
        peer.Shutdown(SocketShutdown.Send);
        Assert.Equal("last"u8.ToArray(), ReceiveBytes(handler, 4));
        handler.ExpectMsg<Tcp.PeerClosed>(Wait);
        ExpectTerminated(tcp, Wait);
    }

    [Fact]
    public void Close_sends_the_queued_writes_then_FIN_and_answers_Closed()
    {
        var (tcp, handler, peer) = Open();
        Watch(tcp);
        tcp.Tell(Tcp.Write.Create(ByteString.FromBytes("bye"u8.ToArray())), handler.Ref);
        tcp.Tell(Tcp.Close.Instance, handler.Ref);
        handler.ExpectMsg<Tcp.Closed>(Wait);
        Assert.Equal("bye"u8.ToArray(), ReadExactly(peer, 3));
        Assert.Equal(SocketError.Success, ReadEnd(peer));
        ExpectTerminated(tcp, Wait);
    }

    [Fact]
    public void After_Close_what_the_peer_still_sends_is_dropped_without_a_reset()
    {
        var (tcp, handler, peer) = Open();
        tcp.Tell(Tcp.Write.Create(ByteString.FromBytes("close frame"u8.ToArray())), handler.Ref);
        tcp.Tell(Tcp.Close.Instance, handler.Ref);
        handler.ExpectMsg<Tcp.Closed>(Wait);
        // The peer answers after our FIN, as a WebSocket peer answers a close frame: a socket closed
        // outright would reset, and a reset may destroy "close frame" before the peer reads it.
        peer.Send("reply"u8.ToArray());
        peer.Send("more"u8.ToArray());
        Assert.Equal("close frame"u8.ToArray(), ReadExactly(peer, 11));
        Assert.Equal(SocketError.Success, ReadEnd(peer));
        handler.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void Abort_resets_the_connection_and_answers_Aborted()
    {
        var (tcp, handler, peer) = Open();
        tcp.Tell(Tcp.Abort.Instance, handler.Ref);
        handler.ExpectMsg<Tcp.Aborted>(Wait);
        Assert.Equal(SocketError.ConnectionReset, ReadEnd(peer));
    }

    [Fact]
    public void Write_after_close_fails_instead_of_vanishing()
    {
        var (tcp, handler, _) = Open();
        var probe = CreateTestProbe();
        probe.Watch(tcp);
        tcp.Tell(Tcp.Close.Instance, handler.Ref);
        var write = Tcp.Write.Create(ByteString.FromBytes("late"u8.ToArray()), new Ack("late"));
        tcp.Tell(write, probe.Ref);
        // Either the close was still flushing (CommandFailed) or the actor had already stopped.
        var answer = probe.ExpectMsg<object>(Wait);
        Assert.True(answer is Tcp.CommandFailed or Terminated, $"got {answer}");
    }

    [Fact]
    public void Handler_that_stops_gets_its_queued_writes_sent_before_the_socket_is_dropped()
    {
        var (tcp, handler, peer) = Open();
        Watch(tcp);
        tcp.Tell(Tcp.Write.Create(ByteString.FromBytes("HTTP/1.1 400 Bad Request\r\n\r\n"u8.ToArray())), handler.Ref);
        // What the connection actor tells from its PostStop (ConnectionStopTests), in place of a watch.
        tcp.Tell(StopSignals.HandlerStopped.Instance, handler.Ref);
        Assert.Equal("HTTP/1.1 400 Bad Request\r\n\r\n"u8.ToArray(), ReadExactly(peer, 28));
        ExpectTerminated(tcp, Wait);
        Assert.Equal(SocketError.ConnectionReset, ReadEnd(peer)); // dropped: an abort, not a FIN
    }

    [Fact]
    public void Socket_actor_stopped_from_outside_tells_its_handler_and_resets_the_connection()
    {
        var (tcp, handler, peer) = Open();
        Watch(tcp);
        tcp.Sync(); // registered: a stop, a system message, would overtake the Register
        Sys.Stop(tcp);
        ExpectTerminated(tcp, Wait);
        handler.ExpectMsg<StopSignals.SocketStopped>(Wait);
        Assert.Equal(SocketError.ConnectionReset, ReadEnd(peer));
    }

    [Fact]
    public void Socket_actor_that_ends_TCP_itself_says_why_once_and_nothing_more()
    {
        var (tcp, handler, peer) = Open();
        Watch(tcp);
        peer.Shutdown(SocketShutdown.Send);
        handler.ExpectMsg<Tcp.PeerClosed>(Wait);
        ExpectTerminated(tcp, Wait);
        // Its PostStop ran before Terminated was sent: a SocketStopped would be here by now.
        Assert.False(handler.HasMessages);
    }

    public new void Dispose()
    {
        _pairs.Dispose();
        base.Dispose();
    }
}
