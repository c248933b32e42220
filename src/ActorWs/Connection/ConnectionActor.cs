using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Actor.Internal;
using Akka.Event;
using Akka.IO;
using ActorWs.Dispatch;
using ActorWs.Logging;
using ActorWs.Protocol;
using ActorWs.Transport;

namespace ActorWs.Connection;

/// <summary>
/// One WebSocket connection: the handler registered with its <see cref="SocketConnection"/>, the parent and
/// supervisor of the connection's actors, and the address the application talks to.
/// <code>
/// conn-N
///   handshake   HTTP Upgrade (§4): CONNECTING only, then stops
///   reader      frames in, messages out          from the first bytes after OPEN (or the handler's first RequestMessages)
///   writer      frames out, masking, back-pressure from OPEN
///   pinger      keep-alive (§5.5.2)              from a ping to its pong
///   close       the closing handshake and TCP shutdown (§7): from the start of closing
///   handler     the application's actor (server side), from OPEN
/// </code>
/// A child exists only while its work does: an idle connection that has not been sent a frame is
/// the connection, its writer and handler (bench/RESULTS.md, memory per idle connection); the
/// reader, once started, stays (a reader made and dropped per message would cost more). Every byte
/// from TCP comes to this actor first, so the reader is created before the first chunk it must
/// parse and sees them all in order. What the reader sends to the
/// pinger or the close coordinator comes here and is passed on, creating the child when its work
/// begins; one hop more keeps the order of every message (Akka orders messages per sender and
/// receiver pair, and all of them now go through this actor).
/// States: CONNECTING → OPEN → CLOSING → CLOSED. Its supervisor strategy is the one place where
/// a child's failure becomes a close code; children are stopped, never restarted, because their
/// state (a half-parsed frame, bytes in flight) cannot be rebuilt.
/// </summary>
internal sealed class ConnectionActor : UntypedActor, IWithUnboundedStash
{
    private readonly Role _role;
    private readonly WebSocketSettings _settings;
    private readonly Uri? _uri;
    private readonly WebSocketClientOptions? _options;
    private readonly UpgradeDecider? _decider;
    private readonly Props? _handlerProps;
    // Made when first needed: an idle connection logs nothing, and each adapter costs ~60 bytes.
    private ILoggingAdapter? _logAdapter;
    private ILoggingAdapter _log => _logAdapter ??= Context.GetLogger();
    private readonly LifecycleTrace _trace;

    private IActorRef _handler;
    private IActorRef _tcp;
    private EndPoint? _remote, _local;
    private IActorRef? _handshake, _reader, _writer, _closer, _pinger;
    private DeflateParameters? _deflate; // the agreement, for a reader created after OPEN
    private ICancelable? _pingTimer;
    private ICancelable? _handshakeTimer;
    private bool _pingerDone; // its pong was passed on: it is stopping
    private bool _pingOwed;   // an interval passed while it stopped: the next pinger starts when it has
    private bool _finished;
    private bool _handshakeBusy;
    // The application ended this connection (Close, Abort, or its handler stopped): a client does not
    // reconnect then, whatever the close code turns out to be (an unanswered close ends in 1006).
    private bool _closeAsked;
    private bool _readerFailed;
    private object? _tcpEnd; // TCP's end, once it was passed on behind the reader

    public IStash Stash { get; set; } = null!;

    /// <summary>To the parent of a client with reconnect on (its <see cref="Client.ReconnectSupervisor"/>):
    /// the connection is OPEN, so the time it stays up can be measured.</summary>
    public sealed record ReachedOpen
    {
        public static readonly ReachedOpen Instance = new();
    }

    /// <summary>The keep-alive interval has passed (§5.5.2): the pinger's work begins, or goes on.</summary>
    private sealed record PingDue
    {
        public static readonly PingDue Instance = new();
    }

    /// <summary><c>handshake.timeout</c> has passed since the handshake child started: it is told to
    /// give up (HandshakeActor.TimedOut says why the timer is here).</summary>
    private sealed record HandshakeTimedOut
    {
        public static readonly HandshakeTimedOut Instance = new();
    }

    /// <summary>From the supervisor's decider: the close coordinator failed and is being stopped.</summary>
    private sealed record CloserFailed
    {
        public static readonly CloserFailed Instance = new();
    }

    /// <summary>A server-side connection over <paramref name="tcp"/>, the accepted socket's actor.</summary>
    /// <summary>The handler comes from <paramref name="handlerProps"/>, or from the <paramref name="decider"/>'s accept.</summary>
    public static Props ForServer(WebSocketSettings settings, IActorRef tcp, EndPoint remote, EndPoint? local, Props handlerProps, UpgradeDecider? decider, string id) =>
        Props.Create(() => new ConnectionActor(Role.Server, settings, tcp, remote, local, null, null, handlerProps, decider, ActorRefs.Nobody, id));

    /// <summary>A client connection to <paramref name="uri"/> whose events go to <paramref name="handler"/>.</summary>
    public static Props ForClient(WebSocketSettings settings, Uri uri, WebSocketClientOptions options, IActorRef handler, string id) =>
        Props.Create(() => new ConnectionActor(Role.Client, settings, ActorRefs.Nobody, null, null, uri, options, null, null, handler, id));

    public ConnectionActor(Role role, WebSocketSettings settings, IActorRef tcp, EndPoint? remote, EndPoint? local, Uri? uri,
        WebSocketClientOptions? options, Props? handlerProps, UpgradeDecider? decider, IActorRef handler, string id)
    {
        _role = role;
        _settings = settings;
        _tcp = tcp;
        _remote = remote;
        _local = local;
        _uri = uri;
        _options = options;
        _handlerProps = handlerProps;
        _decider = decider;
        _handler = handler;
        _trace = new LifecycleTrace(Context.System, role, id, settings.TraceLifecycle);
        // An UntypedActor with a method per state: a ReceiveActor's handler tables would cost every
        // idle connection about a kilobyte.
        Become(role == Role.Server ? Handshaking : Connecting);
    }

    /// <summary>From the server as it shuts down: a <see cref="Close"/> that may find this connection
    /// already gone (it was closing anyway), which is no news for the dead-letter log.</summary>
    public sealed record ServerGoingAway(Close Close) : IDeadLetterSuppression;

    protected override void OnReceive(object message) => Unhandled(message);

    protected override bool AroundReceive(Receive receive, object message) =>
        base.AroundReceive(receive, message is ServerGoingAway g ? g.Close : message);

    protected override SupervisorStrategy SupervisorStrategy() => new ChildAwareStrategy(OnChildFailure);

    /// <summary>One-for-one, with a decider that is told which child failed: what can still be done
    /// (send a close frame, read the peer's) depends on whether that child was the writer or the reader.</summary>
    private sealed class ChildAwareStrategy(Func<IActorRef, Exception, Directive> decide)
        : OneForOneStrategy(-1, -1, _ => Directive.Stop, loggingEnabled: false)
    {
        protected override Directive Handle(IActorRef child, Exception exception) => decide(child, exception);
    }

    protected override void PreStart()
    {
        if (_role == Role.Server)
        {
            _trace.TcpAccepted(_remote);
            Register();
            return;
        }
        var endpoint = new DnsEndPoint(_uri!.Host, _uri.Port);
        _trace.Connecting();
        SocketConnection.ConnectAsync(endpoint, _settings.ConnectTimeout).PipeTo(Self,
            success: socket => new TcpConnected(socket),
            failure: e => new TcpConnectFailed(e.Message));
    }

    private sealed record TcpConnected(Socket Socket);
    private sealed record TcpConnectFailed(string Why);

    private void Register()
    {
        // Not watched, nor watching this actor: the socket actor tells StopSignals.SocketStopped if it
        // is stopped without having said why, and this actor tells it HandlerStopped in PostStop.
        _tcp.Tell(new Tcp.Register(Self, keepOpenOnPeerClosed: false, useResumeWriting: false));
        var handshake = _role == Role.Server
            ? HandshakeActor.ForServer(_settings, _tcp, _trace, _decider, _remote, _local)
            : HandshakeActor.ForClient(_settings, _tcp, _trace, _options!.CreateRequest(_uri!, _settings));
        // Not watched: it ends by telling Succeeded or Failed, and a failure comes through supervision.
        _handshake = Context.ActorOf(handshake.UseLeanMailbox(Context.System), "handshake");
        _handshakeTimer = Context.System.Scheduler.ScheduleTellOnceCancelable(_settings.HandshakeTimeout, Self, HandshakeTimedOut.Instance, ActorRefs.NoSender);
    }

    private void Connecting(object message)
    {
        switch (message)
        {
            case TcpConnected c:
                _remote = c.Socket.RemoteEndPoint;
                _local = c.Socket.LocalEndPoint;
                _trace.TcpConnected(_remote, _local);
                // §4.1: "If /secure/ is true, the client MUST perform a TLS handshake over the connection
                // after opening the connection and before sending the handshake data": the TLS
                // connection holds the request until its handshake is done.
                _tcp = IsSecure(_uri!)
                    ? TlsConnection.SpawnClient(Context.System, c.Socket, _settings, TlsValidation.BareHost(_uri!), _options!.Tls ?? TlsClientOptions.Default)
                    : SocketConnection.Spawn(Context.System, c.Socket, _settings);
                Register();
                Become(Handshaking);
                break;
            case TcpConnectFailed f:
                Finish(new Closed(CloseCodes.AbnormalClosure, $"cannot connect to {_uri}: {f.Why}", false));
                break;
            default:
                CommandBeforeOpen(message);
                break;
        }
    }

    private void Handshaking(object message)
    {
        switch (message)
        {
            case TlsConnection.Established tls:
                _trace.TlsEstablished(tls.Protocol, tls.CipherSuite, tls.PeerCertificate, tls.ApplicationProtocol);
                break;
            case TlsConnection.HandshakeFailed tls:
                _trace.TlsFailed(tls.Error);
                _log.Warning("WebSocket {Role} connection {Path} with {Remote}: {Reason}: {Message}", _role, Self.Path, _remote, tls.Error.Reason, tls.Error.Message);
                Finish(new Closed(CloseCodes.AbnormalClosure, tls.Error.Message, false) { TlsFailure = tls.Error });
                break;
            // One chunk at a time: the handshake child stops as soon as the head is complete, so a
            // chunk still in its mailbox then (the peer's first frames, sent right after the request)
            // would be lost. Chunks that come while it reads wait here and go to the reader once
            // OPEN, in order. TCP's end waits behind a chunk the handshake child is still judging,
            // like any later chunk: a peer that writes its request, its first frames and FIN at once
            // is upgraded, its frames are read and then the end of TCP, in the order they came
            // (§4.2.2, §7.1.1). Handled at once, it would drop a connection the handshake child is
            // about to answer with 101.
            case SocketRead or Tcp.Received or Tcp.ConnectionClosed or StopSignals.SocketStopped when _handshakeBusy:
                Stash.Stash();
                break;
            case SocketRead or Tcp.Received:
                _handshakeBusy = true;
                _handshake.Forward(message);
                break;
            case HandshakeActor.NeedMoreData:
                _handshakeBusy = false;
                Stash.Unstash();
                break;
            // Passed on even while it judges a chunk or waits for the application's decision (503).
            case HandshakeTimedOut:
                _handshake.Tell(HandshakeActor.TimedOut.Instance);
                break;
            case HandshakeActor.Succeeded opened:
                CancelHandshakeTimer();
                OnOpen(opened);
                break;
            case HandshakeActor.Failed f:
                CancelHandshakeTimer();
                WebSocketMetrics.HandshakeEnded(_role, f.Status ?? f.Error?.StatusCode, f.PlainHttp);
                // A server's response is queued before this Close, and the socket sends it first.
                _tcp.Tell(Tcp.Close.Instance);
                Finish(new Closed(CloseCodes.AbnormalClosure, f.Reason, false) { HandshakeFailure = f.Error }, plainHttp: f.PlainHttp);
                break;
            // The handshake child waits for bytes: it ends the handshake, with what it has read (a
            // client reading a refusal's body up to the end of the connection has all of it now).
            case Tcp.ConnectionClosed c:
                _handshakeBusy = true;
                _handshake.Tell(new HandshakeActor.TcpEnded($"TCP closed during the opening handshake ({c.GetType().Name})"));
                break;
            case StopSignals.SocketStopped:
                _handshakeBusy = true;
                _handshake.Tell(new HandshakeActor.TcpEnded("TCP lost during the opening handshake"));
                break;
            default:
                CommandBeforeOpen(message);
                break;
        }
    }

    private void CommandBeforeOpen(object message)
    {
        switch (message)
        {
            case Close:
                _closeAsked = true;
                _tcp.Tell(Tcp.Abort.Instance);
                Finish(new Closed(CloseCodes.AbnormalClosure, "closed before the opening handshake completed", false));
                break;
            case Abort:
                _closeAsked = true;
                _tcp.Tell(Tcp.Abort.Instance);
                Finish(new Closed(CloseCodes.AbnormalClosure, "aborted", false));
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void OnOpen(HandshakeActor.Succeeded opened)
    {
        if ((opened.Handler ?? _handlerProps) is { } handlerProps)
            _handler = Context.ActorOf(handlerProps, "handler");
        // The one watch a connection keeps: an application's handler may stop of its own accord, and
        // nothing else tells (the children's failures come through supervision).
        Context.Watch(_handler);
        // The writer is on LeanMailbox too: its default mailbox's 32-slot segment costs an idle
        // connection ~1 KB, against one 40-byte node per message (bench/RESULTS.md).
        _writer = Context.ActorOf(WriterActor.Props(_role, _settings, _tcp, _handler, Self, _trace, opened.Deflate).UseLeanMailbox(Context.System), "writer");
        // The reader starts with the first bytes after OPEN (Reader): until a frame comes there is
        // nothing to parse, and an idle connection is spared its actor, decoder and assembler.
        _deflate = opened.Deflate;
        _handshake = null; // stopped; its ref would keep its dead cell alive for the connection's life
        if (_settings.PingInterval > TimeSpan.Zero)
            _pingTimer = Context.System.Scheduler.ScheduleTellRepeatedlyCancelable(_settings.PingInterval, _settings.PingInterval, Self, PingDue.Instance, ActorRefs.NoSender);

        _trace.Open(Self, Context.GetChildren().Where(c => c.Path.Name != "handshake"));
        WebSocketMetrics.Opened(_role);
        _log.Debug("WebSocket {Role} connection {Path} open with {Remote}", _role, Self.Path, _remote);
        if (_role == Role.Client && _settings.ReconnectEnabled)
            Context.Parent.Tell(ReachedOpen.Instance);
        _handler.Tell(new Opened(_writer, _role, _remote, opened.Path)
        {
            Request = opened.Request,
            Subprotocol = opened.Subprotocol,
            Extensions = opened.Deflate is { } deflate ? [deflate.ToExtension()] : [],
            State = opened.State,
        });
        if (opened.Leftover.Count > 0) // the bytes that followed the handshake head (the peer's first frames), in the read's array
            Reader("the peer's first frames came with its handshake").Tell(new SocketRead(opened.Leftover));
        Become(Open);
        Stash.UnstashAll();
    }

    private void Open(object message)
    {
        switch (message)
        {
            case SocketRead or Tcp.Received:
                Reader("the peer's first frame arrives").Forward(message);
                break;
            case RequestMessages:
                Reader("the handler asks for messages").Forward(message); // explicit demand, which the reader keeps
                break;
            case SendText or SendBinary or SendPing or Send or SendPart or MessageReceived or PartReceived:
                _writer.Forward(message);
                break;
            case Close or WriterActor.CloseFrameWritten:
                _closeAsked |= message is Close;
                Closer().Forward(message);
                break;
            case CloseCoordinator.CloseReceived:
                Closer().Forward(message);
                break;
            case PingDue:
                OnPingDue();
                break;
            case HandshakeTimedOut: // fired as the handshake succeeded
                break;
            case PongReceived pong:
                if (_pinger is not null && !_pingerDone)
                {
                    _pingerDone = true;
                    _pinger.Forward(pong);
                }
                else
                    _trace.PongReceived(pong.Payload); // unsolicited (§5.5.3): no ping waits for it
                break;
            // TCP's end back from the reader (sent to it by this actor), after every frame before it.
            case Tcp.ConnectionClosed or CloseCoordinator.TcpLost when Sender.Equals(Self):
                Closer().Forward(message);
                break;
            case CloserFailed:
                _tcp.Tell(Tcp.Abort.Instance);
                Finish(new Closed(CloseCodes.AbnormalClosure, "close coordinator stopped", false));
                break;
            case Abort:
                _closeAsked = true;
                _trace.AbortedByApplication();
                _tcp.Tell(Tcp.Abort.Instance);
                break;
            // Through the reader, behind the bytes that came before it: a peer that sends its close
            // frame and closes TCP at once (as a server should, RFC 6455 §7.1.1) would otherwise be
            // reported as gone without a close frame (1006) whenever the FIN overtook the frame's parsing.
            case Tcp.ConnectionClosed c:
                _tcpEnd = c;
                ToCloserBehindReader(c);
                break;
            case CloseCoordinator.Finished f:
                Finish(f.Closed);
                break;
            case StopSignals.SocketStopped:
                if (!_finished)
                {
                    var lost = new CloseCoordinator.TcpLost("the TCP connection actor stopped");
                    _tcpEnd ??= lost;
                    ToCloserBehindReader(lost);
                }
                break;
            case Terminated t:
                OnTerminated(t);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    /// <summary>TCP's end to the reader while it runs (it passes it back here, to the close
    /// coordinator, after the frames before it; sent as this actor, which is how it is told apart on
    /// its way back), else to the close coordinator itself: a reader never started was never given a
    /// byte, so no frame can be behind. A reader that failed is still a child until its stop
    /// completes, but what reaches it then goes to dead letters.</summary>
    private void ToCloserBehindReader(object tcpEnd)
    {
        if (_reader is null || _readerFailed || Context.Child("reader").IsNobody())
            Closer().Tell(tcpEnd, Self);
        else
            _reader!.Tell(tcpEnd, Self);
    }

    /// <summary>The reader, started when its work begins (<paramref name="why"/>, for the trace): the
    /// first bytes after OPEN, or explicit demand, which it keeps. Every chunk and every
    /// RequestMessages comes through this actor, so none can pass it by. Not stopped when idle again.</summary>
    private IActorRef Reader(string why)
    {
        if (_reader is null)
        {
            // The pinger and the close coordinator may not exist yet: the reader's pongs and its
            // close frame, and TCP's end behind it, come here and are passed on.
            _reader = Context.ActorOf(ReaderActor.Props(_role, _settings, _tcp, _handler, _writer!, Self, Self, _trace, _deflate).UseLeanMailbox(Context.System), "reader");
            _trace.ChildStarted(_reader, why);
        }
        return _reader;
    }

    /// <summary>The close coordinator, started when closing starts (§7): the application's Close, the
    /// peer's close frame, a failure, TCP's end or the handler's. Every message for it comes through
    /// this actor, so it is created before the first and sees them all in order.</summary>
    private IActorRef Closer()
    {
        if (_closer is null)
        {
            // Keep-alive ends with OPEN: the close timeout bounds the closing handshake.
            _pingTimer?.Cancel();
            _closer = Context.ActorOf(CloseCoordinator.Props(_role, _settings, _tcp, _writer!, _handler, _trace).UseLeanMailbox(Context.System), "close");
            _trace.ChildStarted(_closer, "the closing handshake begins (RFC 6455 §7)");
        }
        return _closer;
    }

    /// <summary>Keep-alive (§5.5.2): the pinger lives from a ping to its pong. While one still waits
    /// for its pong, it sends the next ping and keeps the first one's deadline.</summary>
    private void OnPingDue()
    {
        if (_pinger is null)
            StartPinger();
        else if (_pingerDone)
            _pingOwed = true;
        else
            _pinger.Tell(PingerActor.Tick.Instance);
    }

    /// <summary>Watched while it lives: a new one may take its name only once it is gone. The
    /// connection already watches its handler, so this costs an idle connection nothing.</summary>
    private void StartPinger()
    {
        _pinger = Context.ActorOf(PingerActor.Props(_settings, _writer!, _trace).UseLeanMailbox(Context.System), "pinger");
        Context.Watch(_pinger);
        _trace.ChildStarted(_pinger, "a keep-alive ping is due (RFC 6455 §5.5.2)");
    }

    private void OnTerminated(Terminated t)
    {
        if (_finished)
            return;
        if (t.ActorRef.Equals(_pinger))
        {
            if (_pingerDone)
                _trace.ChildDone(_pinger, "its pong came");
            (_pinger, _pingerDone) = (null, false);
            if (_pingOwed && _closer is null)
                StartPinger();
            _pingOwed = false;
        }
        else if (t.ActorRef.Equals(_handler))
        {
            _closeAsked = true;
            Closer().Tell(new Close(CloseCodes.GoingAway, "handler stopped"));
        }
    }

    /// <summary>
    /// The close-code policy (docs/ARCHITECTURE.md): a child's typed failure decides the close code; the child
    /// is stopped, and the close coordinator carries the close out (or TCP is aborted when the
    /// writer or the coordinator itself is the one that failed).
    /// </summary>
    private Directive OnChildFailure(IActorRef child, Exception failure)
    {
        var (code, reason) = FailureCodes.For(failure);
        if (failure is WebSocketProtocolException or KeepAliveTimeoutException or SendBufferOverflowException)
            _log.Warning("WebSocket {Role} connection {Path}: {Reason}: closing with {Code}", _role, Self.Path, reason, code);
        else
            _log.Error(failure, "WebSocket {Role} connection {Path}: unexpected failure in a child: closing with {Code}", _role, Self.Path, code);
        _trace.ChildFailed(child, failure, code);

        if (_writer is null || _finished) // not OPEN yet, or over
            return Directive.Stop;
        // It is stopped; the connection cannot close cleanly without it. Not handled here: Finish may
        // throw for a reconnect, which belongs in a message's handling, not in the decider.
        if (child.Equals(_closer))
        {
            Self.Tell(CloserFailed.Instance);
            return Directive.Stop;
        }
        // The failed child is stopped: without the writer no close frame can be sent, and without
        // the reader the peer's close frame can never be read.
        // A peer that does not read (a send buffer or a pong queue over its limit) would never
        // read a close frame either: the connection is aborted, as when the writer itself failed.
        bool canWrite = !child.Equals(_writer) && failure is not SendBufferOverflowException;
        Closer().Tell(new CloseCoordinator.FailConnection(code, reason, WriterAlive: canWrite, ReaderAlive: !child.Equals(_reader)));
        if (child.Equals(_reader))
        {
            _readerFailed = true;
            // TCP's end, passed to the reader behind the chunk it failed on, is lost with its
            // mailbox (a reader that forwarded it had read every chunk, and cannot fail after):
            // without it the close coordinator would wait out its timeouts.
            if (_tcpEnd is not null)
                _closer!.Tell(_tcpEnd);
        }
        return Directive.Stop;
    }

    /// <summary>Ends the connection. <paramref name="plainHttp"/>: it was a plain HTTP exchange, which
    /// the trace does not report as a WebSocket that closed abnormally.</summary>
    private void Finish(Closed closed, bool plainHttp = false)
    {
        if (_finished)
            return;
        _finished = true;
        _pingTimer?.Cancel();
        CancelHandshakeTimer();
        if (_writer is not null) // it was OPEN
            WebSocketMetrics.Closed(_role, closed.Code);
        if (plainHttp)
            _trace.PlainHttpEnded(closed.Reason);
        else
            _trace.Closed(closed);
        _log.Debug("WebSocket {Role} connection {Path} closed: {Closed}", _role, Self.Path, closed);
        bool reconnect = _role == Role.Client && _settings.ReconnectEnabled && !_closeAsked && ShouldReconnect(closed);
        closed = closed with { WillReconnect = reconnect };
        if (!_handler.IsNobody())
            _handler.Tell(closed);
        // In a fixed order, so that the log reads the same from run to run.
        foreach (var child in LifecycleTrace.InTreeOrder(Context.GetChildren().Where(c => !c.Equals(_handler))))
        {
            _trace.StoppingChild(child);
            Context.Stop(child);
        }

        if (reconnect)
            throw new ConnectionLostException(closed);
        // A handler that is already gone (it stopped, or failed and was stopped) sends no Terminated
        // again: waiting for one would keep this connection alive for ever.
        if (_handlerProps is null || _handler.IsNobody() || Context.Child("handler").IsNobody())
        {
            Context.Stop(Self);
            return;
        }
        // A stop would overtake Closed in the handler's mailbox (system messages go first), so the
        // handler gets a PoisonPill behind Closed, and the connection stops when the handler has.
        _handler.Tell(PoisonPill.Instance);
        Become(message =>
        {
            if (message is Terminated t && t.ActorRef.Equals(_handler))
                Context.Stop(Self);
        });
    }

    /// <summary>Cancelled and let go: an idle connection keeps no cancelled timer's objects.</summary>
    private void CancelHandshakeTimer()
    {
        _handshakeTimer?.Cancel();
        _handshakeTimer = null;
    }

    protected override void PostStop()
    {
        _pingTimer?.Cancel();
        CancelHandshakeTimer();
        // However this actor stops (its own Finish, its parent, the actor system), the socket is
        // dropped (Akka.IO's contract for a handler that stops), behind what was queued before.
        _tcp.Tell(StopSignals.HandlerStopped.Instance, ActorRefs.NoSender);
    }

    /// <summary>wss:// (or https://, which ClientHandshake also takes): TLS under the opening handshake (RFC 6455 §3).</summary>
    public static bool IsSecure(Uri uri) => uri.Scheme is "wss" or "https";

    /// <summary>A client reconnects after an abnormal close or a server that asks it to come back
    /// later; not after a normal close or a protocol error that would only repeat. A refused
    /// handshake is retried only when the refusal is the server's trouble (5xx) or asks to wait
    /// (408, 429): a 4xx such as 401 or 404 would be answered the same way again, and a 101 that
    /// broke the RFC would break it again.</summary>
    /// A failed TLS handshake is retried only when it timed out or TCP was lost: a certificate the
    /// client refused, or a peer that does not speak TLS, would be met again.
    public static bool ShouldReconnect(Closed closed) => closed.TlsFailure is { } tls
        ? tls.IsTransient
        : closed.HandshakeFailure is { } failure
        ? failure.StatusCode is >= 500 or 408 or 429
        : closed.Code is CloseCodes.AbnormalClosure or CloseCodes.InternalError or CloseCodes.GoingAway
            or CloseCodes.ServiceRestart or CloseCodes.TryAgainLater or CloseCodes.BadGateway;
}
