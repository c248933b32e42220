namespace ActorWs.Protocol;

/// <summary>Where a <see cref="MessageStreamer"/> puts what it makes of the frames it is given.</summary>
public interface IStreamedMessageSink
{
    /// <summary>A whole message: of at most the streamer's part size, or a compressed one of any
    /// size (<see cref="MessageRouter"/>).</summary>
    void Message(MessageType type, ReadOnlyMemory<byte> payload);

    /// <summary>A part of a message larger than the part size; the last has <paramref name="isLast"/>.</summary>
    void Part(MessageType type, ReadOnlyMemory<byte> payload, bool isLast);
}

/// <summary>
/// Data frames to messages (RFC 6455 §5.4) without holding a large message whole: a message of at
/// most <c>partSize</c> bytes comes out whole; a larger one (known from a frame header, or found
/// when its fragments add up past it) comes out as parts of at most <c>partSize</c> bytes, as its
/// bytes are given, so no buffer larger than <c>partSize</c> is ever needed. The same rules as
/// <see cref="MessageAssembler"/>: continuation (§5.4), size and fragment limits from each header
/// (§10.4), text validated as UTF-8 as it arrives (§8.1), so invalid text fails at the bytes that
/// break it, not at the message's end. Text parts are cut at code point boundaries, so each is
/// UTF-8 on its own.
/// </summary>
/// <remarks>
/// The payload memory it is given must be the caller's to give away (bytes nobody writes again,
/// such as the input of <see cref="FrameDecoder.DecodeInPlace"/>): whole messages and parts are,
/// where they can be, slices of it. Only a fragmented message that ends within <c>partSize</c> is
/// copied (joined), and the 1-3 bytes of a code point that a text part's input cuts, which go out
/// with the bytes that complete it as a small part of their own. Compressed messages (RFC 7692)
/// are not streamed: RSV1 is refused, as with no extension negotiated; with the extension, a
/// <see cref="MessageRouter"/> sends them to a <see cref="MessageAssembler"/> instead.
/// </remarks>
public sealed class MessageStreamer : IFrameAdmission
{
    private readonly MessageLimits _limits;
    private readonly int _partSize;

    private MessageType? _current;
    private long _length;       // bytes of the message in frames whose header came
    private int _fragments;
    private bool _streaming;    // the message is too large to come whole: parts go out
    private Utf8Validator _utf8;
    private byte[]? _joined;    // the fragments of a message that may yet come whole
    private int _joinedLength;
    private CodePointCarry _carry;

    private struct CodePointCarry
    {
        public uint Bytes;
        public int Count;
    }

    /// <summary>A streamer for messages of at most <paramref name="maxMessageSize"/> bytes in at most
    /// <paramref name="maxFragments"/> frames, larger than <paramref name="partSize"/> (at least 4,
    /// the longest code point) streamed.</summary>
    public MessageStreamer(long maxMessageSize, int maxFragments, int partSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(partSize, 4);
        _limits = new MessageLimits(maxMessageSize, maxFragments);
        _partSize = partSize;
    }

    /// <summary>Checks a data frame's header before its payload is taken (§5.4, §10.4).</summary>
    public ProtocolViolation? Admit(in FrameHeader header)
    {
        if ((header.Rsv & PerMessageDeflate.Rsv1) != 0)
            return new(ViolationKind.ReservedBitsSet, "RSV1 set with no extension negotiated (§5.2)");
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
        return _limits.Check(header, _current is not null, _length, _fragments);
    }

    /// <summary>
    /// Takes a data frame, or a piece of one (in order, each piece once), and gives the sink what
    /// is ready: a whole message, or parts. Null, or the violation that fails the connection.
    /// </summary>
    /// <param name="header">The frame's header.</param>
    /// <param name="payload">The frame's payload or the piece of it that arrived, unmasked, the caller's to give away.</param>
    /// <param name="payloadOffset">Where the piece starts in the frame's payload.</param>
    /// <param name="endsFrame">Whether the piece ends the frame.</param>
    /// <param name="sink">Takes the messages and parts.</param>
    public ProtocolViolation? Add(in FrameHeader header, ReadOnlyMemory<byte> payload, long payloadOffset, bool endsFrame, IStreamedMessageSink sink)
    {
        if (payloadOffset == 0)
        {
            if (Admit(header) is { } refused)
                return Fail(refused);
            if (header.Opcode.IsControl())
                throw new ArgumentException("control frames are not part of a message", nameof(header));
            if (header.Opcode != Opcode.Continuation)
            {
                _current = (MessageType)header.Opcode;
                _length = 0;
                _fragments = 0;
                _streaming = false;
                _joinedLength = 0;
                _carry = default;
                _utf8.Reset();
            }
            _length += header.PayloadLength;
            _fragments++;
            if (!_streaming && _length > _partSize)
            {
                // From here on it goes out in parts; what was held back for a whole message first.
                _streaming = true;
                if (_joinedLength > 0)
                    EmitCut(_joined.AsMemory(0, _joinedLength), messageEnds: false, sink);
                _joined = null;
                _joinedLength = 0;
            }
        }
        var type = _current!.Value;
        bool messageEnds = header.Fin && endsFrame;
        // §8.1: invalid text fails at the bytes that make it so; a code point may be cut only
        // where more of the message follows.
        if (type == MessageType.Text && !_utf8.Feed(payload.Span, messageEnds))
            return Fail(new(ViolationKind.InvalidUtf8Text, "text message is not valid UTF-8 (§8.1)"));

        if (_streaming)
        {
            EmitCut(payload, messageEnds, sink);
        }
        else if (messageEnds && _joinedLength == 0)
        {
            sink.Message(type, payload); // unfragmented, the common case: the payload as given
        }
        else
        {
            Join(payload.Span);
            if (messageEnds)
                sink.Message(type, _joined.AsMemory(0, _joinedLength));
        }
        if (messageEnds)
        {
            _current = null;
            _joined = null; // the sink has it
            _joinedLength = 0;
        }
        return null;
    }

    /// <summary>Gives <paramref name="payload"/> out as parts of at most the part size, text cut at
    /// code point boundaries; bytes of a code point cut at its end are carried to the next call.</summary>
    private void EmitCut(ReadOnlyMemory<byte> payload, bool messageEnds, IStreamedMessageSink sink)
    {
        var type = _current!.Value;
        bool text = type == MessageType.Text;
        if (text && _carry.Count > 0)
        {
            // Complete the carried code point from the first bytes here, as a small part of its own,
            // so that the rest can still go out as slices of the input.
            Span<byte> sequence = stackalloc byte[4];
            for (int i = 0; i < _carry.Count; i++)
                sequence[i] = (byte)(_carry.Bytes >> (8 * i));
            int need = Utf8Validator.SequenceLength(sequence[0]) - _carry.Count;
            int take = Math.Min(need, payload.Length);
            payload.Span[..take].CopyTo(sequence[_carry.Count..]);
            payload = payload[take..];
            if (take < need)
            {
                Carry(sequence[..(_carry.Count + take)]);
                return; // the validator already refused a message that ends here
            }
            var joined = sequence[..(_carry.Count + take)].ToArray();
            _carry = default;
            sink.Part(type, joined, isLast: messageEnds && payload.IsEmpty);
            if (payload.IsEmpty)
                return;
        }
        if (payload.IsEmpty)
        {
            if (messageEnds)
                sink.Part(type, ReadOnlyMemory<byte>.Empty, isLast: true);
            return;
        }
        while (!payload.IsEmpty)
        {
            int n = Math.Min(_partSize, payload.Length);
            bool last = messageEnds && n == payload.Length;
            if (text && !last)
            {
                n = Utf8Validator.IncompleteTailStart(payload.Span[..n]);
                if (n == 0)
                {
                    // Fewer than 4 bytes left, the start of a code point whose rest comes later.
                    Carry(payload.Span);
                    return;
                }
            }
            sink.Part(type, payload[..n], last);
            payload = payload[n..];
        }
    }

    private void Carry(ReadOnlySpan<byte> bytes)
    {
        _carry = default;
        for (int i = 0; i < bytes.Length; i++)
            _carry.Bytes |= (uint)bytes[i] << (8 * i);
        _carry.Count = bytes.Length;
    }

    /// <summary>Holds a fragment of a message that may still come whole (at most the part size in all).</summary>
    private void Join(ReadOnlySpan<byte> payload)
    {
        int needed = _joinedLength + payload.Length;
        if (_joined is null || _joined.Length < needed)
        {
            // Never pooled: a whole message is given away as a slice of this array.
            var grown = new byte[Math.Min(_partSize, Math.Max(needed, Math.Max(256, (_joined?.Length ?? 0) * 2)))];
            _joined.AsSpan(0, _joinedLength).CopyTo(grown);
            _joined = grown;
        }
        payload.CopyTo(_joined.AsSpan(_joinedLength));
        _joinedLength = needed;
    }

    private ProtocolViolation Fail(ProtocolViolation violation)
    {
        _current = null;
        _joined = null;
        _joinedLength = 0;
        return violation;
    }
}
