using System.Buffers;
using System.Runtime.CompilerServices;

namespace ActorWs.Protocol;

/// <summary>The two kinds of data message (§5.6).</summary>
public enum MessageType : byte
{
    /// <summary>UTF-8 text.</summary>
    Text = (byte)Opcode.Text,
    /// <summary>Binary data.</summary>
    Binary = (byte)Opcode.Binary,
}

/// <summary>A whole data message. Its payload is valid only until the assembler's next call.</summary>
public readonly ref struct Message(MessageType type, ReadOnlySpan<byte> payload)
{
    /// <summary>Text or binary.</summary>
    public MessageType Type { get; } = type;
    /// <summary>All the message's fragments, joined.</summary>
    public ReadOnlySpan<byte> Payload { get; } = payload;
}

/// <summary>
/// Joins data frames into messages (RFC 6455 §5.4): a Text or Binary frame starts a message, FIN=0
/// announces continuation frames, the frame with FIN=1 ends it. Control frames may come between
/// fragments and are not passed here. Limits on message size and fragment count are enforced from
/// each frame's header (as <see cref="IFrameAdmission"/>) before its payload is buffered. Text is
/// validated as UTF-8 as it arrives, so invalid text fails before the message ends (§8.1): fragment
/// by fragment, and, when the decoder shows it the parts of a frame that spans input chunks
/// (<see cref="AdmitPayload"/>), chunk by chunk before the frame is complete.
/// </summary>
/// <remarks>Every data frame the assembler admits must then be passed to <see cref="Add"/>, which
/// validates only the bytes of it that <see cref="AdmitPayload"/> has not already seen.</remarks>
public sealed class MessageAssembler(long maxMessageSize, int maxFragments) : IFrameAdmission, IDisposable
{
    private readonly long _maxMessageSize = Math.Min(maxMessageSize, Array.MaxLength);
    private readonly int _maxFragments = maxFragments;

    private MessageType? _current;
    private byte[]? _buffer;
    private int _length;
    private int _fragments;
    private Utf8Validator _utf8;
    private int _validatedOfFrame; // bytes of the frame being received that AdmitPayload has validated

    /// <summary>True while a fragmented message is being assembled.</summary>
    internal bool InMessage => _current is not null;

    /// <summary>Checks a header before its payload is taken: continuation rules (§5.4) and the limits on size and fragments (§10.4).</summary>
    public ProtocolViolation? Admit(in FrameHeader header)
    {
        if (header.Opcode.IsControl())
            return null;
        if (header.Opcode == Opcode.Continuation)
        {
            if (_current is null)
                return new(ViolationKind.UnexpectedContinuation, "continuation frame with no message to continue (§5.4)");
        }
        else if (_current is not null)
        {
            return new(ViolationKind.DataFrameInsideMessage, $"new {header.Opcode.Name()} frame inside a fragmented message (§5.4)");
        }

        long total = (_current is null ? 0 : _length) + header.PayloadLength;
        if (total > _maxMessageSize)
            return new(ViolationKind.MessageTooBig, $"message of at least {total} bytes is over the limit of {_maxMessageSize} (§10.4)");
        if (!header.Fin || _current is not null)
        {
            int fragments = (_current is null ? 0 : _fragments) + 1;
            if (fragments > _maxFragments)
                return new(ViolationKind.TooManyFragments, $"message in more than {_maxFragments} fragments (§10.4)");
        }
        return null;
    }

    /// <summary>Validates the text in a part of a frame that spans input chunks as it arrives, so a
    /// byte that makes it invalid UTF-8 fails the connection before the rest of the frame comes
    /// (§8.1: "MUST _Fail the WebSocket Connection_"; Autobahn 6.4.3, 6.4.4). A code point cut at
    /// the part's end is fine. <see cref="Add"/> then validates only what follows these parts.</summary>
    /// <param name="header">The header of the frame, already admitted.</param>
    /// <param name="part">The unmasked payload bytes that arrived.</param>
    public ProtocolViolation? AdmitPayload(in FrameHeader header, ReadOnlySpan<byte> part)
    {
        bool text = header.Opcode == Opcode.Text || (header.Opcode == Opcode.Continuation && _current == MessageType.Text);
        if (!text)
            return null;
        if (header.Opcode == Opcode.Text && _validatedOfFrame == 0)
            _utf8.Reset(); // a Text frame starts a message (Admit refuses one inside another, §5.4)
        if (!_utf8.Feed(part, isFinal: false))
            return InvalidText();
        _validatedOfFrame += part.Length;
        return null;
    }

    /// <summary>Takes one data frame (already admitted or not: it is checked again). A fragment that
    /// does not end its message is NeedMoreData; the frame that ends it completes the message.</summary>
    public ProtocolResult<Message> Add(in FrameHeader header, ReadOnlySpan<byte> payload)
    {
        var status = Assemble(header, payload, out var message, out var violation);
        return new ProtocolResult<Message>(status, message, 0, violation);
    }

    /// <summary>The work of <see cref="Add"/>, which builds its result once from these out
    /// parameters (see <see cref="ProtocolResult{T}"/> for why).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ProtocolStatus Assemble(in FrameHeader header, ReadOnlySpan<byte> payload, out Message message, out ProtocolViolation? violation)
    {
        message = default;
        int validated = _validatedOfFrame;
        _validatedOfFrame = 0;
        violation = Admit(header);
        if (violation is not null)
            return Fail();
        if (header.Opcode.IsControl())
            throw new ArgumentException("control frames are not part of a message", nameof(header));

        if (_current is null && header.Fin)
        {
            // An unfragmented message, the common case: no copy. Its text needs no state carried
            // over, unless AdmitPayload validated its first parts as they arrived.
            var type = (MessageType)header.Opcode;
            if (type == MessageType.Text && !(validated == 0 ? Utf8Validator.IsValid(payload) : _utf8.Feed(payload[validated..], isFinal: true)))
            {
                violation = InvalidText();
                return Fail();
            }
            message = new Message(type, payload);
            return ProtocolStatus.Complete;
        }

        if (_current is null)
        {
            _current = (MessageType)header.Opcode;
            _length = 0;
            _fragments = 0;
            if (validated == 0)
                _utf8.Reset(); // otherwise AdmitPayload did, at the frame's first part
        }
        // A code point cut at a fragment's end is carried over to the next; the last may not end in one.
        if (_current == MessageType.Text && !_utf8.Feed(payload[validated..], header.Fin))
        {
            violation = InvalidText();
            return Fail();
        }
        Append(payload);
        _fragments++;
        if (!header.Fin)
            return ProtocolStatus.NeedMoreData;

        message = new Message(_current.Value, _buffer.AsSpan(0, _length));
        _current = null;
        return ProtocolStatus.Complete;
    }

    private static ProtocolViolation InvalidText() => new(ViolationKind.InvalidUtf8Text, "text message is not valid UTF-8 (§8.1)");

    private void Append(ReadOnlySpan<byte> payload)
    {
        int needed = _length + payload.Length;
        if (_buffer is null || _buffer.Length < needed)
        {
            // Grow geometrically, but never past the limit (already checked in Admit).
            long size = Math.Max(needed, Math.Min(_maxMessageSize, Math.Max(4096L, (_buffer?.Length ?? 0) * 2L)));
            var grown = ArrayPool<byte>.Shared.Rent((int)size);
            if (_buffer is not null)
            {
                _buffer.AsSpan(0, _length).CopyTo(grown);
                ArrayPool<byte>.Shared.Return(_buffer);
            }
            _buffer = grown;
        }
        payload.CopyTo(_buffer.AsSpan(_length));
        _length = needed;
    }

    private ProtocolStatus Fail()
    {
        _current = null;
        return ProtocolStatus.Violation;
    }

    /// <summary>Returns the fragment buffer to the pool when no message is being assembled.</summary>
    public void ReleaseBuffers()
    {
        if (_current is not null || _buffer is null)
            return;
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = null;
        _length = 0;
    }

    /// <summary>Gives the buffers back to the pool.</summary>
    public void Dispose()
    {
        _current = null;
        ReleaseBuffers();
    }
}
