using Akka.Actor;
using Akka.IO;
using Akka.TestKit;
using ActorWs.Protocol;
using Xunit.Abstractions;

namespace ActorWs.Tests;

/// <summary>
/// How the handler's pace bounds reading (actorws.messages.demand): automatic demand learns what the
/// handler has handled from an Identify behind the messages, which any actor, local or remote,
/// answers in mailbox order; explicit demand hands over only what RequestMessages asked for. No
/// timer is involved: every step here is driven by a message.
/// </summary>
public sealed class DemandTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(AkkaConfig.Patient, output: output)
{
    private sealed record Reader(IActorRef Ref, TestProbe Tcp, TestProbe Writer, TestProbe Closer, TestProbe Parent);

    private Reader StartReader(string hocon, IActorRef handler)
    {
        var tcp = CreateTestProbe();
        var writer = CreateTestProbe();
        var closer = CreateTestProbe();
        var parent = CreateTestProbe();
        var others = CreateTestProbe();
        var settings = TestSettings.Create(hocon);
        Sys.ActorOf(StepParent.Props(ReaderActor.Props(Role.Server, settings, tcp.Ref, handler, writer.Ref, others.Ref, closer.Ref,
            LifecycleTrace.Off(Sys, Role.Server)), "reader", parent.Ref));
        return new Reader(parent.ExpectMsg<IActorRef>(), tcp, writer, closer, parent);
    }

    private static byte[] Binaries(int from, int count) =>
        Wire.Concat(Enumerable.Range(from, count).Select(i => Wire.Frame(Opcode.Binary, [(byte)i], masked: true)).ToArray());

    private static void Send(IActorRef reader, byte[] bytes) => reader.Tell(new Tcp.Received(ByteString.FromBytes(bytes)));

    private static byte ExpectBinary(TestProbe handler) => Assert.Single(Assert.IsType<BinaryReceived>(handler.ExpectMsg<RemoteLikeRef.Got>().Message).Data);

    private static RemoteLikeRef.Got ExpectProbe(TestProbe handler)
    {
        var got = handler.ExpectMsg<RemoteLikeRef.Got>();
        Assert.IsType<Identify>(got.Message);
        return got;
    }

    private static void Answer(RemoteLikeRef.Got probe) =>
        probe.Sender.Tell(new ActorIdentity(((Identify)probe.Message).MessageId, null));

    [Fact]
    public void Automatic_demand_pauses_reading_past_the_window_of_a_remote_handler_and_resumes_on_the_probes_answers()
    {
        var handler = CreateTestProbe();
        var remote = new RemoteLikeRef(handler.Ref, ((ExtendedActorSystem)Sys).Provider);
        var r = StartReader("actorws.limits.max-handler-backlog = 4", remote);

        Send(r.Ref, Binaries(1, 6));
        // A probe once half the window (2) is out, behind the messages before it.
        Assert.Equal(1, ExpectBinary(handler));
        Assert.Equal(2, ExpectBinary(handler));
        var first = ExpectProbe(handler);
        for (byte i = 3; i <= 6; i++)
            Assert.Equal(i, ExpectBinary(handler));
        // 6 out, none known handled: past the window of 4.
        r.Tcp.ExpectMsg<Tcp.SuspendReading>();

        // A chunk read before the socket stopped waits unparsed.
        Send(r.Ref, Binaries(7, 1));
        r.Ref.Sync();
        Assert.False(handler.HasMessages);

        // The first answer: 2 handled, 4 still out, not yet down to half: another probe, still paused.
        Answer(first);
        var second = ExpectProbe(handler);
        r.Ref.Sync();
        Assert.False(r.Tcp.HasMessages);
        Assert.False(handler.HasMessages);

        // The second: all 6 handled. Reading resumes and the waiting chunk is parsed.
        Answer(second);
        r.Tcp.ExpectMsg<Tcp.ResumeReading>();
        Assert.Equal(7, ExpectBinary(handler));
    }

    [Fact]
    public void Automatic_demand_with_a_local_handler_never_pauses_while_it_keeps_up()
    {
        // A probe is a local actor: it answers the Identify itself, in mailbox order.
        var handler = CreateTestProbe();
        var r = StartReader("actorws.limits.max-handler-backlog = 10", handler.Ref);
        for (int round = 0; round < 10; round++)
        {
            Send(r.Ref, Binaries(round * 4, 4));
            for (int i = 0; i < 4; i++)
                handler.ExpectMsg<BinaryReceived>();
            r.Ref.Sync(); // the probe's answer, if one was due, is handled before this
        }
        Assert.False(r.Tcp.HasMessages);
    }

    [Fact]
    public void A_backlog_limit_of_0_sends_no_probe_and_never_pauses()
    {
        var handler = CreateTestProbe();
        var r = StartReader("actorws.limits.max-handler-backlog = 0", new RemoteLikeRef(handler.Ref, ((ExtendedActorSystem)Sys).Provider));
        Send(r.Ref, Binaries(0, 50));
        for (int i = 0; i < 50; i++)
            Assert.Equal(i, ExpectBinary(handler));
        r.Ref.Sync();
        Assert.False(handler.HasMessages); // no Identify
        Assert.False(r.Tcp.HasMessages);   // no SuspendReading
    }

    private const string Explicit = "actorws.messages.demand = explicit";

    [Fact]
    public void Explicit_demand_delivers_exactly_what_was_asked_pauses_at_0_and_resumes_on_RequestMessages()
    {
        var handler = CreateTestProbe();
        var r = StartReader(Explicit, handler.Ref);
        Send(r.Ref, Binaries(1, 5));
        r.Tcp.ExpectMsg<Tcp.SuspendReading>();
        Assert.False(handler.HasMessages);

        r.Ref.Tell(new RequestMessages(2));
        Assert.Equal([1], handler.ExpectMsg<BinaryReceived>().Data);
        Assert.Equal([2], handler.ExpectMsg<BinaryReceived>().Data);
        r.Ref.Sync();
        Assert.False(handler.HasMessages);
        Assert.False(r.Tcp.HasMessages); // demand is 0 again: still paused

        r.Ref.Tell(new RequestMessages(10));
        for (byte i = 3; i <= 5; i++)
            Assert.Equal([i], handler.ExpectMsg<BinaryReceived>().Data);
        r.Tcp.ExpectMsg<Tcp.ResumeReading>();
        // 7 asked for and not yet used: the next chunk goes straight through.
        Send(r.Ref, Binaries(6, 2));
        Assert.Equal([6], handler.ExpectMsg<BinaryReceived>().Data);
        Assert.Equal([7], handler.ExpectMsg<BinaryReceived>().Data);
    }

    [Fact]
    public void Explicit_demand_keeps_chunks_read_meanwhile_in_order()
    {
        var handler = CreateTestProbe();
        var r = StartReader(Explicit, handler.Ref);
        Send(r.Ref, Binaries(1, 3));
        Send(r.Ref, Binaries(4, 3));
        Send(r.Ref, Binaries(7, 3));
        for (int asked = 0; asked < 9; asked += 2)
        {
            r.Ref.Tell(new RequestMessages(2));
            for (int i = asked + 1; i <= Math.Min(asked + 2, 9); i++)
                Assert.Equal([(byte)i], handler.ExpectMsg<BinaryReceived>().Data);
        }
    }

    [Fact]
    public void A_close_frame_behind_undelivered_messages_reaches_the_coordinator_only_after_them()
    {
        var handler = CreateTestProbe();
        var r = StartReader(Explicit, handler.Ref);
        Send(r.Ref, Wire.Concat(Binaries(1, 2), Wire.Frame(Opcode.Close, [0x03, 0xE8], masked: true)));
        r.Ref.Tell(Tcp.PeerClosed.Instance); // TCP's end, behind the close frame
        r.Ref.Sync();
        Assert.False(r.Closer.HasMessages);

        r.Ref.Tell(new RequestMessages(1));
        handler.ExpectMsg<BinaryReceived>();
        r.Ref.Sync();
        Assert.False(r.Closer.HasMessages);

        r.Ref.Tell(new RequestMessages(1));
        handler.ExpectMsg<BinaryReceived>();
        Assert.Equal(CloseCodes.NormalClosure, r.Closer.ExpectMsg<CloseCoordinator.CloseReceived>().Status.Code);
        r.Closer.ExpectMsg<Tcp.PeerClosed>();
    }

    [Fact]
    public void With_no_demand_a_ping_is_still_answered()
    {
        var handler = CreateTestProbe();
        var r = StartReader(Explicit, handler.Ref);
        Send(r.Ref, Wire.Frame(Opcode.Ping, "hi"u8, masked: true));
        Assert.Equal("hi"u8.ToArray(), r.Writer.ExpectMsg<WriterActor.SendPong>().Payload);
    }

    [Fact]
    public void RequestMessages_told_to_the_connection_reaches_the_reader()
    {
        var c = new ProbeConnection(this, TestSettings.Create(Explicit));
        var opened = c.Open();
        c.Receive(Wire.Frame(Opcode.Text, "one"u8, masked: true));
        c.Tcp.ExpectMsg<Tcp.SuspendReading>();
        opened.Connection.Tell(new RequestMessages(2)); // Opened.Connection is the writer
        Assert.Equal("one", c.App.ExpectMsg<TextReceived>().Text);
        c.Tcp.ExpectMsg<Tcp.ResumeReading>(); // one asked for is left
    }

    [Fact]
    public void RequestMessages_before_any_frame_starts_the_reader_and_the_demand_is_kept()
    {
        // The reader starts with the first bytes or the first RequestMessages, whichever comes first:
        // demand asked for while no frame had come must not be lost.
        var c = new ProbeConnection(this, TestSettings.Create(Explicit));
        var opened = c.Open();
        Assert.Null(Sys.Identify(c.Connection.Path / "reader")); // idle: no reader yet
        opened.Connection.Tell(new RequestMessages(1)); // Opened.Connection is the writer, which passes it on
        opened.Connection.Sync();
        c.Connection.Sync();
        c.Sync("reader"); // started by it
        c.Receive(Wire.Frame(Opcode.Text, "one"u8, masked: true));
        Assert.Equal("one", c.App.ExpectMsg<TextReceived>().Text); // without the demand it would wait
        c.Tcp.ExpectMsg<Tcp.SuspendReading>(); // and the demand is used up
    }
}
