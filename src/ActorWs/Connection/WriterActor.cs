using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using Akka.Actor;
using Akka.IO;
using ActorWs.Logging;
using ActorWs.Protocol;
using ActorWs.Transport;

namespace ActorWs.Connection;

/// <summary>
/// Messages to frames to <c>Tcp.Write</c> (RFC 6455 §5, §6.1). One write is in flight at a time;
/// frames that come meanwhile are encoded into one pending buffer and go out together on the
/// ack, so a busy connection makes few, large writes. The socket's own queue is unbounded, so the
/// bound is kept here: the handler hears <see cref="SendBufferHigh"/> past the high watermark,
/// and past the hard limit the connection fails with 1008. With permessage-deflate, a data message
/// of at least <c>compression.threshold</c> bytes goes out compressed in one frame with RSV1 set
/// (RFC 7692 §6, §7.2.1); control frames never are (§6.1).
/// <para>
/// Lent payloads (<see cref="Send"/>, <see cref="SendPart"/>, a received <see cref="MessageReceived"/>
/// or <see cref="PartReceived"/> told to be sent on, and a large <see cref="SendBinary"/>) of at least
/// <see cref="LendAtLeast"/> bytes are not copied: the pending write becomes the frame header in the
/// pending buffer followed by the application's own array, sent with one gather write
/// (<see cref="GatherWrite"/>). Smaller ones are copied, which is what lets many small frames share one
/// write. A client copies every payload, masking it on the way (RFC 6455 §5.3: the one copy the RFC
/// forces); a compressed message is our own output anyway. Memory that is not backed by an array is copied.
/// </para>
/// <para>
/// Acks are told once the write that carries the payload has been acknowledged by the socket, for a
/// copied payload as for a lent one, so they come in the order of the sends and pace a sender by
/// what the OS takes. A connection that closes first tells none.
/// </para>
/// <para>
/// A streamed message (§5.4) is open from its first part to the one with <c>IsLast</c>, and belongs
/// to the actor that sent its first part. Meanwhile every other data message, and the parts of any
/// other sender, wait whole in a queue behind it (counted against <c>max-buffered</c> like written
/// bytes), because fragments of two messages must not interleave; control frames do not wait.
/// </para>
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

    /// <summary>
    /// Payloads from this size on are lent to the socket instead of copied. Below it the copy costs
    /// less than the gather write's extra segment (and its pinning) would, and small frames coalesce.
    /// </summary>
    internal const int LendAtLeast = 2048;

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
    // Lent payloads of the pending write, each to go out after the pending buffer's first At bytes.
    private List<(int At, ArraySegment<byte> Payload)>? _lent;
    private long _lentLength;
    // Acks to tell when the pending write, then the write in flight, is acknowledged.
    private List<(IActorRef To, object Ack)>? _pendingAcks;
    private List<(IActorRef To, object Ack)>? _inFlightAcks;
    private byte[]? _inFlight;
    private long _inFlightLength;
    private long _inFlightLent;
    // The streamed message now open (§5.4), and the data commands that wait for it to end.
    private IActorRef? _streamOwner;
    private Opcode _streamOpcode;
    private List<(object Command, IActorRef Sender)>? _held;
    private long _heldBytes;
    private bool _releasing;
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
            case SendText or SendBinary or Send or MessageReceived or SendPart or PartReceived:
                if (WaitsForOpenStream(message, Sender))
                    Hold(message, Sender);
                else
                    SendMessage(message, Sender);
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

    private long Buffered => _pendingLength + _lentLength + (_inFlight is null ? 0 : _inFlightLength) + _heldBytes;

    /// <summary>Whether a data command must wait: a streamed message is open (§5.4) and this is not
    /// its owner's next part.</summary>
    private bool WaitsForOpenStream(object command, IActorRef sender) =>
        _streamOwner is not null && !(command is SendPart or PartReceived && sender.Equals(_streamOwner));

    /// <summary>A data command, now that no other message's fragments are open in front of it.</summary>
    private void SendMessage(object command, IActorRef sender)
    {
        switch (command)
        {
            case SendText m:
                SendData(Opcode.Text, m.Text);
                break;
            case SendBinary m:
                SendWhole(Opcode.Binary, m.Data, null, sender); // its contract: the array does not change after sending
                break;
            case Send m:
                SendWhole((Opcode)m.Type, m.Payload, m.Ack, sender);
                break;
            case MessageReceived m:
                SendWhole((Opcode)m.Type, m.Payload, null, sender);
                break;
            case SendPart m:
                SendPartFrame(m.Type, m.Payload, m.IsLast, m.Ack, sender);
                break;
            case PartReceived m:
                SendPartFrame(m.Type, m.Payload, m.IsLast, null, sender);
                break;
        }
    }

    private void SendWhole(Opcode opcode, ReadOnlyMemory<byte> payload, object? ack, IActorRef sender)
    {
        if (RefuseAfterClose(opcode))
            return;
        WebSocketMetrics.Sent(_roleTag, payload.Length);
        if (ShouldCompress(payload.Length))
            SendCompressed(opcode, payload.Span);
        else
            SendFrame(true, opcode, payload);
        AckWithWrite(ack, sender);
    }

    /// <summary>A part of a streamed message (§5.4): the first carries the message's opcode, the rest
    /// are continuations, and only the last has FIN. Never compressed: RFC 7692 §6 lets a message go
    /// uncompressed, and a part has to go out before the message's end is known.</summary>
    private void SendPartFrame(MessageType type, ReadOnlyMemory<byte> payload, bool isLast, object? ack, IActorRef sender)
    {
        var opcode = (Opcode)type;
        if (RefuseAfterClose(opcode))
            return;
        if (_streamOwner is null)
        {
            if (!isLast)
                (_streamOwner, _streamOpcode) = (sender, opcode);
        }
        else
        {
            if (_streamOpcode != opcode)
                throw new InvalidOperationException($"a {type} part sent into an open {(MessageType)_streamOpcode} message (RFC 6455 §5.4)");
            opcode = Opcode.Continuation;
            if (isLast)
                _streamOwner = null;
        }
        WebSocketMetrics.Sent(_roleTag, payload.Length, endsMessage: isLast);
        SendFrame(isLast, opcode, payload);
        AckWithWrite(ack, sender);
        if (_streamOwner is null)
            ReleaseHeld();
    }

    private void AckWithWrite(object? ack, IActorRef sender)
    {
        if (ack is not null)
            (_pendingAcks ??= []).Add((sender, ack));
    }

    /// <summary>Behind the open streamed message: whole, and counted against the bounds.</summary>
    private void Hold(object command, IActorRef sender)
    {
        if (_closeQueued)
        {
            RefuseAfterClose(command is SendText ? Opcode.Text : Opcode.Binary);
            return;
        }
        (_held ??= []).Add((command, sender));
        _heldBytes += HeldSize(command);
        CheckBounds();
    }

    private static long HeldSize(object command) => command switch
    {
        SendText m => m.Text.Length, // a lower bound of its UTF-8, enough for a bound on memory
        SendBinary m => m.Data.Length,
        Send m => m.Payload.Length,
        MessageReceived m => m.Payload.Length,
        SendPart m => m.Payload.Length,
        PartReceived m => m.Payload.Length,
        _ => 0,
    };

    /// <summary>
    /// The streamed message ended: what waited goes out in its order. A held part can open the next
    /// streamed message; then only that sender's parts go on, and the rest wait again, still in
    /// their order (so one sender's messages are never reordered among themselves, except a whole
    /// message it sent while its own streamed message was open, which has to wait for that one's end).
    /// </summary>
    private void ReleaseHeld()
    {
        if (_releasing || _held is null)
            return;
        _releasing = true;
        try
        {
            int i = 0;
            while (i < _held.Count)
            {
                var (command, sender) = _held[i];
                if (WaitsForOpenStream(command, sender))
                {
                    i++;
                    continue;
                }
                _held.RemoveAt(i);
                _heldBytes -= HeldSize(command);
                SendMessage(command, sender);
                if (_streamOwner is null)
                    i = 0; // a streamed message ended: what it held back from the head on may go now
            }
        }
        finally
        {
            _releasing = false;
        }
    }

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
        var frame = Reserve(true, opcode, length, out var header);
        var payload = frame[^length..];
        Encoding.UTF8.GetBytes(text, payload);
        _trace.FrameSent(header, payload);
        if (header.Masked)
            Masking.Apply(payload, header.MaskKey);
        Commit(frame.Length);
    }

    /// <summary>One frame of <paramref name="payload"/>: lent to the socket when it is large, in an
    /// array, and need not be masked; otherwise copied (and masked) into the pending buffer.</summary>
    private void SendFrame(bool fin, Opcode opcode, ReadOnlyMemory<byte> payload)
    {
        if (!_mask && payload.Length >= LendAtLeast && MemoryMarshal.TryGetArray(payload, out var lent))
        {
            var header = new FrameHeader(fin, 0, opcode, false, payload.Length);
            EnsurePending(header.EncodedLength);
            header.WriteTo(_pending.AsSpan(_pendingLength));
            _trace.FrameSent(header, payload.Span);
            _pendingLength += header.EncodedLength;
            (_lent ??= []).Add((_pendingLength, lent));
            _lentLength += lent.Count;
            Committed();
            return;
        }
        SendCopied(fin, opcode, payload.Span);
    }

    private void SendCopied(bool fin, Opcode opcode, ReadOnlySpan<byte> payload, byte rsv = 0)
    {
        var frame = Reserve(fin, opcode, payload.Length, out var header, rsv);
        // Traced before masking, so the preview shows the payload, not its masked bytes (§5.3).
        _trace.FrameSent(header, payload);
        if (header.Masked)
            Masking.Apply(payload, frame[^payload.Length..], header.MaskKey); // copied and masked in one pass
        else
            payload.CopyTo(frame[^payload.Length..]);
        Commit(frame.Length);
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
            SendCopied(true, opcode, compressed.AsSpan(0, length), PerMessageDeflate.Rsv1);
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
        if (RefuseAfterClose(opcode))
            return;
        SendCopied(true, opcode, payload);
    }

    private void SendClose(CloseStatus? status)
    {
        if (_closeQueued)
            return;
        var payload = status?.ToPayload() ?? [];
        _closeQueued = true;
        _pendingHasClose = true;
        SendCopied(true, Opcode.Close, payload);
        // Nothing goes after our close frame (§5.5.1): what waited for a streamed message never will.
        _held = null;
        _heldBytes = 0;
    }

    private bool RefuseAfterClose(Opcode opcode)
    {
        if (!_closeQueued)
            return false;
        _trace.NotSentAfterClose(opcode);
        return true;
    }

    /// <summary>Room for one whole frame at the end of the pending buffer, header already written.</summary>
    private Span<byte> Reserve(bool fin, Opcode opcode, int payloadLength, out FrameHeader header, byte rsv = 0)
    {
        header = new FrameHeader(fin, rsv, opcode, _mask, payloadLength, _mask ? Masking.NewKey() : 0);
        int frameLength = header.EncodedLength + payloadLength;
        EnsurePending(frameLength);
        var frame = _pending.AsSpan(_pendingLength, frameLength);
        header.WriteTo(frame);
        return frame;
    }

    private void Commit(int frameLength)
    {
        _pendingLength += frameLength;
        Committed();
    }

    private void Committed()
    {
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
        (_inFlight, _inFlightLength, _inFlightLent, _inFlightHasClose) = (_pending, _pendingLength + _lentLength, _lentLength, _pendingHasClose);
        (_pendingAcks, _inFlightAcks) = (_inFlightAcks, _pendingAcks); // the in-flight list is empty here: reused, not reallocated
        Tcp.SimpleWriteCommand write = _lent is { Count: > 0 }
            ? new GatherWrite(Segments(_pending!, _pendingLength, _lent), WriteAck.Instance)
            : Tcp.Write.Create(ByteString.FromBytes(_pending!, 0, _pendingLength), WriteAck.Instance);
        _lent?.Clear();
        (_pending, _pendingLength, _lentLength, _pendingPongs, _pendingHasClose) = (null, 0, 0, 0, false);
        _tcp.Tell(write);
    }

    /// <summary>The pending buffer cut where the lent payloads go, and them between its pieces. Every
    /// lent payload has its frame header in the pending buffer right before it.</summary>
    private static ArraySegment<byte>[] Segments(byte[] pending, int pendingLength, List<(int At, ArraySegment<byte> Payload)> lent)
    {
        var segments = new ArraySegment<byte>[2 * lent.Count + (lent[^1].At < pendingLength ? 1 : 0)];
        int i = 0, from = 0;
        foreach (var (at, payload) in lent)
        {
            segments[i++] = new ArraySegment<byte>(pending, from, at - from);
            segments[i++] = payload;
            from = at;
        }
        if (from < pendingLength)
            segments[i] = new ArraySegment<byte>(pending, from, pendingLength - from);
        return segments;
    }

    private void OnAck()
    {
        if (_inFlight is not null)
            PayloadBuffers.Return(_inFlight);
        _inFlight = null;
        if (_inFlightLent >= PayloadBuffers.LargeThreshold)
            Memory.MemoryReclaimer.LargeLentReleased();
        if (_inFlightAcks is { Count: > 0 } acks)
        {
            foreach (var (to, ack) in acks)
                to.Tell(ack);
            acks.Clear();
        }
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
