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
/// validates only the bytes of it that <see cref="AdmitPayload"/> has not already seen. With
/// permessage-deflate (RFC 7692), a message whose first frame has RSV1 set is inflated frame by
/// frame as it is added: the size limit applies to the inflated bytes, checked while inflating
/// (a bomb fails with 1009 without a byte allocated past the limit), and text is validated on the
/// inflated bytes, never on the compressed ones.</remarks>
public sealed class MessageAssembler : IFrameAdmission, IDisposable
{
    private readonly MessageLimits _limits;
    private readonly MessageInflater? _inflater;

    /// <summary>An assembler for messages of at most <paramref name="maxMessageSize"/> bytes in at most <paramref name="maxFragments"/> frames.</summary>
    public MessageAssembler(long maxMessageSize, int maxFragments)
        : this(maxMessageSize, maxFragments, inflater: null)
    {
    }

    /// <summary>An assembler that also takes compressed messages (RFC 7692 §6), inflated by
    /// <paramref name="inflater"/>, which it then owns; null for none (no extension negotiated).</summary>
    public MessageAssembler(long maxMessageSize, int maxFragments, MessageInflater? inflater)
    {
        _limits = new MessageLimits(Math.Min(maxMessageSize, Array.MaxLength), maxFragments);
        _inflater = inflater;
    }

    private bool _compressed; // the message being assembled is compressed (RSV1 on its first frame)

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
        // RFC 7692 §6.1: RSV1 ("Per-Message Compressed") only on the first frame of a data message.
        if ((header.Rsv & PerMessageDeflate.Rsv1) != 0 && (header.Opcode.IsControl() || header.Opcode == Opcode.Continuation))
            return _inflater is null
                ? new(ViolationKind.ReservedBitsSet, "RSV1 set with no extension negotiated (§5.2)")
                : new(ViolationKind.MisplacedCompressionBit, $"RSV1 set on a {header.Opcode.Name()} frame: only the first frame of a data message may be compressed (RFC 7692 §6.1)");
        if (header.Opcode.IsControl())
            return null;
        bool compressed;
        if (header.Opcode == Opcode.Continuation)
        {
            if (_current is null)
                return new(ViolationKind.UnexpectedContinuation, "continuation frame with no message to continue (§5.4)");
            compressed = _compressed;
        }
        else if (_current is not null)
        {
            return new(ViolationKind.DataFrameInsideMessage, $"new {header.Opcode.Name()} frame inside a fragmented message (§5.4)");
        }
        else
        {
            compressed = (header.Rsv & PerMessageDeflate.Rsv1) != 0;
            if (compressed && _inflater is null)
                return new(ViolationKind.ReservedBitsSet, "RSV1 set with no extension negotiated (§5.2)");
        }

        // A compressed message's size is its inflated size, checked while it is inflated.
        return _limits.Check(header, _current is not null, _length, _fragments, checkSize: !compressed);
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
        // Compressed text is validated once inflated (RFC 7692 §6: the payload is DEFLATE data).
        bool compressed = header.Opcode == Opcode.Continuation ? _compressed : (header.Rsv & PerMessageDeflate.Rsv1) != 0;
        if (!text || compressed)
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

        if (_current is null ? (header.Rsv & PerMessageDeflate.Rsv1) != 0 : _compressed)
            return AssembleCompressed(header, payload, out message, out violation);

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

    /// <summary>A frame of a compressed message (RFC 7692 §7.2.2): its payload inflated onto the
    /// message so far; the final one also inflates the removed trailer <c>00 00 ff ff</c>.</summary>
    private ProtocolStatus AssembleCompressed(in FrameHeader header, ReadOnlySpan<byte> payload, out Message message, out ProtocolViolation? violation)
    {
        message = default;
        if (_current is null)
        {
            _current = (MessageType)header.Opcode;
            _compressed = true;
            _length = 0;
            _fragments = 0;
            _utf8.Reset();
        }
        _fragments++;
        violation = Inflate(payload) ?? (header.Fin ? Inflate(MessageInflater.Trailer) : null);
        if (violation is null && header.Fin && _current == MessageType.Text && !_utf8.Feed([], isFinal: true))
            violation = InvalidText();
        if (violation is not null)
            return Fail();
        if (!header.Fin)
            return ProtocolStatus.NeedMoreData;
        _inflater!.EndMessage();
        message = new Message(_current.Value, _buffer is null ? [] : _buffer.AsSpan(0, _length));
        _current = null;
        _compressed = false;
        return ProtocolStatus.Complete;
    }

    /// <summary>Inflates <paramref name="compressed"/> onto the message, never past the size limit:
    /// the buffer grows at most to the limit, and output beyond it is a 1009 (§10.4) found by
    /// asking for one byte more, so a bomb costs no more memory than a message at the limit.</summary>
    private ProtocolViolation? Inflate(ReadOnlySpan<byte> compressed)
    {
        var inflater = _inflater!;
        while (true)
        {
            compressed = compressed[inflater.Feed(compressed)..];
            while (true)
            {
                int room = Room();
                if (room == 0)
                {
                    Span<byte> probe = stackalloc byte[1];
                    int beyond = inflater.Read(probe, out var bad);
                    if (bad is not null)
                        return bad;
                    if (beyond > 0)
                        return new(ViolationKind.MessageTooBig, $"compressed message inflates to more than the limit of {_limits.MaxMessageSize} bytes (§10.4, RFC 7692 §8.1)");
                    break;
                }
                int start = _length;
                int produced = inflater.Read(_buffer!.AsSpan(_length, room), out var invalid);
                if (invalid is not null)
                    return invalid;
                if (produced == 0)
                    break;
                _length += produced;
                // §8.1: text is validated as it is inflated, so invalid text fails before the message ends.
                if (_current == MessageType.Text && !_utf8.Feed(_buffer!.AsSpan(start, produced), isFinal: false))
                    return InvalidText();
            }
            if (compressed.IsEmpty)
                return null;
        }
    }

    /// <summary>Free space after the message in its buffer, grown geometrically up to the size limit; 0 at the limit.</summary>
    private int Room()
    {
        if (_buffer is not null && _buffer.Length > _length)
            return (int)Math.Min(_buffer.Length - _length, _limits.MaxMessageSize - _length);
        if (_length >= _limits.MaxMessageSize)
            return 0;
        Grow(_length + 1);
        return (int)Math.Min(_buffer!.Length - _length, _limits.MaxMessageSize - _length);
    }

    private static ProtocolViolation InvalidText() => new(ViolationKind.InvalidUtf8Text, "text message is not valid UTF-8 (§8.1)");

    private void Append(ReadOnlySpan<byte> payload)
    {
        int needed = _length + payload.Length;
        Grow(needed);
        payload.CopyTo(_buffer.AsSpan(_length));
        _length = needed;
    }

    [System.Diagnostics.CodeAnalysis.MemberNotNull(nameof(_buffer))]
    private void Grow(int needed)
    {
        if (_buffer is null || _buffer.Length < needed)
        {
            // Grow geometrically, but never past the limit (already checked in Admit).
            long size = Math.Max(needed, Math.Min(_limits.MaxMessageSize, Math.Max(4096L, (_buffer?.Length ?? 0) * 2L)));
            var grown = PayloadBuffers.Rent((int)size);
            if (_buffer is not null)
            {
                _buffer.AsSpan(0, _length).CopyTo(grown);
                PayloadBuffers.Return(_buffer);
            }
            _buffer = grown;
        }
    }

    private ProtocolStatus Fail()
    {
        if (_compressed)
            _inflater!.Release(); // its state is mid-message; the connection is failing anyway
        _compressed = false;
        _current = null;
        return ProtocolStatus.Violation;
    }

    /// <summary>Returns the fragment buffer to the pool when no message is being assembled.</summary>
    public void ReleaseBuffers()
    {
        if (_current is not null || _buffer is null)
            return;
        PayloadBuffers.Return(_buffer);
        _buffer = null;
        _length = 0;
    }

    /// <summary>Gives the buffers back to the pool.</summary>
    public void Dispose()
    {
        _current = null;
        _compressed = false;
        ReleaseBuffers();
        _inflater?.Dispose();
    }
}
