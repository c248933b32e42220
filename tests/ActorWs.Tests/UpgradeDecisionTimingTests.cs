using System.Text;
using Akka.Actor;
using Akka.IO;
using Akka.TestKit;
using ActorWs.Protocol;
using Xunit.Abstractions;

namespace ActorWs.Tests;

/// <summary>
/// A decider that is slow or gone, in virtual time with a probe for the Akka.IO connection: a
/// decision that never comes is answered 503 exactly at <c>actorws.handshake.timeout</c> (and its
/// token cancelled), and a decision actor that is not alive is answered 503 at once, with time
/// standing still, not at the timeout.
/// </summary>
public sealed class UpgradeDecisionTimingTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(AkkaConfig.VirtualTime, output: output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    private TestScheduler Scheduler => (TestScheduler)Sys.Scheduler;

    private static WebSocketSettings Settings() => TestSettings.Create("actorws.handshake.timeout = 5s");

    private static string Text(Tcp.Write write) => Encoding.UTF8.GetString(write.Data.ToArray());

    /// <summary>The connection answers with <paramref name="status"/>, closes TCP and stops, never having started the handler.</summary>
    private void ExpectRefusedWith(ProbeConnection c, string status)
    {
        Assert.StartsWith($"HTTP/1.1 {status}\r\n", Text(c.Tcp.ExpectMsg<Tcp.Write>()));
        c.Tcp.ExpectMsg<Tcp.Close>();
        ExpectTerminated(c.Connection);
        Assert.False(c.App.HasMessages);
    }

    [Fact]
    public void Decision_that_never_comes_answers_503_at_the_handshake_timeout_and_cancels_its_token()
    {
        var asked = CreateTestProbe();
        var decider = UpgradeDecider.FromFunction((_, token) =>
        {
            asked.Tell(token);
            return new TaskCompletionSource<UpgradeDecision>().Task; // never completes
        });
        var c = new ProbeConnection(this, Settings(), decider: decider);
        Watch(c.Connection);
        c.Receive(Wire.Ascii(Wire.UpgradeRequest()));
        var token = asked.ExpectMsg<CancellationToken>();

        Scheduler.Advance(Timeout - TimeSpan.FromMilliseconds(1));
        // The connection times the handshake and tells its handshake child: a timer fired early
        // would have been handled by both by now.
        c.Connection.Sync();
        c.Sync("handshake");
        c.Tcp.ExpectNoMsg(TimeSpan.Zero);
        Assert.False(token.IsCancellationRequested);

        Scheduler.Advance(TimeSpan.FromMilliseconds(1));
        ExpectRefusedWith(c, "503 Service Unavailable");
        // The decider may stop its work: nobody waits for it any more.
        AwaitCondition(() => token.IsCancellationRequested);
    }

    [Fact]
    public void Decision_actor_that_is_dead_answers_503_at_once_without_waiting_for_the_timeout()
    {
        var door = CreateTestProbe();
        Watch(door.Ref);
        Sys.Stop(door.Ref);
        ExpectTerminated(door.Ref);

        var c = new ProbeConnection(this, Settings(), decider: UpgradeDecider.FromActor(door.Ref));
        Watch(c.Connection);
        c.Receive(Wire.Ascii(Wire.UpgradeRequest()));
        // Virtual time stands still: only the watch can have answered.
        ExpectRefusedWith(c, "503 Service Unavailable");
    }

    [Fact]
    public void Decision_actor_that_stops_while_deciding_answers_503_at_once()
    {
        var door = CreateTestProbe();
        var c = new ProbeConnection(this, Settings(), decider: UpgradeDecider.FromActor(door.Ref));
        Watch(c.Connection);
        c.Receive(Wire.Ascii(Wire.UpgradeRequest()));
        door.ExpectMsg<UpgradeRequest>();
        c.Tcp.ExpectNoMsg(TimeSpan.Zero);

        Sys.Stop(door.Ref);
        ExpectRefusedWith(c, "503 Service Unavailable");
    }

    [Fact]
    public void Decision_actor_that_answers_just_in_time_opens_a_connection_the_timeout_no_longer_touches()
    {
        var door = CreateTestProbe();
        var c = new ProbeConnection(this, Settings(), decider: UpgradeDecider.FromActor(door.Ref));
        c.Receive(Wire.Ascii(Wire.UpgradeRequest()));
        door.ExpectMsg<UpgradeRequest>();
        Scheduler.Advance(Timeout - TimeSpan.FromMilliseconds(1));
        door.Reply(new UpgradeDecision.Accept(State: 42));

        Assert.StartsWith("HTTP/1.1 101 Switching Protocols\r\n", Text(c.Tcp.ExpectMsg<Tcp.Write>()));
        c.App.ExpectMsg<ForwardingHandler.Started>();
        Assert.Equal(42, c.App.ExpectMsg<Opened>().State);
        // Well past the handshake timeout, the connection is still open and reads.
        Scheduler.Advance(TimeSpan.FromSeconds(10));
        c.Receive(Wire.Frame(Opcode.Text, Wire.Utf8("still here"), masked: true));
        Assert.Equal("still here", c.App.ExpectMsg<TextReceived>().Text);
    }

    [Fact]
    public void Client_that_leaves_while_the_decider_decides_is_opened_then_closed_1006_in_the_order_it_happened()
    {
        // TCP's end waits behind the request being decided, as behind any chunk being judged: the
        // handler is never left with an OPEN connection whose TCP is gone.
        var door = CreateTestProbe();
        var c = new ProbeConnection(this, Settings(), decider: UpgradeDecider.FromActor(door.Ref));
        Watch(c.Connection);
        c.Receive(Wire.Ascii(Wire.UpgradeRequest()));
        door.ExpectMsg<UpgradeRequest>();
        c.Connection.Tell(Tcp.PeerClosed.Instance, c.Tcp.Ref);
        door.Reply(new UpgradeDecision.Accept());

        Assert.StartsWith("HTTP/1.1 101 ", Text(c.Tcp.ExpectMsg<Tcp.Write>()));
        c.App.ExpectMsg<ForwardingHandler.Started>();
        c.App.ExpectMsg<Opened>();
        var closed = c.App.ExpectMsg<Closed>();
        Assert.Equal((CloseCodes.AbnormalClosure, false), (closed.Code, closed.WasClean));
        ExpectTerminated(c.Connection);
    }
}
