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
        c.Open();
        c.Sync("pinger"); // its timer is set up
        return c;
    }

    [Fact]
    public void Pinger_sends_a_ping_every_interval()
    {
        var writer = CreateTestProbe();
        var pinger = Sys.ActorOf(PingerActor.Props(TestSettings.Create("actorws.keep-alive { ping-interval = 10s, pong-timeout = 30s }"), writer.Ref, LifecycleTrace.Off(Sys, Role.Server)));
        pinger.Sync();
        Scheduler.Advance(TimeSpan.FromSeconds(9));
        pinger.Sync();
        writer.ExpectNoMsg(TimeSpan.Zero);
        for (long i = 1; i <= 3; i++)
        {
            Scheduler.Advance(i == 1 ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(10));
            var ping = writer.ExpectMsg<WriterActor.SendKeepAlivePing>();
            Assert.Equal(i, System.Buffers.Binary.BinaryPrimitives.ReadInt64BigEndian(ping.Payload));
            pinger.Tell(new PongReceived(ping.Payload));
        }
        pinger.Sync();
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
        c.Receive(Wire.Frame(Opcode.Pong, ping.Payload, masked: true));
        Assert.Equal(ping.Payload, c.App.ExpectMsg<PongReceived>().Payload);
        c.Sync("pinger"); // the pong has reached the pinger too

        Scheduler.Advance(TimeSpan.FromSeconds(5)); // the deadline of the first ping passes: cleared
        c.Tcp.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        Scheduler.Advance(TimeSpan.FromSeconds(5));
        var second = c.ExpectFrame();
        Assert.Equal(Opcode.Ping, second.Opcode);
        Assert.NotEqual(ping.Payload, second.Payload);
        c.Receive(Wire.Frame(Opcode.Pong, second.Payload, masked: true));
        c.App.ExpectMsg<PongReceived>();
        c.Sync("pinger");
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
