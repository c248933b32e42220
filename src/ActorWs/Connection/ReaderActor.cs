using System.Text;
using Akka.Actor;
using Akka.IO;
using ActorWs.Logging;
using ActorWs.Protocol;
using ActorWs.Transport;

namespace ActorWs.Connection;

/// <summary>
/// Bytes to frames to messages (RFC 6455 §5, §6.2). Data messages go to the application's handler;
/// a ping is answered at once through the writer (§5.5.2); a pong goes to the pinger (§5.5.3); a
/// close frame goes to the close coordinator (§5.5.1), after which nothing more is read. A
/// violation is thrown, for the connection's supervisor to turn into a close code.
/// <para>
/// The handler's pace bounds reading (<c>actorws.messages.demand</c>, docs/ARCHITECTURE.md). Automatic:
/// messages go out unasked, and an <see cref="Identify"/> behind them, which every actor, local or
/// remote, answers in mailbox order, tells how many the handler has handled; past
/// <c>limits.max-handler-backlog</c> not known handled, TCP reading is suspended until an answer
/// brings them down to half. Explicit: a message goes out only against the handler's
/// <see cref="RequestMessages"/>; parsing stops at the first one without demand, the rest of its
/// chunk waits here, and TCP reading is suspended while demand is 0. Either way, chunks that arrive
/// meanwhile wait unparsed in the stash, and TCP's end behind them.
/// </para>
/// <para>
/// With <c>messages.lend</c> or <c>messages.stream-over</c> the reader owns the read buffers (the
/// socket actors hand each read over in an array they never touch again, <see cref="SocketRead"/>): frames are unmasked in
/// place and payloads lent as slices of them (<see cref="FrameDecoder.DecodeInPlace"/>). With
/// stream-over and permessage-deflate, a <see cref="MessageRouter"/> streams the uncompressed
/// messages and has the compressed ones inflated whole (RFC 7692 §6).
/// </para>
/// </summary>
internal sealed class ReaderActor : UntypedActor, IWithUnboundedStash, IStreamedMessageSink
{
    /// <summary>The one probe of automatic demand: at most one is out at a time, so one id serves,
    /// and one instance (an int id survives serialization to a remote handler).</summary>
    private static readonly Identify Probe = new(6455);

    private readonly IActorRef _handler;
    private readonly IActorRef _writer;
    private readonly IActorRef _pinger;
    private readonly IActorRef _closer;
    private readonly LifecycleTrace _trace;
    private readonly FrameDecoder _decoder;
    private readonly MessageAssembler _assembler;
    private readonly MessageStreamer? _streamer;
    private readonly MessageRouter? _router; // stream-over with permessage-deflate
    private readonly IActorRef _tcp;
    private readonly int _maxPendingControl;
    private readonly WriterActor.PongsAsked _pongsAsked = new();
    private readonly bool _lend;
    private readonly bool _inPlace;
    private readonly long _pieceOver;
    private bool _closeReceived;
    private bool _readingSuspended;

    // Automatic demand: messages handed over, those known handled, and the count at the probe out (-1: none).
    private readonly bool _explicit;
    private readonly long _window;
    private readonly long _probeEvery;
    private long _delivered;
    private long _handled;
    private long _probedAt = -1;

    // Explicit demand: what the handler asked for and not yet got, messages parsed beyond it, and the
    // unparsed rest of the chunk they came from.
    private long _demand;
    private Queue<object>? _waiting; // created at the first message without demand
    private ArraySegment<byte> _rest;

    public IStash Stash { get; set; } = null!;

    private readonly KeyValuePair<string, object?> _roleTag;

    private long _compressedBytes; // the wire bytes of the compressed message being received, for the trace
    private bool _inCompressed;

    public ReaderActor(Role role, WebSocketSettings settings, IActorRef tcp, IActorRef handler, IActorRef writer, IActorRef pinger, IActorRef closer, LifecycleTrace trace,
        DeflateParameters? deflate)
    {
        _roleTag = WebSocketMetrics.RoleTag(role);
        _tcp = tcp;
        _explicit = settings.Demand == DemandMode.Explicit;
        _window = settings.MaxHandlerBacklog;
        // A probe once half the window is out, so an answer can come back before the window is full.
        _probeEvery = Math.Max(1, _window / 2);
        _maxPendingControl = settings.MaxPendingControl;
        _handler = handler;
        _writer = writer;
        _pinger = pinger;
        _closer = closer;
        _trace = trace;
        _lend = settings.LendMessages;
        _inPlace = settings.LendMessages || settings.StreamOver > 0;
        _pieceOver = settings.StreamOver > 0 ? settings.StreamOver : long.MaxValue;
        // RFC 7692: with permessage-deflate RSV1 marks a compressed message; our decompressor keeps its
        // window between messages unless the peer's compressor resets for each (§7.1.1).
        var peer = role == Role.Server ? Role.Client : Role.Server;
        _assembler = new MessageAssembler(settings.MaxMessageSize, settings.MaxFragments,
            deflate is null ? null : new MessageInflater(contextTakeover: !deflate.NoContextTakeover(peer)));
        IFrameAdmission admission = _assembler;
        if (settings.StreamOver > 0)
        {
            _streamer = new MessageStreamer(settings.MaxMessageSize, settings.MaxFragments, settings.StreamOver);
            // With permessage-deflate a compressed message (RSV1 on its first frame, RFC 7692 §6) is
            // inflated whole by the assembler, within max-message-size; the others are streamed.
            admission = deflate is null ? _streamer : _router = new MessageRouter(_streamer, _assembler);
        }
        _decoder = new FrameDecoder(role, settings.MaxFrameSize, admission, deflate is null ? (byte)0 : PerMessageDeflate.Rsv1);
    }

    /// <summary>True while what comes from TCP must wait: reading is paused (automatic), or parsed
    /// messages or the rest of a chunk wait for demand (explicit).</summary>
    private bool Holding => _explicit ? _waiting is { Count: > 0 } || _rest.Count > 0 : _readingSuspended;

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            // Chunks already read wait here unparsed: parsing them would only move their messages
            // into the handler's mailbox (or this reader's queue), which the pause bounds. TCP's end
            // waits behind them too: the close coordinator hears it after every frame read before
            // it (§7.1.1, §7.1.5).
            case SocketRead or Tcp.Received or Tcp.ConnectionClosed or CloseCoordinator.TcpLost when Holding:
                Stash.Stash();
                break;
            case SocketRead read:
                Parse(read.Bytes); // an array the socket actor gave away: unmasked and lent in place
                break;
            case Tcp.Received received:
                Parse(SocketRead.CopyOf(received).Bytes); // a ByteString's buffers are not ours to write
                break;
            case ActorIdentity { MessageId: int id } when id == (int)Probe.MessageId:
                OnProbeAnswered();
                break;
            case RequestMessages request:
                OnDemand(request.Count);
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

    private void Parse(ArraySegment<byte> chunk)
    {
        int at = 0;
        while (!_closeReceived && at < chunk.Count)
        {
            // Explicit demand: nothing more is parsed while a message waits for it (a close frame
            // behind it included, §7.1.1); the rest of the chunk waits with it.
            if (_explicit && _waiting is { Count: > 0 })
                break;
            var decoded = _inPlace ? _decoder.DecodeInPlace(chunk.AsSpan(at), _pieceOver) : _decoder.Decode(chunk.AsSpan(at));
            at += decoded.Consumed;
            if (decoded.Status == ProtocolStatus.NeedMoreData)
                break;
            if (decoded.Violation is { } violation)
                throw new WebSocketProtocolException(violation);
            OnFrame(decoded.Value, chunk);
        }
        _rest = _closeReceived || at == chunk.Count ? default : chunk[at..];
        // Idle connections keep no payload buffers (bench scenario 4: memory per idle connection).
        _decoder.ReleaseBuffers();
        _assembler.ReleaseBuffers();
        PauseIfBehind();
    }

    // ------------------------------------------------------------------ demand

    private void Deliver(object message)
    {
        if (_explicit)
        {
            if (_demand == 0)
            {
                (_waiting ??= new Queue<object>()).Enqueue(message);
                return;
            }
            _demand--;
            _handler.Tell(message);
            return;
        }
        _handler.Tell(message);
        if (_window > 0 && ++_delivered - _handled >= _probeEvery && _probedAt < 0)
            SendProbe();
    }

    private void SendProbe()
    {
        _probedAt = _delivered;
        _handler.Tell(Probe, Self);
    }

    private void PauseIfBehind()
    {
        if (_readingSuspended)
            return;
        if (_explicit ? _demand > 0 : _window == 0 || _delivered - _handled <= _window)
            return;
        _readingSuspended = true;
        _tcp.Tell(Tcp.SuspendReading.Instance);
        if (_explicit)
            _trace.DemandUsedUp(_waiting?.Count ?? 0);
        else
            _trace.ReadingPaused(_delivered - _handled);
    }

    /// <summary>The handler has handled every message delivered before the probe.</summary>
    private void OnProbeAnswered()
    {
        _handled = _probedAt;
        _probedAt = -1;
        long outstanding = _delivered - _handled;
        if (outstanding >= _probeEvery)
            SendProbe();
        if (_readingSuspended && outstanding <= _window / 2)
        {
            _readingSuspended = false;
            _tcp.Tell(Tcp.ResumeReading.Instance);
            _trace.ReadingResumed();
            Stash.UnstashAll();
        }
    }

    private void OnDemand(int count)
    {
        if (!_explicit)
            return; // automatic demand needs none (documented on RequestMessages)
        _demand = Math.Min(_demand + count, long.MaxValue / 2);
        while (_demand > 0 && _waiting is not null && _waiting.TryDequeue(out var waiting))
        {
            _demand--;
            _handler.Tell(waiting);
        }
        if (_waiting is not { Count: > 0 } && _rest.Count > 0)
        {
            var rest = _rest;
            _rest = default;
            Parse(rest);
        }
        if (Holding)
            return;
        Stash.UnstashAll();
        if (_readingSuspended && _demand > 0)
        {
            _readingSuspended = false;
            _tcp.Tell(Tcp.ResumeReading.Instance);
            _trace.DemandArrived();
        }
    }

    // ------------------------------------------------------------------ frames and messages

    private void OnFrame(Frame frame, ArraySegment<byte> chunk)
    {
        if (_decoder.PieceOffset == 0)
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

        if (_streamer is not null)
        {
            var payload = Lendable(frame.Payload, chunk);
            ProtocolViolation? refused;
            if (_router is null)
            {
                refused = _streamer.Add(frame.Header, payload, _decoder.PieceOffset, _decoder.PieceEndsFrame, this);
            }
            else
            {
                if (_router.Compressed)
                {
                    // A compressed frame comes whole (MessageRouter.TakesPieces); its bytes are counted for the trace.
                    if (frame.Opcode != Opcode.Continuation)
                        _compressedBytes = 0;
                    _compressedBytes += frame.Payload.Length;
                }
                refused = _router.Add(frame.Header, payload, _decoder.PieceOffset, _decoder.PieceEndsFrame, this);
            }
            if (refused is not null)
                throw new WebSocketProtocolException(refused);
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
        DeliverWhole(message.Type, message.Payload, chunk, owned: null);
    }

    /// <summary>
    /// A whole message, in the form the handler takes: lent (<c>messages.lend</c>), or as a string or
    /// an array. <paramref name="owned"/> is the same bytes as memory the handler may keep, when the
    /// caller has it (the streamer's and the router's messages); else they are lent from
    /// <paramref name="chunk"/> where they lie, or copied.
    /// </summary>
    private void DeliverWhole(MessageType type, ReadOnlySpan<byte> payload, ArraySegment<byte> chunk, ReadOnlyMemory<byte>? owned)
    {
        if (_lend)
        {
            DeliverLent(type, owned ?? Lendable(payload, chunk));
            return;
        }
        WebSocketMetrics.Received(_roleTag, payload.Length);
        if (type == MessageType.Text)
        {
            var text = Encoding.UTF8.GetString(payload);
            _trace.TextDelivered(text);
            Deliver(new TextReceived(text));
            return;
        }
        _trace.BinaryDelivered(payload.Length);
        // An array of exactly the payload (one the decoder gathered, or the streamer joined) is given as it is.
        ArraySegment<byte> segment = default;
        bool exact = owned is { } memory && System.Runtime.InteropServices.MemoryMarshal.TryGetArray(memory, out segment)
            && segment.Offset == 0 && segment.Count == segment.Array!.Length;
        Deliver(new BinaryReceived(exact ? segment.Array! : payload.ToArray()));
    }

    /// <summary>
    /// The payload as memory the handler may keep: the slice of the read buffer it was unmasked in,
    /// the decoder's array of exactly its size when it spanned reads, or else (a fragmented or an
    /// inflated message, joined in a pooled buffer) a copy of exactly its size. Never pooled memory:
    /// the contract lets the handler keep it as long as it likes.
    /// </summary>
    private ReadOnlyMemory<byte> Lendable(ReadOnlySpan<byte> payload, ArraySegment<byte> chunk)
    {
        if (payload.IsEmpty)
            return ReadOnlyMemory<byte>.Empty;
        if (chunk.AsSpan().Overlaps(payload, out int offset))
            return chunk.AsMemory(offset, payload.Length);
        if (_decoder.TakeGatheredPayload() is { } gathered && gathered.AsSpan().Overlaps(payload, out offset))
            return gathered.AsMemory(offset, payload.Length);
        return payload.ToArray();
    }

    private void DeliverLent(MessageType type, ReadOnlyMemory<byte> payload)
    {
        _trace.LentDelivered(type, payload.Length);
        WebSocketMetrics.Received(_roleTag, payload.Length);
        Deliver(new MessageReceived(type, payload));
    }

    /// <summary>A message the streamer let through whole, or a compressed one the router had inflated
    /// (in an array of its own): as any message of this connection.</summary>
    void IStreamedMessageSink.Message(MessageType type, ReadOnlyMemory<byte> payload)
    {
        if (_router is { Compressed: true })
            _trace.MessageInflated(_compressedBytes, payload.Length);
        DeliverWhole(type, payload.Span, default, owned: payload);
    }

    void IStreamedMessageSink.Part(MessageType type, ReadOnlyMemory<byte> payload, bool isLast)
    {
        _trace.PartDelivered(type, payload.Length, isLast);
        WebSocketMetrics.Received(_roleTag, payload.Length, endsMessage: isLast);
        Deliver(new PartReceived(type, payload, isLast));
    }
}
