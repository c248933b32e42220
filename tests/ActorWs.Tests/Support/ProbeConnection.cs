using System.Net;
using Akka.Actor;
using Akka.IO;
using Akka.TestKit;
using ActorWs.Protocol;

namespace ActorWs.Tests;

/// <summary>
/// A server connection actor under test with a probe standing in for the Akka.IO connection: the
/// probe receives Tcp.Register and Tcp.Write; the test sends Tcp.Received. What the connection
/// writes is read with ActorWs.Testing's <see cref="FrameReader"/>, not with the code under test.
/// </summary>
internal sealed class ProbeConnection
{
    /// <summary>The remote address the connection is told it has: no socket is behind it.</summary>
    private static readonly IPEndPoint Peer = new(IPAddress.Loopback, 50000);
    private static readonly IPEndPoint Local = new(IPAddress.Loopback, 8765);

    public TestProbe Tcp { get; }
    public TestProbe App { get; }
    public IActorRef Connection { get; }
    private readonly TestKitBase _kit;

    public ProbeConnection(TestKitBase kit, WebSocketSettings settings, string id = "conn-1", Props? handler = null, UpgradeDecider? decider = null)
    {
        _kit = kit;
        Tcp = kit.CreateTestProbe("tcp");
        App = kit.CreateTestProbe("app");
        Connection = kit.Sys.ActorOf(ConnectionActor.ForServer(settings, Tcp.Ref, Peer, Local, handler ?? ForwardingHandler.Props(App.Ref), decider, id), id);
        Tcp.ExpectMsg<Akka.IO.Tcp.Register>();
    }

    public void Receive(byte[] bytes) => Connection.Tell(new Akka.IO.Tcp.Received(ByteString.FromBytes(bytes)), Tcp.Ref);

    /// <summary>Sends §1.3's sample request and expects the 101 with its accept, and Opened.</summary>
    public Opened Open(byte[]? sameChunk = null)
    {
        Receive(Wire.Concat(Wire.Ascii(Wire.UpgradeRequest()), sameChunk ?? []));
        var response = System.Text.Encoding.ASCII.GetString(Tcp.ExpectMsg<Akka.IO.Tcp.Write>().Data.ToArray());
        Assert.StartsWith("HTTP/1.1 101 Switching Protocols\r\n", response);
        Assert.Contains($"Sec-WebSocket-Accept: {Wire.SampleAccept}\r\n", response);
        App.ExpectMsg<ForwardingHandler.Started>();
        return App.ExpectMsg<Opened>();
    }

    /// <summary>The next write of the connection's writer, read as frames a server sends, and acked
    /// unless told not to.</summary>
    public List<WireFrame> ExpectFrames(bool ack = true, TimeSpan? timeout = null)
    {
        var write = Tcp.ExpectMsg<Akka.IO.Tcp.Write>(timeout);
        // Read before the ack: the writer's buffer goes back to the pool on the ack.
        var frames = FrameReader.ReadAll(write.Data.ToArray(), Role.Server);
        if (ack)
            Tcp.LastSender.Tell(write.Ack);
        return frames;
    }

    public WireFrame ExpectFrame(bool ack = true, TimeSpan? timeout = null) => Assert.Single(ExpectFrames(ack, timeout));

    /// <summary>Returns once <paramref name="child"/> of the connection has processed every message
    /// sent to it before this call (an Identify round trip through its mailbox).</summary>
    public void Sync(string child) => _kit.Sys.Sync(Connection.Path / child);

    public IActorRef Child(string name) => _kit.Sys.Sync(Connection.Path / name);
}
