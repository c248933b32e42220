using Akka.Actor;
using Akka.IO;
using Akka.TestKit;
using ActorWs.Protocol;
using ActorWs.Transport;
using Xunit.Abstractions;

namespace ActorWs.Tests;

/// <summary>
/// The closing handshake (RFC 6455 §5.5.1, §7.1) in virtual time: who closes first, the timeouts,
/// the client's wait for the server's FIN, TCP lost without a handshake (1006), and codes that never
/// go on the wire.
/// </summary>
public sealed class CloseTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(AkkaConfig.VirtualTime, output: output)
{
    private TestScheduler Scheduler => (TestScheduler)Sys.Scheduler;

    private static WebSocketSettings Settings() => TestSettings.Create("actorws.close { timeout = 5s, fin-wait-timeout = 2s }");

    private ProbeConnection OpenConnection(out IActorRef handle)
    {
        var c = new ProbeConnection(this, Settings());
        handle = c.Open().Connection;
        Watch(c.Connection);
        return c;
    }

    [Fact]
    public void We_close_first_and_the_peer_answers_then_the_server_closes_TCP()
    {
        var c = OpenConnection(out var connection);
        connection.Tell(new Close(CloseCodes.NormalClosure, "done"));
        var close = c.ExpectFrame();
        Assert.Equal((CloseCodes.NormalClosure, "done"), (close.CloseCode, close.CloseReason));
        c.Receive(Wire.Frame(Opcode.Close, Wire.ClosePayload(CloseCodes.NormalClosure, "ok"), masked: true));
        c.Tcp.ExpectMsg<Tcp.Close>();
        c.Connection.Tell(Tcp.Closed.Instance, c.Tcp.Ref);
        Assert.Equal(new Closed(CloseCodes.NormalClosure, "ok", true), c.App.ExpectMsg<Closed>());
        ExpectTerminated(c.Connection);
    }

    [Fact]
    public void Peer_closes_first_and_its_code_is_echoed()
    {
        var c = OpenConnection(out _);
        c.Receive(Wire.Frame(Opcode.Close, Wire.ClosePayload(4001, "bye"), masked: true));
        var echo = c.ExpectFrame();
        Assert.Equal(Opcode.Close, echo.Opcode);
        Assert.Equal<ushort?>(4001, echo.CloseCode);
        c.Tcp.ExpectMsg<Tcp.Close>();
        c.Connection.Tell(Tcp.Closed.Instance, c.Tcp.Ref);
        Assert.Equal(new Closed(4001, "bye", true), c.App.ExpectMsg<Closed>());
        ExpectTerminated(c.Connection);
    }

    [Fact]
    public void Peer_close_without_a_code_is_answered_with_an_empty_close_and_reported_as_1005()
    {
        var c = OpenConnection(out _);
        c.Receive(Wire.Frame(Opcode.Close, [], masked: true));
        var echo = c.ExpectFrame();
        Assert.Equal(Opcode.Close, echo.Opcode);
        Assert.Empty(echo.Payload);
        c.Tcp.ExpectMsg<Tcp.Close>();
        c.Connection.Tell(Tcp.Closed.Instance, c.Tcp.Ref);
        Assert.Equal(new Closed(CloseCodes.NoStatusReceived, "", true), c.App.ExpectMsg<Closed>());
    }

    [Fact]
    public void Close_timeout_aborts_TCP_when_the_peer_never_answers()
    {
        var c = OpenConnection(out var connection);
        connection.Tell(new Close());
        c.ExpectFrame();
        c.Sync("close");
        Scheduler.Advance(TimeSpan.FromSeconds(4.9));
        c.Sync("close"); // an early timeout would have told TCP to abort by now
        c.Tcp.ExpectNoMsg(TimeSpan.Zero);
        Scheduler.Advance(TimeSpan.FromSeconds(0.1));
        c.Tcp.ExpectMsg<Tcp.Abort>();
        var closed = c.App.ExpectMsg<Closed>();
        Assert.Equal(CloseCodes.AbnormalClosure, closed.Code);
        Assert.False(closed.WasClean);
        ExpectTerminated(c.Connection);
    }

    [Fact]
    public void Client_waits_for_the_server_FIN_then_closes_TCP_itself_after_the_fin_wait()
    {
        var tcp = CreateTestProbe();
        var writer = CreateTestProbe();
        var parent = CreateTestProbe();
        Sys.ActorOf(StepParent.Props(CloseCoordinator.Props(Role.Client, Settings(), tcp.Ref, writer.Ref, ActorRefs.Nobody, LifecycleTrace.Off(Sys, Role.Client)), "close", parent.Ref));
        var closer = parent.ExpectMsg<IActorRef>();

        closer.Tell(new Close(CloseCodes.NormalClosure, "client done"));
        Assert.Equal(CloseCodes.NormalClosure, writer.ExpectMsg<WriterActor.SendCloseFrame>().Status!.Value.Code);
        closer.Tell(WriterActor.CloseFrameWritten.Instance);
        closer.Tell(new CloseCoordinator.CloseReceived(CloseStatus.Normal()));
        closer.Sync();

        Scheduler.Advance(TimeSpan.FromSeconds(1.9));
        closer.Sync();
        tcp.ExpectNoMsg(TimeSpan.Zero); // the server closes first (§7.1.1)
        Scheduler.Advance(TimeSpan.FromSeconds(0.1));
        tcp.ExpectMsg<Tcp.Close>();
        closer.Tell(Tcp.Closed.Instance);
        Assert.Equal(new Closed(CloseCodes.NormalClosure, "", true), parent.ExpectMsg<CloseCoordinator.Finished>().Closed);
    }

    [Fact]
    public void Client_that_gets_the_server_FIN_in_time_never_closes_TCP_itself()
    {
        var tcp = CreateTestProbe();
        var writer = CreateTestProbe();
        var parent = CreateTestProbe();
        Sys.ActorOf(StepParent.Props(CloseCoordinator.Props(Role.Client, Settings(), tcp.Ref, writer.Ref, ActorRefs.Nobody, LifecycleTrace.Off(Sys, Role.Client)), "close", parent.Ref));
        var closer = parent.ExpectMsg<IActorRef>();

        closer.Tell(new CloseCoordinator.CloseReceived(new CloseStatus(CloseCodes.GoingAway, "server shutting down")));
        Assert.Equal(CloseCodes.GoingAway, writer.ExpectMsg<WriterActor.SendCloseFrame>().Status!.Value.Code);
        closer.Tell(WriterActor.CloseFrameWritten.Instance);
        closer.Tell(Tcp.PeerClosed.Instance);
        Assert.Equal(new Closed(CloseCodes.GoingAway, "server shutting down", true), parent.ExpectMsg<CloseCoordinator.Finished>().Closed);
        Scheduler.Advance(TimeSpan.FromSeconds(10));
        closer.Sync(); // a timer that was still running has fired and been handled
        tcp.ExpectNoMsg(TimeSpan.Zero);
    }

    public static TheoryData<string> Losses => new() { "peer FIN", "TCP error", "socket actor stopped" };

    private static void LoseTcp(ProbeConnection c, string how)
    {
        switch (how)
        {
            case "peer FIN":
                c.Connection.Tell(Tcp.PeerClosed.Instance, c.Tcp.Ref);
                break;
            case "TCP error":
                c.Connection.Tell(new Tcp.ErrorClosed("Connection reset by peer"), c.Tcp.Ref);
                break;
            default:
                // What a socket actor stopped from outside tells its handler from PostStop
                // (SocketConnectionTests: Socket_actor_stopped_from_outside_…).
                c.Connection.Tell(StopSignals.SocketStopped.Instance, c.Tcp.Ref);
                c.Tcp.Ref.Tell(PoisonPill.Instance);
                break;
        }
    }

    [Theory]
    [MemberData(nameof(Losses))]
    public void TCP_lost_while_OPEN_is_reported_as_1006_not_clean(string how)
    {
        var c = OpenConnection(out _);
        LoseTcp(c, how);
        var closed = c.App.ExpectMsg<Closed>();
        Assert.Equal(CloseCodes.AbnormalClosure, closed.Code);
        Assert.False(closed.WasClean);
        ExpectTerminated(c.Connection);
    }

    [Theory]
    [MemberData(nameof(Losses))]
    public void TCP_lost_while_CLOSING_is_reported_as_1006_not_clean(string how)
    {
        var c = OpenConnection(out var connection);
        connection.Tell(new Close(CloseCodes.NormalClosure, "bye"));
        Assert.Equal(Opcode.Close, c.ExpectFrame().Opcode);
        LoseTcp(c, how);
        var closed = c.App.ExpectMsg<Closed>();
        Assert.Equal(CloseCodes.AbnormalClosure, closed.Code);
        Assert.False(closed.WasClean);
        ExpectTerminated(c.Connection);
    }

    [Fact]
    public void Connection_stopped_from_outside_tells_its_socket_actor_to_drop_TCP()
    {
        // In place of the socket actor watching it (SocketConnectionTests: what the socket does then).
        var c = OpenConnection(out _);
        Watch(c.Connection);
        Sys.Stop(c.Connection);
        c.Tcp.FishForMessage(m => m is StopSignals.HandlerStopped);
        ExpectTerminated(c.Connection);
    }

    [Fact]
    public void Violation_with_the_end_of_TCP_right_behind_it_reports_its_code_without_waiting_for_a_timeout()
    {
        // The FIN reaches the reader behind the bad frame, so it is in the reader's mailbox when the
        // reader fails; the connection must not lose it with that mailbox. In virtual time no
        // timeout can end the connection instead.
        var c = OpenConnection(out _);
        c.Receive(Wire.Frame(Opcode.Close, [3], masked: true)); // a 1-byte close payload: 1002
        c.Connection.Tell(Tcp.PeerClosed.Instance, c.Tcp.Ref);
        // Whether the close frame is still written before the connection stops its writer is a
        // race the peer cannot see (its TCP is gone); the handler's Closed is what must come.
        var closed = c.App.ExpectMsg<Closed>();
        Assert.Equal((CloseCodes.ProtocolError, false), (closed.Code, closed.WasClean));
        ExpectTerminated(c.Connection);
    }

    [Theory]
    [InlineData(CloseCodes.NoStatusReceived)]
    [InlineData(CloseCodes.AbnormalClosure)]
    [InlineData(CloseCodes.TlsHandshakeFailure)]
    [InlineData(999)]
    [InlineData(5000)]
    public void A_close_code_that_may_not_be_sent_is_refused_where_the_application_asks_for_it(ushort code)
    {
        var e = Assert.Throws<ArgumentException>(() => new Close(code, "app asked"));
        Assert.Contains($"{code}", e.Message);
    }

    [Fact]
    public void A_close_reason_over_123_UTF8_bytes_is_refused_where_the_application_asks_for_it()
    {
        Assert.Throws<ArgumentException>(() => new Close(CloseCodes.NormalClosure, new string('é', 62)));
        Assert.Equal(123, new CloseStatus(CloseCodes.NormalClosure, new string('a', 123)).ToPayload().Length - 2);
    }

    [Fact]
    public void After_a_close_the_connection_and_all_its_children_are_gone()
    {
        var c = OpenConnection(out var connection);
        // Idle, a connection has these two; the reader starts with the first bytes, the close
        // coordinator with the closing handshake.
        var children = new[] { "handler", "writer" }.Select(c.Child).ToList();
        Assert.Throws<InvalidOperationException>(() => c.Child("reader"));
        Assert.Throws<InvalidOperationException>(() => c.Child("close"));
        c.Receive(Wire.Frame(Opcode.Close, Wire.ClosePayload(CloseCodes.NormalClosure), masked: true));
        c.ExpectFrame();
        children.Add(c.Child("reader"));
        children.Add(c.Child("close"));
        foreach (var child in children)
            Watch(child);
        c.Tcp.ExpectMsg<Tcp.Close>();
        c.Connection.Tell(Tcp.Closed.Instance, c.Tcp.Ref);
        c.App.ExpectMsg<Closed>();
        var gone = new HashSet<IActorRef>();
        for (int i = 0; i < children.Count + 1; i++)
            gone.Add(ExpectMsg<Terminated>().ActorRef);
        Assert.Equal(children.Append(c.Connection).ToHashSet(), gone);
    }

    [Fact]
    public void Application_abort_drops_TCP_and_reports_1006()
    {
        var c = OpenConnection(out var connection);
        connection.Tell(Abort.Instance);
        c.Tcp.ExpectMsg<Tcp.Abort>();
        c.Connection.Tell(Tcp.Aborted.Instance, c.Tcp.Ref);
        var closed = c.App.ExpectMsg<Closed>();
        Assert.Equal(CloseCodes.AbnormalClosure, closed.Code);
        Assert.False(closed.WasClean);
    }

    /// <summary>A handler that is busy with a message until the test lets it go, then answers it.</summary>
    private sealed class BusyHandler : ReceiveActor
    {
        public BusyHandler(IActorRef writer, ManualResetEventSlim release)
        {
            Receive<TextReceived>(m =>
            {
                release.Wait(TimeSpan.FromMinutes(1));
                writer.Tell(new SendText("reply to " + m.Text));
            });
        }
    }

    private (IActorRef Closer, TestProbe Writer, TestProbe Parent, IActorRef Handler) CloserWithBusyHandler(Role role, ManualResetEventSlim release)
    {
        var tcp = CreateTestProbe();
        var writer = CreateTestProbe();
        var parent = CreateTestProbe();
        var handler = Sys.ActorOf(Props.Create(() => new BusyHandler(writer.Ref, release)));
        Sys.ActorOf(StepParent.Props(CloseCoordinator.Props(role, Settings(), tcp.Ref, writer.Ref, handler, LifecycleTrace.Off(Sys, role)), "close", parent.Ref));
        return (parent.ExpectMsg<IActorRef>(), writer, parent, handler);
    }

    [Theory]
    [InlineData(Role.Server)]
    [InlineData(Role.Client)]
    public void Peer_close_is_answered_after_the_handler_has_answered_the_messages_read_before_it(Role role)
    {
        using var release = new ManualResetEventSlim();
        var (closer, writer, _, handler) = CloserWithBusyHandler(role, release);
        handler.Tell(new TextReceived("last message"));
        closer.Tell(new CloseCoordinator.CloseReceived(CloseStatus.Normal()));
        closer.Sync();
        // Virtual time stands still: only the handler can let the close frame go.
        writer.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        release.Set();
        Assert.Equal("reply to last message", writer.ExpectMsg<SendText>().Text);
        Assert.Equal(CloseCodes.NormalClosure, writer.ExpectMsg<WriterActor.SendCloseFrame>().Status!.Value.Code);
    }

    [Fact]
    public void Failing_the_connection_on_a_read_violation_waits_for_the_handler_answers_then_sends_the_code()
    {
        using var release = new ManualResetEventSlim();
        var (closer, writer, _, handler) = CloserWithBusyHandler(Role.Server, release);
        handler.Tell(new TextReceived("valid message"));
        closer.Tell(new CloseCoordinator.FailConnection(CloseCodes.ProtocolError, "RSV2 set", WriterAlive: true, ReaderAlive: false));
        closer.Sync();
        writer.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        release.Set();
        Assert.Equal("reply to valid message", writer.ExpectMsg<SendText>().Text);
        Assert.Equal(CloseCodes.ProtocolError, writer.ExpectMsg<WriterActor.SendCloseFrame>().Status!.Value.Code);
    }

    [Fact]
    public void A_handler_that_does_not_catch_up_delays_the_close_frame_by_the_flush_timeout_only()
    {
        using var release = new ManualResetEventSlim();
        var (closer, writer, _, handler) = CloserWithBusyHandler(Role.Server, release);
        handler.Tell(new TextReceived("stuck"));
        closer.Tell(new CloseCoordinator.CloseReceived(new CloseStatus(4001, "bye")));
        closer.Sync();
        Scheduler.Advance(Settings().FlushTimeout - TimeSpan.FromMilliseconds(1));
        writer.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Scheduler.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(4001, writer.ExpectMsg<WriterActor.SendCloseFrame>().Status!.Value.Code);
        release.Set();
        // Its late answer reaches the writer after the close frame, which drops it (§5.5.1).
        writer.ExpectMsg<SendText>();
    }

    [Fact]
    public void Peer_that_closes_TCP_while_the_handler_catches_up_still_ends_with_its_close_code()
    {
        using var release = new ManualResetEventSlim();
        var (closer, _, parent, handler) = CloserWithBusyHandler(Role.Server, release);
        handler.Tell(new TextReceived("last"));
        closer.Tell(new CloseCoordinator.CloseReceived(new CloseStatus(CloseCodes.GoingAway, "leaving")));
        closer.Tell(Tcp.PeerClosed.Instance);
        Assert.Equal(new Closed(CloseCodes.GoingAway, "leaving", true), parent.ExpectMsg<CloseCoordinator.Finished>().Closed);
        release.Set();
    }
}
