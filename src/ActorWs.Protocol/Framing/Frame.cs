namespace ActorWs.Protocol;

/// <summary>A whole decoded frame: its header and its unmasked payload. The payload may point into
/// the decoder's input or its scratch buffer, so it is valid only until the decoder's next call.
/// Two fields and no more: it is returned for every frame, and two more (a piece's position) made
/// decoding 32-byte frames about 25 % slower (bench/ActorWs.Benchmarks, 296 → 375 µs per 10,000), so a
/// piece's position is the decoder's to tell (<see cref="FrameDecoder.PieceOffset"/>,
/// <see cref="FrameDecoder.PieceEndsFrame"/>).</summary>
public readonly ref struct Frame(FrameHeader header, ReadOnlySpan<byte> payload)
{
    /// <summary>The frame's header (§5.2).</summary>
    public FrameHeader Header { get; } = header;
    /// <summary>The payload, unmasked: all of it, or, for a piece of a large frame
    /// (<see cref="FrameDecoder.DecodeInPlace"/> with <c>pieceOver</c>), the bytes that arrived.</summary>
    public ReadOnlySpan<byte> Payload { get; } = payload;
    /// <summary>The header's opcode.</summary>
    public Opcode Opcode => Header.Opcode;
    /// <summary>Whether this is the final fragment of its message.</summary>
    public bool Fin => Header.Fin;
}

/// <summary>Checks applied to each frame as it arrives: its header as soon as it is decoded, before
/// any of its payload is buffered, so limits hold against a peer that announces a huge frame; and
/// the parts of a payload that arrives across input chunks, so content that breaks a rule fails the
/// connection at the chunk that holds it, not when the frame is complete (§8.1).</summary>
public interface IFrameAdmission
{
    /// <summary>Null to take the frame, or the violation that refuses it.</summary>
    ProtocolViolation? Admit(in FrameHeader header);

    /// <summary>
    /// Null to take these payload bytes, or the violation that refuses them. The decoder calls it
    /// for a frame whose payload spans input chunks, with each part, unmasked, in order, as it
    /// arrives (parts may be empty); after it refuses one, the decoder stays failed. A payload whole
    /// in one chunk is not shown here: its receiver gets the frame from the same call. By default
    /// every part is taken.
    /// </summary>
    /// <param name="header">The header of the frame the bytes belong to, already admitted.</param>
    /// <param name="part">The payload bytes that arrived in this chunk, valid only for this call.</param>
    ProtocolViolation? AdmitPayload(in FrameHeader header, ReadOnlySpan<byte> part) => null;

    /// <summary>
    /// Whether a data frame just admitted may be handed out in pieces by
    /// <see cref="FrameDecoder.DecodeInPlace"/> when it is over the piece size; false to have its
    /// payload gathered whole (a compressed frame, which is inflated whole: <see cref="MessageRouter"/>).
    /// By default every frame may.
    /// </summary>
    /// <param name="header">The header of the frame, already admitted.</param>
    bool TakesPieces(in FrameHeader header) => true;
}
