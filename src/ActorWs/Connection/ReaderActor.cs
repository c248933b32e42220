using System.Text;
using Akka.Actor;
using Akka.IO;
using ActorWs.Logging;
using ActorWs.Protocol;

namespace ActorWs.Connection;

/// <summary>
/// Bytes to frames to messages (RFC 6455 §5, §6.2). Data messages go to the application's handler;
/// a ping is answered at once through the writer (§5.5.2); a pong goes to the pinger (§5.5.3); a
/// close frame goes to the close coordinator (§5.5.1), after which nothing more is read. A
/// violation is thrown, for the connection's supervisor to turn into a close code.
/// It stops reading from TCP while the handler has more than <c>limits.max-handler-backlog</c>
/// messages waiting, so a fast peer and a slow handler keep memory bounded.
/// </summary>
internal sealed class ReaderActor : UntypedActor, IWithTimers, IWithUnboundedStash
{
    private sealed record CheckBacklog
    {
        public static readonly CheckBacklog Instance = new();
    }

    private readonly IActorRef _handler;
    private readonly IActorRef _writer;
    private readonly IActorRef _pinger;
    private readonly IActorRef _closer;
    private readonly LifecycleTrace _trace;
    private readonly FrameDecoder _decoder;
    private readonly MessageAssembler _assembler;
    private readonly IActorRef _tcp;
    private readonly ICell? _handlerCell;
    private readonly int _maxBacklog;
    private readonly int _maxPendingControl;
    private readonly WriterActor.PongsAsked _pongsAsked = new();
    private bool _closeReceived;
    private bool _readingSuspended;

    public ITimerScheduler Timers { get; set; } = null!;
    public IStash Stash { get; set; } = null!;

    private readonly KeyValuePair<string, object?> _roleTag;

    private long _compressedBytes; // the wire bytes of the compressed message being received, for the trace
    private bool _inCompressed;

    public ReaderActor(Role role, WebSocketSettings settings, IActorRef tcp, IActorRef handler, IActorRef writer, IActorRef pinger, IActorRef closer, LifecycleTrace trace,
        DeflateParameters? deflate)
    {
        _roleTag = WebSocketMetrics.RoleTag(role);
        _tcp = tcp;
        // The mailbox of a local handler can be measured; a remote or custom one cannot, and goes unbounded.
        _handlerCell = settings.MaxHandlerBacklog > 0 ? (handler as ActorRefWithCell)?.Underlying : null;
        _maxBacklog = settings.MaxHandlerBacklog;
        _maxPendingControl = settings.MaxPendingControl;
        _handler = handler;
        _writer = writer;
        _pinger = pinger;
        _closer = closer;
        _trace = trace;
        // RFC 7692: with permessage-deflate RSV1 marks a compressed message; our decompressor keeps its
        // window between messages unless the peer's compressor resets for each (§7.1.1).
        var peer = role == Role.Server ? Role.Client : Role.Server;
        _assembler = new MessageAssembler(settings.MaxMessageSize, settings.MaxFragments,
            deflate is null ? null : new MessageInflater(contextTakeover: !deflate.NoContextTakeover(peer)));
        _decoder = new FrameDecoder(role, settings.MaxFrameSize, _assembler, deflate is null ? (byte)0 : PerMessageDeflate.Rsv1);
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            // While reading is paused, chunks already read wait here unparsed: parsing them would
            // only move their messages into the handler's mailbox, which is what the pause bounds.
            // TCP's end waits behind them too: the close coordinator hears it after every frame
            // read before it (§7.1.1, §7.1.5).
            case Tcp.Received or Tcp.ConnectionClosed or CloseCoordinator.TcpLost when _readingSuspended:
                Stash.Stash();
                break;
            case Tcp.Received received:
                OnBytes(received.Data);
                break;
            case CheckBacklog:
                ResumeWhenCaughtUp();
                break;
            case Tcp.ConnectionClosed or CloseCoordinator.TcpLost:
                _closer.Forward(message);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    public static Props Props(Role role, WebSocketSettings settings, IActorRef tcp, IActorRef handler, IActorRef writer, IActorRef pinger, IActorRef closer, LifecycleTrace trace,
        DeflateParameters? deflate = null) =>
        Akka.Actor.Props.Create(() => new ReaderActor(role, settings, tcp, handler, writer, pinger, closer, trace, deflate));

    protected override void PostStop()
    {
        _decoder.Dispose();
        _assembler.Dispose();
    }

    private void OnBytes(ByteString data)
    {
        // The socket hands over one compact buffer per read, so this is a view, not a copy.
        var input = data.ToReadOnlySpan();
        while (!_closeReceived)
        {
            var decoded = _decoder.Decode(input);
            input = input[decoded.Consumed..];
            if (decoded.Status == ProtocolStatus.NeedMoreData)
                break;
            if (decoded.Violation is { } violation)
                throw new WebSocketProtocolException(violation);
            OnFrame(decoded.Value);
        }
        // Idle connections keep no payload buffers (bench scenario 4: memory per idle connection).
        _decoder.ReleaseBuffers();
        _assembler.ReleaseBuffers();
        SuspendIfHandlerBehind();
    }

    private void SuspendIfHandlerBehind()
    {
        if (_handlerCell is null || _readingSuspended || _handlerCell.NumberOfMessages <= _maxBacklog)
            return;
        _readingSuspended = true;
        _tcp.Tell(Tcp.SuspendReading.Instance);
        _trace.ReadingPaused(_handlerCell.NumberOfMessages);
        // Polled, because a handler's mailbox sends no signal when it drains.
        Timers.StartPeriodicTimer(CheckBacklog.Instance, CheckBacklog.Instance, TimeSpan.FromMilliseconds(10));
    }

    private void ResumeWhenCaughtUp()
    {
        if (_handlerCell is null || _handlerCell.NumberOfMessages > _maxBacklog / 2)
            return;
        Timers.Cancel(CheckBacklog.Instance);
        _readingSuspended = false;
        _tcp.Tell(Tcp.ResumeReading.Instance);
        _trace.ReadingResumed();
        Stash.UnstashAll();
    }

    private void OnFrame(Frame frame)
    {
        _trace.FrameReceived(frame.Header, frame.Payload);

        switch (frame.Opcode)
        {
            case Opcode.Ping:
                // The same limit as the writer's, on the pongs it has not even taken yet (a ping flood).
                if (_pongsAsked.Add() > _maxPendingControl)
                    throw new SendBufferOverflowException($"more than {_maxPendingControl} pongs wait to be written: ping flood");
                _writer.Tell(new WriterActor.SendPong(frame.Payload.ToArray(), _pongsAsked));
                _trace.PingAnswered(frame.Payload);
                return;
            case Opcode.Pong:
                var pong = new PongReceived(frame.Payload.ToArray());
                _pinger.Tell(pong);
                _handler.Tell(pong);
                return;
            case Opcode.Close:
                var status = CloseStatus.Parse(frame.Payload);
                if (status.Violation is { } violation)
                    throw new WebSocketProtocolException(violation);
                // §5.5.1: after a close frame the peer sends nothing more; anything it does is ignored.
                _closeReceived = true;
                _closer.Tell(new CloseCoordinator.CloseReceived(status.Value));
                return;
        }

        if (frame.Opcode != Opcode.Continuation)
        {
            _inCompressed = (frame.Header.Rsv & PerMessageDeflate.Rsv1) != 0;
            _compressedBytes = 0;
        }
        _compressedBytes += frame.Payload.Length;
        var assembled = _assembler.Add(frame.Header, frame.Payload);
        if (assembled.Violation is { } invalid)
            throw new WebSocketProtocolException(invalid);
        if (assembled.Status == ProtocolStatus.NeedMoreData)
            return;
        var message = assembled.Value;
        if (_inCompressed)
            _trace.MessageInflated(_compressedBytes, message.Payload.Length);
        if (message.Type == MessageType.Text)
        {
            var text = Encoding.UTF8.GetString(message.Payload);
            _trace.TextDelivered(text);
            WebSocketMetrics.Received(_roleTag, message.Payload.Length);
            _handler.Tell(new TextReceived(text));
        }
        else
        {
            _trace.BinaryDelivered(message.Payload.Length);
            WebSocketMetrics.Received(_roleTag, message.Payload.Length);
            _handler.Tell(new BinaryReceived(message.Payload.ToArray()));
        }
    }
}
