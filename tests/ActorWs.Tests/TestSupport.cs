using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Akka.Actor;
using Akka.Configuration;
using Akka.IO;
using Akka.TestKit;
using ActorWs.Protocol;

namespace ActorWs.Tests;

/// <summary>Settings and configuration snippets shared by the tests.</summary>
internal static class TestConfig
{
    /// <summary>Every test kit's config: a message a test waits for gets 10 s instead of Akka's 3 s
    /// before the test fails. A wait ends as soon as its message comes, so a passing test is no
    /// slower; on a machine running two test suites at once, 3 s for a first message (JIT, thread
    /// pool growth) was not enough.</summary>
    public const string Kit = "akka.test.single-expect-default = 10s";

    /// <summary><see cref="Kit"/> with virtual time: timers fire only when a test advances the scheduler.</summary>
    public const string VirtualTime = Kit + "\nakka.scheduler.implementation = \"Akka.TestKit.TestScheduler, Akka.TestKit\"";

    /// <summary>What the Ask-based sync helpers wait before failing.</summary>
    public static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Settings on loopback, port 0, keep-alive off, short real-time waits.</summary>
    public static WebSocketSettings Settings(string extra = "")
        => WebSocketSettings.Create(ConfigurationFactory.ParseString($$"""
            actorws {
              host = "127.0.0.1"
              port = 0
              keep-alive.ping-interval = 0s
              close.timeout = 2s
              close.fin-wait-timeout = 1s
              reconnect.enabled = off
              trace-lifecycle = on
            }
            {{extra}}
            """));
}

/// <summary>A handler actor that forwards everything it receives to a probe, and says when it starts.</summary>
public sealed class ForwardingHandler : ReceiveActor
{
    public sealed record Started(IActorRef Handler);

    public ForwardingHandler(IActorRef target)
    {
        target.Tell(new Started(Self));
        ReceiveAny(m => target.Forward(m));
    }

    public static Props Props(IActorRef target) => Akka.Actor.Props.Create(() => new ForwardingHandler(target));
}

/// <summary>The echo handler: text back as text, binary back as binary. "close:CODE:REASON" makes
/// it close the connection; "throw" makes it throw.</summary>
public sealed class EchoHandler : ReceiveActor
{
    private IActorRef _connection = ActorRefs.Nobody;

    public EchoHandler(IActorRef? observer)
    {
        Receive<Opened>(o =>
        {
            _connection = o.Connection;
            observer?.Tell(o);
        });
        Receive<TextReceived>(m => m.Text.StartsWith("close:", StringComparison.Ordinal), m =>
        {
            var parts = m.Text.Split(':', 3);
            _connection.Tell(new Close(ushort.Parse(parts[1]), parts[2]));
        });
        Receive<TextReceived>(m => m.Text == "stop", _ => Context.Stop(Self));
        Receive<TextReceived>(m => m.Text == "throw", _ => throw new InvalidOperationException("handler failed on purpose"));
        Receive<TextReceived>(m => _connection.Tell(new SendText(m.Text)));
        Receive<BinaryReceived>(m => _connection.Tell(new SendBinary(m.Data)));
        Receive<Closed>(c => observer?.Tell(c));
        ReceiveAny(_ => { });
    }

    public static Props Props(IActorRef? observer = null) => Akka.Actor.Props.Create(() => new EchoHandler(observer));
}

/// <summary>A parent for a lone child under test: everything the child sends to its parent goes
/// to the probe, and a failing child is reported to the probe and stopped.</summary>
public sealed class StepParent : ReceiveActor
{
    public sealed record ChildFailed(Exception Cause);

    private readonly IActorRef _probe;

    public StepParent(Props child, string name, IActorRef probe)
    {
        _probe = probe;
        var c = Context.ActorOf(child, name);
        probe.Tell(c);
        ReceiveAny(m => probe.Forward(m));
    }

    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(e =>
    {
        _probe.Tell(new ChildFailed(e));
        return Directive.Stop;
    });

    public static Props Props(Props child, string name, IActorRef probe) =>
        Akka.Actor.Props.Create(() => new StepParent(child, name, probe));
}

internal static class KitExtensions
{
    /// <summary>Prints the lifecycle trace into the test's output (shown when a test fails).</summary>
    public static void TraceToOutput(this TestKitBase kit, Xunit.Abstractions.ITestOutputHelper output)
    {
        var printer = kit.Sys.ActorOf(Props.Create(() => new TracePrinter(output)));
        kit.Sys.EventStream.Subscribe(printer, typeof(LifecycleEvent));
    }

    private sealed class TracePrinter : ReceiveActor
    {
        public TracePrinter(Xunit.Abstractions.ITestOutputHelper output) =>
            Receive<LifecycleEvent>(e => output.WriteLine($"{e.Connection} {e}"));
    }

    /// <summary>Returns once <paramref name="actor"/> has processed every message sent to it before
    /// this call: an Identify round trip through its mailbox.</summary>
    public static IActorRef? Identify(this TestKitBase kit, ActorPath path) =>
        kit.Sys.ActorSelection(path).Ask<ActorIdentity>(new Identify(null), TestConfig.AskTimeout).Result.Subject;

    public static void Sync(this TestKitBase kit, IActorRef actor) =>
        actor.Ask<ActorIdentity>(new Identify(null), TestConfig.AskTimeout).Wait();
}

/// <summary>A frame seen on the wire, decoded.</summary>
public sealed record WireFrame(Opcode Opcode, bool Fin, bool Masked, uint MaskKey, byte[] Payload)
{
    public string Text => Encoding.UTF8.GetString(Payload);
    public ushort CloseCode => Payload.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(Payload) : CloseCodes.NoStatusReceived;
    public string CloseReason => Payload.Length > 2 ? Encoding.UTF8.GetString(Payload, 2, Payload.Length - 2) : "";
}

internal static class Wire
{
    public static readonly IPEndPoint Peer = new(IPAddress.Loopback, 50000);

    /// <summary>Decodes every frame in bytes written by an endpoint in <paramref name="writer"/>'s role.</summary>
    public static List<WireFrame> Decode(ReadOnlySpan<byte> bytes, Role writer)
    {
        var hex = Convert.ToHexString(bytes[..Math.Min(bytes.Length, 32)]);
        // The decoder's role is the receiver's: the other side.
        using var decoder = new FrameDecoder(writer == Role.Server ? Role.Client : Role.Server, long.MaxValue);
        var frames = new List<WireFrame>();
        while (true)
        {
            var decoded = decoder.Decode(bytes);
            bytes = bytes[decoded.Consumed..];
            if (decoded.Violation is { } violation)
                throw new InvalidOperationException($"bad frame on the wire: {violation} in {hex}");
            if (decoded.Status == ProtocolStatus.NeedMoreData)
                break;
            var frame = decoded.Value;
            frames.Add(new WireFrame(frame.Opcode, frame.Fin, frame.Header.Masked, frame.Header.MaskKey, frame.Payload.ToArray()));
        }
        if (decoder.HasPartialFrame)
            throw new InvalidOperationException("a partial frame on the wire");
        return frames;
    }

    /// <summary>A frame as a client sends it: masked.</summary>
    public static byte[] ClientFrame(Opcode opcode, ReadOnlySpan<byte> payload, bool fin = true) =>
        FrameEncoder.Encode(opcode, payload, fin, masked: true);

    public static byte[] ClientText(string text, bool fin = true) => ClientFrame(Opcode.Text, Encoding.UTF8.GetBytes(text), fin);

    public static byte[] ClientClose(ushort code, string reason = "") =>
        ClientFrame(Opcode.Close, new CloseStatus(code, reason).ToPayload());

    public const string Key = "dGhlIHNhbXBsZSBub25jZQ==";
    public const string ExpectedAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

    public static string Request(string key = Key, string extraHeaders = "", string method = "GET", string version = "HTTP/1.1",
        string upgrade = "Upgrade: websocket\r\n", string wsVersion = "13")
        => $"{method} /chat {version}\r\nHost: 127.0.0.1\r\n{upgrade}Connection: Upgrade\r\n" +
           (key.Length > 0 ? $"Sec-WebSocket-Key: {key}\r\n" : "") +
           $"Sec-WebSocket-Version: {wsVersion}\r\n{extraHeaders}\r\n";

    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();
}

/// <summary>
/// A server connection actor under test with a probe standing in for the Akka.IO connection: the
/// probe receives Tcp.Register and Tcp.Write; the test sends Tcp.Received.
/// </summary>
internal sealed class ProbeConnection
{
    public TestProbe Tcp { get; }
    public TestProbe App { get; }
    public IActorRef Connection { get; }
    private readonly TestKitBase _kit;

    public ProbeConnection(TestKitBase kit, WebSocketSettings settings, string id = "conn-1", Props? handler = null)
    {
        _kit = kit;
        Tcp = kit.CreateTestProbe("tcp");
        App = kit.CreateTestProbe("app");
        Connection = kit.Sys.ActorOf(ConnectionActor.ForServer(settings, Tcp.Ref, Wire.Peer, handler ?? ForwardingHandler.Props(App.Ref), id), id);
        Tcp.ExpectMsg<Akka.IO.Tcp.Register>();
    }

    public void Receive(byte[] bytes) => Connection.Tell(new Akka.IO.Tcp.Received(ByteString.FromBytes(bytes)), Tcp.Ref);

    /// <summary>Sends the request and expects the 101 and Opened.</summary>
    public Opened Open(byte[]? sameChunk = null)
    {
        Receive(Wire.Concat(Encoding.ASCII.GetBytes(Wire.Request()), sameChunk ?? []));
        var response = Encoding.ASCII.GetString(Tcp.ExpectMsg<Akka.IO.Tcp.Write>().Data.ToArray());
        Assert.StartsWith("HTTP/1.1 101 Switching Protocols\r\n", response);
        Assert.Contains($"Sec-WebSocket-Accept: {Wire.ExpectedAccept}\r\n", response);
        App.ExpectMsg<ForwardingHandler.Started>();
        return App.ExpectMsg<Opened>();
    }

    /// <summary>The next write of the connection's writer, decoded, and acked unless told not to.</summary>
    public List<WireFrame> ExpectFrames(bool ack = true, TimeSpan? timeout = null)
    {
        var write = Tcp.ExpectMsg<Akka.IO.Tcp.Write>(timeout);
        // Decode before the ack: the writer's buffer goes back to the pool on the ack.
        var frames = Wire.Decode(write.Data.ToArray(), Role.Server);
        if (ack)
            Tcp.LastSender.Tell(write.Ack);
        return frames;
    }

    public WireFrame ExpectFrame(bool ack = true, TimeSpan? timeout = null) => Assert.Single(ExpectFrames(ack, timeout));

    /// <summary>Returns once <paramref name="child"/> of the connection has processed every message
    /// sent to it before this call (an Identify round trip through its mailbox).</summary>
    public void Sync(string child)
    {
        var id = _kit.Sys.ActorSelection(Connection.Path / child).Ask<ActorIdentity>(new Identify(child), TestConfig.AskTimeout).Result;
        Assert.NotNull(id.Subject);
    }

    public IActorRef Child(string name)
    {
        var id = _kit.Sys.ActorSelection(Connection.Path / name).Ask<ActorIdentity>(new Identify(name), TestConfig.AskTimeout).Result;
        return id.Subject ?? throw new InvalidOperationException($"no child {name}");
    }
}

/// <summary>Raw sockets for talking to a real server the way a broken or minimal client would.</summary>
internal static class RawSocket
{
    public static async Task<Socket> ConnectAsync(IPEndPoint endpoint)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(endpoint);
        return socket;
    }

    /// <summary>Reads until the server closes the connection (a read of 0), within the timeout.
    /// Returns everything read; throws if the server keeps the connection open.</summary>
    public static async Task<byte[]> ReadToEndAsync(Socket socket, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var all = new List<byte>();
        var buffer = new byte[4096];
        while (true)
        {
            int n;
            try
            {
                n = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
            {
                return all.ToArray();
            }
            if (n == 0)
                return all.ToArray();
            all.AddRange(buffer.AsSpan(0, n).ToArray());
        }
    }

    /// <summary>Reads exactly the HTTP head (to CRLFCRLF).</summary>
    public static async Task<string> ReadHeadAsync(Socket socket, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var head = new List<byte>();
        var one = new byte[1];
        while (head.Count < 4 || !(head[^4] == '\r' && head[^3] == '\n' && head[^2] == '\r' && head[^1] == '\n'))
        {
            int n = await socket.ReceiveAsync(one, SocketFlags.None, cts.Token);
            if (n == 0)
                throw new InvalidOperationException("connection closed inside the HTTP head");
            head.Add(one[0]);
        }
        return Encoding.ASCII.GetString(head.ToArray());
    }
}
