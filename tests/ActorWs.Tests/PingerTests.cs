using Akka.Actor;
using Akka.IO;
using Akka.TestKit;
using ActorWs.Protocol;
using Xunit.Abstractions;

namespace ActorWs.Tests;

/// <summary>
/// Keep-alive (RFC 6455 §5.5.2, §5.5.3) in virtual time: a ping every interval, a pong clears the
/// deadline, and a silent peer gets a 1011 close and then a TCP abort.
/// </summary>
public sealed class PingerTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(AkkaConfig.VirtualTime, output: output)
{
    private TestScheduler Scheduler => (TestScheduler)Sys.Scheduler;

    private static WebSocketSettings KeepAlive() => TestSettings.Create("""
        actorws.keep-alive { ping-interval = 10s, pong-timeout = 5s }
        actorws.close.timeout = 3s
        """);

    private ProbeConnection OpenConnection()
    {
        var c = new ProbeConnection(this, KeepAlive());
        c.Open(); // the connection's interval timer is set before Opened is sent
        // Idle between pings: the pinger exists only from a ping to its pong.
        Assert.Throws<InvalidOperationException>(() => c.Child("pinger"));
        return c;
    }

    [Fact]
    public void Pinger_pings_when_started_and_on_each_tick_and_stops_on_a_pong()
    {
        var writer = CreateTestProbe();
        var pinger = Sys.ActorOf(PingerActor.Props(TestSettings.Create("actorws.keep-alive { ping-interval = 10s, pong-timeout = 30s }"), writer.Ref, LifecycleTrace.Off(Sys, Role.Server)));
        Watch(pinger);
        for (long i = 1; i <= 3; i++)
        {
            if (i > 1)
                pinger.Tell(PingerActor.Tick.Instance);
            var ping = writer.ExpectMsg<WriterActor.SendKeepAlivePing>();
            Assert.Equal(i, System.Buffers.Binary.BinaryPrimitives.ReadInt64BigEndian(ping.Payload));
        }
        pinger.Tell(new PongReceived([0, 0, 0, 0, 0, 0, 0, 3]));
        ExpectTerminated(pinger);
        Scheduler.Advance(TimeSpan.FromSeconds(30)); // its pong deadline was cancelled, not left to fire
        writer.ExpectNoMsg(TimeSpan.Zero);
    }

    [Fact]
    public void Ping_goes_on_the_wire_every_interval_and_a_pong_resets_the_deadline()
    {
        var c = OpenConnection();
        Watch(c.Connection);

        Scheduler.Advance(TimeSpan.FromSeconds(10));
        var ping = c.ExpectFrame();
        Assert.Equal(Opcode.Ping, ping.Opcode);
        var pinger = c.Child("pinger");
        Watch(pinger);
        c.Receive(Wire.Frame(Opcode.Pong, ping.Payload, masked: true));
        Assert.Equal(ping.Payload, c.App.ExpectMsg<PongReceived>().Payload);
        ExpectTerminated(pinger); // the pong reached it, and its work is done

        Scheduler.Advance(TimeSpan.FromSeconds(5)); // the deadline of the first ping passes: cleared
        c.Tcp.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        Scheduler.Advance(TimeSpan.FromSeconds(5));
        var second = c.ExpectFrame();
        Assert.Equal(Opcode.Ping, second.Opcode);
        pinger = c.Child("pinger");
        Watch(pinger);
        c.Receive(Wire.Frame(Opcode.Pong, second.Payload, masked: true));
        c.App.ExpectMsg<PongReceived>();
        ExpectTerminated(pinger);
        Scheduler.Advance(TimeSpan.FromSeconds(5));
        c.Tcp.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        c.App.ExpectNoMsg(TimeSpan.FromMilliseconds(50));
    }

    [Fact]
    public void No_pong_closes_with_1011_then_aborts_TCP_if_the_peer_stays_silent()
    {
        var c = OpenConnection();
        Watch(c.Connection);

        Scheduler.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(Opcode.Ping, c.ExpectFrame().Opcode);
        Scheduler.Advance(TimeSpan.FromSeconds(4));
        c.Tcp.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        Scheduler.Advance(TimeSpan.FromSeconds(1));
        var close = c.ExpectFrame();
        Assert.Equal(Opcode.Close, close.Opcode);
        Assert.Equal(CloseCodes.InternalError, close.CloseCode);
        c.Sync("close"); // its close timeout is running

        Scheduler.Advance(TimeSpan.FromSeconds(3));
        c.Tcp.ExpectMsg<Tcp.Abort>();
        var closed = c.App.ExpectMsg<Closed>();
        Assert.Equal(CloseCodes.InternalError, closed.Code);
        Assert.False(closed.WasClean);
        ExpectTerminated(c.Connection);
    }

    [Fact]
    public void No_pong_but_the_peer_answers_our_1011_close_ends_cleanly()
    {
        var c = OpenConnection();
        Scheduler.Advance(TimeSpan.FromSeconds(10));
        c.ExpectFrame();
        Scheduler.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(CloseCodes.InternalError, c.ExpectFrame().CloseCode);
        c.Receive(Wire.Frame(Opcode.Close, Wire.ClosePayload(CloseCodes.InternalError), masked: true));
        c.Tcp.ExpectMsg<Tcp.Close>(); // the server closes TCP first (§7.1.1)
        c.Connection.Tell(Tcp.Closed.Instance, c.Tcp.Ref);
        var closed = c.App.ExpectMsg<Closed>();
        Assert.Equal(CloseCodes.InternalError, closed.Code);
        Assert.True(closed.WasClean);
    }
}
