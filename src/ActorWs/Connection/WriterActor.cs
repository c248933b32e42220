using System.Buffers;
using System.Text;
using Akka.Actor;
using Akka.IO;
using ActorWs.Logging;
using ActorWs.Protocol;

namespace ActorWs.Connection;

/// <summary>
/// Messages to frames to <c>Tcp.Write</c> (RFC 6455 §5, §6.1). One write is in flight at a time;
/// frames that come meanwhile are encoded into one pending buffer and go out together on the
/// ack, so a busy connection makes few, large writes. The socket's own queue is unbounded, so the
/// bound is kept here: the handler hears <see cref="SendBufferHigh"/> past the high watermark,
/// and past the hard limit the connection fails with 1008. With permessage-deflate, a data message
/// of at least <c>compression.threshold</c> bytes goes out compressed in one frame with RSV1 set
/// (RFC 7692 §6, §7.2.1); control frames never are (§6.1).
/// </summary>
internal sealed class WriterActor : UntypedActor
{
    /// <summary>From the reader: answer a ping (§5.5.2). <paramref name="Asked"/> is told when the
    /// writer takes it.</summary>
    public sealed record SendPong(byte[] Payload, PongsAsked? Asked = null);

    /// <summary>
    /// The pongs the reader has asked for that the writer has not taken from its mailbox yet: the one
    /// mutable thing two actors of a connection share, a counter, because the reader cannot see into
    /// the writer's mailbox. A peer that floods pings faster than the writer runs would otherwise
    /// fill that mailbox without bound before the writer's own limit (max-pending-control pongs
    /// waiting for the socket) is ever checked: on a loaded machine, 70 MB of them were seen.
    /// </summary>
    public sealed class PongsAsked
    {
        private int _count;

        /// <summary>One more asked for; returns how many wait now.</summary>
        public int Add() => Interlocked.Increment(ref _count);

        /// <summary>The writer has taken one.</summary>
        public void Taken() => Interlocked.Decrement(ref _count);
    }
    /// <summary>From the pinger: a keep-alive ping.</summary>
    public sealed record SendKeepAlivePing(byte[] Payload);
    /// <summary>From the close coordinator: the close frame, after which no data frame is sent (§5.5.1).</summary>
    public sealed record SendCloseFrame(CloseStatus? Status);
    /// <summary>To the close coordinator: our close frame has been handed to the OS.</summary>
    public sealed record CloseFrameWritten
    {
        public static readonly CloseFrameWritten Instance = new();
    }
    private sealed class WriteAck : Tcp.Event
    {
        public static readonly WriteAck Instance = new();
    }
    private sealed record FlushPending
    {
        public static readonly FlushPending Instance = new();
    }

    private readonly bool _mask;
    private readonly WebSocketSettings _settings;
    private readonly IActorRef _tcp;
    private readonly IActorRef _handler;
    private readonly IActorRef _closer;
    private readonly LifecycleTrace _trace;

    private byte[]? _pending;
    private int _pendingLength;
    private int _pendingPongs;
    private bool _pendingHasClose;
    private byte[]? _inFlight;
    private int _inFlightLength;
    private bool _inFlightHasClose;
    private bool _closeQueued;
    private bool _aboveHighWatermark;
    private bool _flushScheduled;
    private readonly KeyValuePair<string, object?> _roleTag;
    private readonly MessageDeflater? _deflater;
    private readonly int _compressionThreshold;

    public WriterActor(Role role, WebSocketSettings settings, IActorRef tcp, IActorRef handler, IActorRef closer, LifecycleTrace trace, DeflateParameters? deflate)
    {
        if (deflate is not null)
        {
            var options = settings.Compression ?? PerMessageDeflateOptions.Default;
            // §7.1.1: our compressor keeps its window only if we chose to and the agreement allows it.
            _deflater = new MessageDeflater(options.Level, options.ContextTakeover && !deflate.NoContextTakeover(role));
            _compressionThreshold = Math.Max(1, options.Threshold); // an empty message is never worth a compressor
        }
        _roleTag = WebSocketMetrics.RoleTag(role);
        _mask = role == Role.Client; // §5.1: a client masks every frame, a server none
        _settings = settings;
        _tcp = tcp;
        _handler = handler;
        _closer = closer;
        _trace = trace;
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case SendText m:
                SendData(Opcode.Text, m.Text);
                break;
            case SendBinary m:
                WebSocketMetrics.Sent(_roleTag, m.Data.Length);
                if (ShouldCompress(m.Data.Length))
                    SendCompressed(Opcode.Binary, m.Data);
                else
                    SendData(Opcode.Binary, m.Data);
                break;
            case FlushPending:
                _flushScheduled = false;
                Flush();
                break;
            case WriteAck:
                OnAck();
                break;
            case SendPing m:
                SendControl(Opcode.Ping, m.Payload);
                break;
            case SendKeepAlivePing m:
                SendControl(Opcode.Ping, m.Payload);
                break;
            case SendPong m:
                m.Asked?.Taken();
                if (++_pendingPongs > _settings.MaxPendingControl)
                    throw new SendBufferOverflowException($"more than {_settings.MaxPendingControl} pongs wait to be written: ping flood");
                SendControl(Opcode.Pong, m.Payload);
                break;
            case SendCloseFrame m:
                SendClose(m.Status);
                break;
            // The handler holds this actor as its connection (Opened.Connection): data goes out from
            // here without a hop through the parent, and the rest of its commands go on to the parent.
            case Close or Abort or RequestMessages:
                Context.Parent.Forward(message);
                break;
            case Tcp.CommandFailed:
                break; // the connection is closing; the connection actor hears why
            default:
                Unhandled(message);
                break;
        }
    }

    public static Props Props(Role role, WebSocketSettings settings, IActorRef tcp, IActorRef handler, IActorRef closer, LifecycleTrace trace,
        DeflateParameters? deflate = null) =>
        Akka.Actor.Props.Create(() => new WriterActor(role, settings, tcp, handler, closer, trace, deflate));

    protected override void PostStop()
    {
        _deflater?.Dispose();
        if (_pending is not null)
            PayloadBuffers.Return(_pending);
        // A buffer still in flight may still be read by the socket: leave it to the GC rather than the pool.
        _pending = null;
    }

    private long Buffered => _pendingLength + (_inFlight is null ? 0 : _inFlightLength);

    private void SendData(Opcode opcode, string text)
    {
        if (RefuseAfterClose(opcode))
            return;
        _trace.TextSent(text);
        int length = Encoding.UTF8.GetByteCount(text);
        WebSocketMetrics.Sent(_roleTag, length);
        if (ShouldCompress(length))
        {
            var utf8 = PayloadBuffers.Rent(length);
            try
            {
                SendCompressed(opcode, utf8.AsSpan(0, Encoding.UTF8.GetBytes(text, utf8)));
            }
            finally
            {
                PayloadBuffers.Return(utf8);
            }
            return;
        }
        var frame = Reserve(opcode, length, out var header);
        Encoding.UTF8.GetBytes(text, frame[^length..]);
        Commit(frame, header, length);
    }

    private void SendData(Opcode opcode, ReadOnlySpan<byte> data)
    {
        if (RefuseAfterClose(opcode))
            return;
        var frame = Reserve(opcode, data.Length, out var header);
        data.CopyTo(frame[^data.Length..]);
        Commit(frame, header, data.Length);
    }

    private bool ShouldCompress(int length) => _deflater is not null && length >= _compressionThreshold;

    /// <summary>A whole data message compressed into one frame with RSV1 set (RFC 7692 §7.2.1: the
    /// sync flush's 00 00 ff ff removed by the deflater).</summary>
    private void SendCompressed(Opcode opcode, ReadOnlySpan<byte> message)
    {
        if (RefuseAfterClose(opcode))
            return;
        var compressed = _deflater!.Compress(message, out int length);
        try
        {
            _trace.MessageCompressed(opcode, message.Length, length);
            var frame = Reserve(opcode, length, out var header, PerMessageDeflate.Rsv1);
            compressed.AsSpan(0, length).CopyTo(frame[^length..]);
            Commit(frame, header, length);
        }
        finally
        {
            PayloadBuffers.Return(compressed);
        }
    }

    private void SendControl(Opcode opcode, ReadOnlySpan<byte> payload)
    {
        if (payload.Length > FrameHeader.MaxControlPayload)
            throw new ArgumentException($"{opcode.Name()} payload of {payload.Length} bytes is over 125 (RFC 6455 §5.5)");
        SendData(opcode, payload);
    }

    private void SendClose(CloseStatus? status)
    {
        if (_closeQueued)
            return;
        var payload = status?.ToPayload() ?? [];
        var frame = Reserve(Opcode.Close, payload.Length, out var header);
        payload.CopyTo(frame[^payload.Length..]);
        _closeQueued = true;
        _pendingHasClose = true;
        Commit(frame, header, payload.Length);
    }

    private bool RefuseAfterClose(Opcode opcode)
    {
        if (!_closeQueued)
            return false;
        _trace.NotSentAfterClose(opcode);
        return true;
    }

    /// <summary>Room for one whole frame at the end of the pending buffer, header already written.</summary>
    private Span<byte> Reserve(Opcode opcode, int payloadLength, out FrameHeader header, byte rsv = 0)
    {
        header = new FrameHeader(true, rsv, opcode, _mask, payloadLength, _mask ? Masking.NewKey() : 0);
        int frameLength = header.EncodedLength + payloadLength;
        EnsurePending(frameLength);
        var frame = _pending.AsSpan(_pendingLength, frameLength);
        header.WriteTo(frame);
        return frame;
    }

    private void Commit(Span<byte> frame, in FrameHeader header, int payloadLength)
    {
        // Traced before masking, so the preview shows the payload, not its masked bytes (§5.3).
        _trace.FrameSent(header, frame[^payloadLength..]);
        if (header.Masked)
            Masking.Apply(frame[^payloadLength..], header.MaskKey);
        _pendingLength += frame.Length;
        CheckBounds();
        // Not written at once: the messages already in our mailbox (a reader delivers a whole TCP
        // chunk's worth of messages at a time) join this one, and they all go out in one write.
        if (_inFlight is null && !_flushScheduled)
        {
            _flushScheduled = true;
            Self.Tell(FlushPending.Instance);
        }
    }

    private void EnsurePending(int more)
    {
        int needed = _pendingLength + more;
        if (_pending is not null && _pending.Length >= needed)
            return;
        var grown = PayloadBuffers.Rent(Math.Max(needed, Math.Max(4096, (_pending?.Length ?? 0) * 2)));
        if (_pending is not null)
        {
            _pending.AsSpan(0, _pendingLength).CopyTo(grown);
            PayloadBuffers.Return(_pending);
        }
        _pending = grown;
    }

    private void CheckBounds()
    {
        long buffered = Buffered;
        if (buffered > _settings.WriteMaxBuffered)
            throw new SendBufferOverflowException($"{buffered} bytes wait for a peer that does not read (limit {_settings.WriteMaxBuffered})");
        if (!_aboveHighWatermark && buffered > _settings.WriteHighWatermark)
        {
            _aboveHighWatermark = true;
            _handler.Tell(new SendBufferHigh(buffered));
            WebSocketMetrics.SendBufferHigh(_roleTag);
        }
    }

    private void Flush()
    {
        if (_inFlight is not null || _pendingLength == 0)
            return;
        (_inFlight, _inFlightLength, _inFlightHasClose) = (_pending, _pendingLength, _pendingHasClose);
        (_pending, _pendingLength, _pendingPongs, _pendingHasClose) = (null, 0, 0, false);
        _tcp.Tell(Tcp.Write.Create(ByteString.FromBytes(_inFlight!, 0, _inFlightLength), WriteAck.Instance));
    }

    private void OnAck()
    {
        if (_inFlight is not null)
            PayloadBuffers.Return(_inFlight);
        _inFlight = null;
        if (_inFlightHasClose)
            _closer.Tell(CloseFrameWritten.Instance);
        _inFlightHasClose = false;
        Flush();
        if (_aboveHighWatermark && Buffered <= _settings.WriteHighWatermark / 2)
        {
            _aboveHighWatermark = false;
            _handler.Tell(new SendBufferDrained(Buffered));
        }
    }
}
