using Akka.Actor;
using Akka.IO;
using ActorWs.Logging;
using ActorWs.Protocol;

namespace ActorWs.Connection;

/// <summary>
/// The closing handshake (RFC 6455 §7.1.2–§7.1.4, §5.5.1) and the TCP shutdown after it:
/// <list type="bullet">
/// <item>we close first: send our close frame, wait for the peer's (close timeout, then abort);</item>
/// <item>the peer closes first: echo its code, and the handshake is complete;</item>
/// <item>then the server closes TCP at once, and the client waits for the server's FIN (FIN-wait
/// timeout) so that the server holds TIME_WAIT (§7.1.1);</item>
/// <item>TCP lost before the handshake completed: 1006, reported locally and never sent (§7.1.5).</item>
/// </list>
/// When the close is the peer's doing (its close frame, or a violation in what it sent), the messages
/// read before it were already handed to the handler, and its answers to them may still be on their
/// way to the writer. The close frame waits for them: a marker (<see cref="Identify"/>, which every
/// actor answers in mailbox order) goes through the handler first, for at most
/// <c>close.flush-timeout</c>. A peer that sent a message and then closed (or broke the protocol)
/// still gets its reply, as from Node ws or python-websockets.
/// It tells its parent <see cref="Finished"/> exactly once.
/// </summary>
internal sealed class CloseCoordinator : UntypedActor, IWithTimers
{
    /// <summary>From the reader: the peer's close frame, parsed.</summary>
    public sealed record CloseReceived(CloseStatus Status);
    /// <summary>From the connection's supervisor: fail the connection with this code (§7.1.7).</summary>
    public sealed record FailConnection(ushort Code, string Reason, bool WriterAlive, bool ReaderAlive = true);
    /// <summary>From the connection: TCP is gone (the socket actor stopped).</summary>
    public sealed record TcpLost(string Why);
    /// <summary>To the parent: the connection is CLOSED.</summary>
    public sealed record Finished(Closed Closed);
    private sealed record CloseTimedOut
    {
        public static readonly CloseTimedOut Instance = new();
    }
    private sealed record FinWaitTimedOut
    {
        public static readonly FinWaitTimedOut Instance = new();
    }
    private sealed record FlushTimedOut
    {
        public static readonly FlushTimedOut Instance = new();
    }
    /// <summary>The id of the one Identify sent through the handler (a coordinator flushes once).</summary>
    private const string FlushMarker = "close-flush";

    private readonly Role _role;
    private readonly WebSocketSettings _settings;
    private readonly IActorRef _tcp;
    private readonly IActorRef _writer;
    private readonly IActorRef _handler;
    private readonly LifecycleTrace _trace;

    private CloseStatus? _sent;          // what our close frame carried
    private bool _failing;               // we are failing the connection with _sent's code
    private CloseStatus? _received;      // what the peer's close frame carried
    private bool _closeFrameWritten;
    private bool _finished;
    private Action? _afterFlush;         // what to do once the handler has caught up

    public ITimerScheduler Timers { get; set; } = null!;

    public CloseCoordinator(Role role, WebSocketSettings settings, IActorRef tcp, IActorRef writer, IActorRef handler, LifecycleTrace trace)
    {
        _role = role;
        _settings = settings;
        _tcp = tcp;
        _writer = writer;
        _handler = handler;
        _trace = trace;
        Become(Open);
    }

    protected override void OnReceive(object message) => Unhandled(message);

    public static Props Props(Role role, WebSocketSettings settings, IActorRef tcp, IActorRef writer, IActorRef handler, LifecycleTrace trace) =>
        Akka.Actor.Props.Create(() => new CloseCoordinator(role, settings, tcp, writer, handler, trace));

    private void Open(object message)
    {
        switch (message)
        {
            case Close c:
                StartClosing(new CloseStatus(c.Code, c.Reason), failing: false);
                break;
            case FailConnection f:
                Fail(f);
                break;
            case CloseReceived r:
                _received = r.Status;
                State("OPEN -> CLOSING");
                AfterHandlerCaughtUp(() =>
                {
                    // §5.5.1: answer with a close frame, echoing the status code.
                    _trace.PeerClosedFirst(r.Status);
                    _writer.Tell(new WriterActor.SendCloseFrame(r.Status.Code == CloseCodes.NoStatusReceived ? null : new CloseStatus(r.Status.Code, "")));
                    ShutdownTcp();
                });
                break;
            default:
                TcpLoss(message);
                break;
        }
    }

    private void Fail(FailConnection f)
    {
        if (!f.WriterAlive)
        {
            AbortTcp($"cannot send close {f.Code}: the writer is gone");
            Finish(new Closed(f.Code, f.Reason, false));
            return;
        }
        var status = new CloseStatus(f.Code, f.Reason);
        if (f.ReaderAlive)
        {
            StartClosing(status, failing: true);
            return;
        }
        // The reader failed on what the peer sent; the messages it read before that get their answers first.
        (_sent, _failing) = (status, true); // what the handler hears if TCP goes meanwhile
        AfterHandlerCaughtUp(() =>
        {
            StartClosing(status, failing: true);
            // The reader is stopped, so the peer's close frame can never be read: waiting for it
            // would only run out the close timeout and end in an abort. _Fail the WebSocket
            // Connection_ (§7.1.7) goes on to close TCP once our close frame is out (§7.1.1).
            Timers.Cancel(CloseTimedOut.Instance);
            _trace.NotWaitingForThePeersClose();
            ShutdownTcp();
        });
    }

    /// <summary>Runs <paramref name="then"/> once the handler has handled every message it was handed
    /// before now (so its replies are in the writer's mailbox ahead of our close frame), or after
    /// <c>close.flush-timeout</c> if it is busy or stuck.</summary>
    private void AfterHandlerCaughtUp(Action then)
    {
        if (_handler.IsNobody())
        {
            then();
            return;
        }
        _afterFlush = then;
        _handler.Tell(new Identify(FlushMarker), Self);
        Timers.StartSingleTimer(FlushTimedOut.Instance, FlushTimedOut.Instance, _settings.FlushTimeout);
        Become(Flushing);
    }

    private void Flushing(object message)
    {
        switch (message)
        {
            case ActorIdentity { MessageId: FlushMarker }:
            case FlushTimedOut:
                Timers.Cancel(FlushTimedOut.Instance);
                var then = _afterFlush!;
                _afterFlush = null;
                then();
                break;
            case ActorIdentity or Close or FailConnection or CloseReceived:
                break; // already closing; a late FailConnection's cause changes nothing now
            case Tcp.ConnectionClosed or TcpLost when _received is not null:
                // The peer closed TCP right after its close frame, before we could answer: the
                // handshake is the peer's to have completed, and its code is what counts (§7.1.5).
                Finish(CleanResult());
                break;
            default:
                TcpLoss(message);
                break;
        }
    }

    /// <summary><paramref name="status"/>'s code may be sent: <see cref="Close"/> checks the
    /// application's, and failures carry codes of the close-code policy.</summary>
    private void StartClosing(CloseStatus status, bool failing)
    {
        status = status.WithReasonThatFits();
        _sent = status;
        _failing = failing;
        // Timed from before the frame goes out: whoever sees the frame may count on the timer running.
        Timers.StartSingleTimer(CloseTimedOut.Instance, CloseTimedOut.Instance, _settings.CloseTimeout);
        State("OPEN -> CLOSING");
        _writer.Tell(new WriterActor.SendCloseFrame(status));
        Become(AwaitingPeerClose);
    }

    private void AwaitingPeerClose(object message)
    {
        switch (message)
        {
            case CloseReceived r:
                _received = r.Status;
                Timers.Cancel(CloseTimedOut.Instance);
                _trace.PeerAnsweredOurClose(r.Status);
                ShutdownTcp();
                break;
            case CloseTimedOut:
                AbortTcp($"no close frame from the peer within {_settings.CloseTimeout.TotalSeconds:0.###} s (RFC 6455 §7.1.2)");
                Finish(Lost("close handshake timed out"));
                break;
            case WriterActor.CloseFrameWritten:
                _closeFrameWritten = true;
                break;
            case Close or FailConnection:
                break;
            default:
                TcpLoss(message);
                break;
        }
    }

    /// <summary>The closing handshake is complete; now TCP (§7.1.1).</summary>
    private void ShutdownTcp()
    {
        Become(ClosingTcp);
        if (_role == Role.Client)
        {
            Timers.StartSingleTimer(FinWaitTimedOut.Instance, FinWaitTimedOut.Instance, _settings.FinWaitTimeout);
            _trace.WaitingForServerFin();
            return;
        }
        // The server closes as soon as its close frame is out; this bounds the wait for that and
        // for the socket to confirm the close.
        Timers.StartSingleTimer(FinWaitTimedOut.Instance, FinWaitTimedOut.Instance, _settings.FinWaitTimeout + _settings.CloseTimeout);
        if (_closeFrameWritten)
            CloseTcpAsServer();
    }

    private void ClosingTcp(object message)
    {
        switch (message)
        {
            case WriterActor.CloseFrameWritten:
                _closeFrameWritten = true;
                if (_role == Role.Server)
                    CloseTcpAsServer();
                break;
            case Tcp.ConnectionClosed c:
                _trace.TcpClosed(finFromServer: _role == Role.Client && c is Tcp.PeerClosed);
                Finish(CleanResult());
                break;
            case TcpLost:
                Finish(CleanResult());
                break;
            case FinWaitTimedOut when _role == Role.Client:
                _trace.ServerDidNotCloseTcp(_settings.FinWaitTimeout);
                _tcp.Tell(Tcp.Close.Instance);
                Timers.StartSingleTimer(CloseTimedOut.Instance, CloseTimedOut.Instance, _settings.CloseTimeout);
                break;
            case FinWaitTimedOut or CloseTimedOut:
                AbortTcp("TCP close not confirmed in time");
                Finish(CleanResult());
                break;
            case CloseReceived or Close or FailConnection:
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    /// <summary>
    /// Not a half-close that waits for the client's FIN: the closing handshake is complete, so a
    /// conforming client sends nothing more (§5.5.1), and peers (Autobahn among them) expect the
    /// server's FIN now. The socket drops whatever still comes for a moment instead of resetting.
    /// </summary>
    private void CloseTcpAsServer()
    {
        _trace.ServerClosesTcpFirst();
        _tcp.Tell(Tcp.Close.Instance);
    }

    /// <summary>What the handler hears after a completed closing handshake: the code we failed the
    /// connection with, or the peer's (§7.1.5: "the WebSocket Connection Close Code").</summary>
    private Closed CleanResult()
    {
        // Clean only if the peer's close frame came (§7.1.4); when we failed the connection, the
        // handler hears the code we failed it with.
        if (_failing && _sent is { } ours)
            return new Closed(ours.Code, ours.Reason, _received is not null);
        var peer = _received ?? CloseStatus.NoStatus;
        return new Closed(peer.Code, peer.Reason, true);
    }

    private void TcpLoss(object message)
    {
        switch (message)
        {
            case Tcp.ConnectionClosed c:
                Finish(Lost(c switch
                {
                    Tcp.ErrorClosed e => $"TCP error: {e.Cause}",
                    Tcp.PeerClosed => "peer closed TCP without a close frame",
                    Tcp.Aborted => "TCP aborted",
                    _ => "TCP closed without a close frame",
                }));
                break;
            case TcpLost l:
                Finish(Lost(l.Why));
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    /// <summary>TCP is gone (or given up on) before the closing handshake completed. If we were failing the
    /// connection, the handler hears the code we failed it with, as after the close timeout (a peer
    /// commonly drops TCP on receiving it); otherwise 1006.</summary>
    private Closed Lost(string why)
    {
        if (!_failing || _sent is not { } ours)
            return Abnormal(why);
        _trace.LostAfterOurClose(ours, why);
        return new Closed(ours.Code, ours.Reason, false);
    }

    private Closed Abnormal(string why)
    {
        _trace.Lost(why);
        return new Closed(CloseCodes.AbnormalClosure, why, false);
    }

    private void AbortTcp(string why)
    {
        _trace.AbortingTcp(why);
        _tcp.Tell(Tcp.Abort.Instance);
    }

    private void State(string change) => _trace.StateChanged(change);

    private void Finish(Closed closed)
    {
        if (_finished)
            return;
        _finished = true;
        Timers.CancelAll();
        Context.Parent.Tell(new Finished(closed));
        Become(_ => { });
    }
}
