using System.Diagnostics.CodeAnalysis;

namespace ActorWs.Protocol;

/// <summary>How a call into the protocol core ended.</summary>
public enum ProtocolStatus : byte
{
    /// <summary>What the input holds is not complete yet: call again with more. A parser that keeps
    /// partial input (the decoder, the head reader, the assembler) has taken all it was offered.</summary>
    NeedMoreData,
    /// <summary>The value is complete; input after it was not consumed.</summary>
    Complete,
    /// <summary>The peer broke a rule; <see cref="ProtocolResult{T}.Violation"/> says which.</summary>
    Violation,
}

/// <summary>
/// What every parser of the protocol core answers: a status, the value once complete, how many
/// input bytes were consumed (for parsers that take a byte stream) and the violation, if any. A
/// ref struct so that it can carry the <see cref="Frame"/> and <see cref="Message"/> views into
/// the parser's buffers without a copy or an allocation; like them it is valid only until the
/// parser's next call.
/// </summary>
/// <remarks>
/// Fields rather than properties, and on the hot path (<see cref="FrameDecoder.Decode"/>,
/// <see cref="MessageAssembler.Add"/>) built once per call from a private step's out parameters:
/// the JIT copies a struct this size through a stack temporary at every property read and every
/// construction site, and on 32-byte frames those copies cost more than the decoding.
/// </remarks>
public readonly ref struct ProtocolResult<T> where T : allows ref struct
{
    internal ProtocolResult(ProtocolStatus status, T? value, int consumed, ProtocolViolation? violation)
    {
        Status = status;
        Value = value;
        Consumed = consumed;
        Violation = violation;
    }

    /// <summary>Whether the value is complete, more data is needed, or the peer broke a rule.</summary>
    public readonly ProtocolStatus Status;

    /// <summary>The parsed value when <see cref="Status"/> is <see cref="ProtocolStatus.Complete"/>; default otherwise.</summary>
    public readonly T? Value;

    /// <summary>Input bytes taken; the caller passes the rest to the next call.</summary>
    public readonly int Consumed;

    /// <summary>The rule the peer broke when <see cref="Status"/> is <see cref="ProtocolStatus.Violation"/>; null otherwise.</summary>
    public readonly ProtocolViolation? Violation;

    /// <summary>Whether <see cref="Status"/> is <see cref="ProtocolStatus.Complete"/>; then <see cref="Value"/> is set.</summary>
    [MemberNotNullWhen(true, nameof(Value))]
    public bool IsComplete => Status == ProtocolStatus.Complete;

    internal static ProtocolResult<T> Complete(T value, int consumed = 0) => new(ProtocolStatus.Complete, value, consumed, null);

    internal static ProtocolResult<T> NeedMoreData(int consumed = 0) => new(ProtocolStatus.NeedMoreData, default, consumed, null);

    internal static ProtocolResult<T> Fail(ProtocolViolation violation, int consumed = 0) => new(ProtocolStatus.Violation, default, consumed, violation);

    internal static ProtocolResult<T> Fail(ViolationKind kind, string reason, int consumed = 0) => Fail(new ProtocolViolation(kind, reason), consumed);

    /// <summary>The status, and the violation or the bytes consumed.</summary>
    public override string ToString() => Status == ProtocolStatus.Violation ? $"{Status}: {Violation}" : $"{Status} ({Consumed} bytes consumed)";
}
