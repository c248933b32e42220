namespace ActorWs.Protocol;

/// <summary>
/// Streamed messages with permessage-deflate (RFC 7692): routes each message's frames, by its
/// first frame, to a <see cref="MessageStreamer"/> (uncompressed: streamed over its part size, as
/// with no extension) or to a <see cref="MessageAssembler"/> (compressed: inflated whole, bounded
/// by the assembler's size limit on the inflated bytes). RSV1 on a message's first frame marks it
/// compressed (§6); its continuation frames carry RSV1 = 0 (§6.1), so the choice is remembered
/// until the frame with FIN ends the message. The decoder's admission is fixed when it is built;
/// this is that admission, and the router of the frames it then hands out.
/// </summary>
/// <remarks>
/// A compressed message is given to the sink whole (<see cref="IStreamedMessageSink.Message"/>),
/// whatever its size, in an array of exactly its size (the assembler's buffer is pooled, and the
/// sink may keep what it is given). A compressed frame is never handed out in pieces
/// (<see cref="TakesPieces"/>): the decoder gathers it, bounded by its frame size limit, and the
/// assembler inflates it at once.
/// </remarks>
public sealed class MessageRouter : IFrameAdmission
{
    private readonly MessageStreamer _streamer;
    private readonly MessageAssembler _assembler;
    private bool _inMessage;  // a data frame without FIN was admitted, and not yet the one with FIN
    private bool _compressed; // the message of the frame last admitted is compressed

    /// <summary>A router of uncompressed messages to <paramref name="streamer"/> and compressed ones
    /// to <paramref name="assembler"/>, which must have an inflater. The caller keeps both (and
    /// releases and disposes the assembler as before).</summary>
    public MessageRouter(MessageStreamer streamer, MessageAssembler assembler)
    {
        _streamer = streamer;
        _assembler = assembler;
    }

    /// <summary>Whether the message of the frame last admitted is compressed: the frame goes to the assembler.</summary>
    public bool Compressed => _compressed;

    /// <summary>Admits a header as the receiver of its message would (§5.4, §10.4, RFC 7692 §6.1).</summary>
    public ProtocolViolation? Admit(in FrameHeader header)
    {
        bool rsv1 = (header.Rsv & PerMessageDeflate.Rsv1) != 0;
        // RSV1 on a control frame or a continuation is misplaced (RFC 7692 §6.1), whatever the
        // message; the assembler says so. A control frame is otherwise taken by either.
        if (header.Opcode.IsControl() || (rsv1 && header.Opcode == Opcode.Continuation))
            return _assembler.Admit(header);
        // A Text or Binary frame starts a message, and its RSV1 decides where the message goes.
        if (header.Opcode != Opcode.Continuation)
        {
            if (_inMessage)
                return new(ViolationKind.DataFrameInsideMessage, $"new {header.Opcode.Name()} frame inside a fragmented message (§5.4)");
            _compressed = rsv1;
        }
        var refused = _compressed ? _assembler.Admit(header) : _streamer.Admit(header);
        if (refused is null)
            _inMessage = !header.Fin;
        return refused;
    }

    /// <summary>Shows the receiver of the frame's message the parts of a frame gathered across inputs.</summary>
    public ProtocolViolation? AdmitPayload(in FrameHeader header, ReadOnlySpan<byte> part) =>
        _compressed ? _assembler.AdmitPayload(header, part) : ((IFrameAdmission)_streamer).AdmitPayload(header, part);

    /// <summary>Only an uncompressed frame comes in pieces: the assembler inflates whole frames.</summary>
    public bool TakesPieces(in FrameHeader header) => !_compressed;

    /// <summary>
    /// Takes a data frame, or a piece of an uncompressed one, that this router admitted last, and
    /// gives the sink what is ready: parts or a whole message. Null, or the violation that fails
    /// the connection.
    /// </summary>
    /// <param name="header">The frame's header.</param>
    /// <param name="payload">The frame's payload or the piece of it that arrived, unmasked, the caller's to give away.</param>
    /// <param name="payloadOffset">Where the piece starts in the frame's payload (0 for a compressed frame).</param>
    /// <param name="endsFrame">Whether the piece ends the frame (true for a compressed frame).</param>
    /// <param name="sink">Takes the messages and parts.</param>
    public ProtocolViolation? Add(in FrameHeader header, ReadOnlyMemory<byte> payload, long payloadOffset, bool endsFrame, IStreamedMessageSink sink)
    {
        if (!_compressed)
            return _streamer.Add(header, payload, payloadOffset, endsFrame, sink);
        if (payloadOffset != 0 || !endsFrame)
            throw new ArgumentException("a compressed frame is taken whole (TakesPieces)", nameof(payloadOffset));
        var assembled = _assembler.Add(header, payload.Span);
        if (assembled.Violation is { } refused)
            return refused;
        if (assembled.Status == ProtocolStatus.Complete)
            sink.Message(assembled.Value.Type, assembled.Value.Payload.ToArray());
        return null;
    }
}
