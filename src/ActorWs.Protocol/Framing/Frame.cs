namespace ActorWs.Protocol;

/// <summary>A whole decoded frame: its header and its unmasked payload. The payload may point into
/// the decoder's input or its scratch buffer, so it is valid only until the decoder's next call.</summary>
public readonly ref struct Frame(FrameHeader header, ReadOnlySpan<byte> payload)
{
    /// <summary>The frame's header (§5.2).</summary>
    public FrameHeader Header { get; } = header;
    /// <summary>The payload, unmasked.</summary>
    public ReadOnlySpan<byte> Payload { get; } = payload;
    /// <summary>The header's opcode.</summary>
    public Opcode Opcode => Header.Opcode;
    /// <summary>Whether this is the final fragment of its message.</summary>
    public bool Fin => Header.Fin;
}

/// <summary>A check applied to each frame header as soon as it is decoded, before any of its
/// payload is buffered, so limits hold against a peer that announces a huge frame.</summary>
public interface IFrameAdmission
{
    /// <summary>Null to take the frame, or the violation that refuses it.</summary>
    ProtocolViolation? Admit(in FrameHeader header);
}
