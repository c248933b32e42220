using System.Buffers;
using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace ActorWs.Protocol;

/// <summary>
/// Turns a byte stream, cut into chunks of any size, into frames (RFC 6455 §5.2), checking every
/// header rule for its role before taking any payload. Free of I/O: the caller feeds bytes it
/// read and acts on what comes out.
/// </summary>
/// <remarks>
/// A frame that lies whole inside one input chunk and needs no unmasking is handed out without a
/// copy. Otherwise the payload is gathered (and unmasked) into a scratch buffer from the shared
/// pool, sized to the frame, which the caller gives back with <see cref="ReleaseBuffers"/> when a
/// connection goes idle: idle connections hold no payload memory. Each part gathered is shown to
/// the admission where it lies in that buffer (<see cref="IFrameAdmission.AdmitPayload"/>), so a
/// frame's content can fail the connection before the frame is complete (§8.1), at no extra copy.
/// </remarks>
public sealed class FrameDecoder : IDisposable
{
    private readonly Role _role;
    private readonly long _maxFramePayload;
    private readonly IFrameAdmission? _admission;
    private readonly byte _allowedRsv;

    /// <summary>A decoder for the frames a receiver in <paramref name="role"/> accepts.</summary>
    /// <param name="role">Our role: a server accepts only masked frames, a client only unmasked ones (§5.1).</param>
    /// <param name="maxFramePayload">The largest payload accepted (§10.4), checked from the header.</param>
    /// <param name="admission">Checks each header before its payload is taken (the message assembler's limits).</param>
    public FrameDecoder(Role role, long maxFramePayload, IFrameAdmission? admission = null)
        : this(role, maxFramePayload, admission, allowedRsv: 0)
    {
    }

    /// <summary>A decoder that also accepts the RSV bits of a negotiated extension.</summary>
    /// <param name="role">Our role (§5.1).</param>
    /// <param name="maxFramePayload">The largest payload accepted (§10.4).</param>
    /// <param name="admission">Checks each header before its payload is taken.</param>
    /// <param name="allowedRsv">RSV bits that a negotiated extension defines (§5.2): <see cref="PerMessageDeflate.Rsv1"/>
    /// with permessage-deflate, which may then be set on the first frame of a data message only (RFC 7692 §6.1).</param>
    public FrameDecoder(Role role, long maxFramePayload, IFrameAdmission? admission, byte allowedRsv)
    {
        _role = role;
        _maxFramePayload = Math.Min(maxFramePayload, Array.MaxLength);
        _admission = admission;
        _allowedRsv = allowedRsv;
    }

    private HeaderBytes _headerBytes;
    private int _headerFill;
    private bool _inPayload;
    private FrameHeader _header;
    private byte[]? _scratch;
    private byte[]? _gathering; // in place: a payload spanning inputs, gathered into its own array
    private byte[]? _gathered;  // ... once complete, until the caller takes it or decodes on
    private bool _inPieces;     // in place: a large data frame handed out piece by piece
    private int _payloadFill;
    private ProtocolViolation? _violation;

    // The two instantiations of Step: copying (Decode) and in place (DecodeInPlace).
    private struct Copying;
    private struct InPlace;

    [InlineArray(FrameHeader.MaxEncodedLength)]
    private struct HeaderBytes
    {
        private byte _first;
    }

    /// <summary>True while part of a frame has been consumed and the rest is awaited.</summary>
    internal bool HasPartialFrame => _inPayload || _headerFill > 0;

    /// <summary>
    /// Consumes bytes from <paramref name="input"/> until one frame is complete, more data is
    /// needed, or a rule is broken. Call again with the unconsumed rest to get the next frame.
    /// After a violation the decoder stays failed: every later call returns the same violation.
    /// </summary>
    public ProtocolResult<Frame> Decode(ReadOnlySpan<byte> input)
    {
        var status = Step<Copying>(input, [], long.MaxValue, out int consumed, out var frame);
        return new ProtocolResult<Frame>(status, frame, consumed, _violation);
    }

    /// <summary>
    /// As <see cref="Decode"/>, for an input the caller owns and gives away: no payload is copied
    /// that need not be. A payload whole in <paramref name="input"/> is unmasked where it lies
    /// (§5.3: the XOR is its own inverse, so the masked bytes can be overwritten) and handed out as
    /// a slice of it. A payload that spans inputs is unmasked straight into a new array of exactly
    /// its length, announced by the header (never pooled, so the caller may keep it: see
    /// <see cref="TakeGatheredPayload"/>); or, for a data frame of more than
    /// <paramref name="pieceOver"/> bytes that the admission lets come in pieces
    /// (<see cref="IFrameAdmission.TakesPieces"/>), handed out in pieces as its bytes arrive, each a slice of
    /// its input (<see cref="PieceOffset"/>, <see cref="PieceEndsFrame"/>), so a frame of
    /// any size needs no buffer of its size. Pieces are not shown to <see cref="IFrameAdmission.AdmitPayload"/>:
    /// their receiver validates them as it takes them.
    /// </summary>
    /// <param name="input">Bytes read, overwritten where they hold masked payload.</param>
    /// <param name="pieceOver">Data frames longer than this come in pieces; <see cref="long.MaxValue"/>: never.</param>
    public ProtocolResult<Frame> DecodeInPlace(Span<byte> input, long pieceOver = long.MaxValue)
    {
        (PieceOffset, PieceEndsFrame) = (0, true); // a whole frame, unless a piece says otherwise
        var status = Step<InPlace>(input, input, pieceOver, out int consumed, out var frame);
        return new ProtocolResult<Frame>(status, frame, consumed, _violation);
    }

    /// <summary>Where the payload of the frame <see cref="DecodeInPlace"/> just returned starts in
    /// its frame's payload: 0 for a whole frame or a first piece.</summary>
    public long PieceOffset { get; private set; }

    /// <summary>False when the frame <see cref="DecodeInPlace"/> just returned is a piece whose frame
    /// has more bytes to come.</summary>
    public bool PieceEndsFrame { get; private set; } = true;

    /// <summary>The array that holds the payload of the frame <see cref="DecodeInPlace"/> just
    /// completed when that payload spanned inputs (exactly its length, now the caller's); null when
    /// the payload was a slice of the input. Each such array is handed out once.</summary>
    public byte[]? TakeGatheredPayload()
    {
        var gathered = _gathered;
        _gathered = null;
        return gathered;
    }

    /// <summary>The work of <see cref="Decode"/>, which builds its result once from these out
    /// parameters (see <see cref="ProtocolResult{T}"/> for why).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ProtocolStatus Step<TMode>(ReadOnlySpan<byte> input, Span<byte> mutable, long pieceOver, out int consumed, out Frame frame)
        where TMode : struct
    {
        // A constant for each instantiation: the JIT drops the other mode's branches from each.
        bool inPlace = typeof(TMode) == typeof(InPlace);
        consumed = 0;
        frame = default;
        if (inPlace)
            _gathered = null; // handed out with the previous frame, or not wanted
        if (_violation is not null)
            return ProtocolStatus.Violation;

        if (!_inPayload)
        {
            FrameHeader header;
            if (_headerFill == 0)
            {
                // Fast path: the whole header is in this chunk.
                var read = FrameHeader.Read(input, _role, _maxFramePayload, _allowedRsv);
                if (!read.IsComplete)
                {
                    if (read.Violation is { } violation)
                        return Fail(violation);
                    int take = Math.Min(input.Length, FrameHeader.MaxEncodedLength);
                    input[..take].CopyTo(_headerBytes);
                    _headerFill = take;
                    consumed = take;
                    return ProtocolStatus.NeedMoreData;
                }
                header = read.Value;
                consumed = read.Consumed;
            }
            else
            {
                // The header started in an earlier chunk: top it up only as far as it needs.
                Span<byte> buffered = _headerBytes;
                int want = _headerFill < 2 ? 2 : FrameHeader.RequiredLength(buffered[0], buffered[1]);
                while (true)
                {
                    int take = Math.Min(want - _headerFill, input.Length - consumed);
                    input.Slice(consumed, take).CopyTo(buffered[_headerFill..]);
                    _headerFill += take;
                    consumed += take;
                    if (_headerFill < want)
                        return ProtocolStatus.NeedMoreData;
                    int required = FrameHeader.RequiredLength(buffered[0], buffered[1]);
                    if (required == want)
                        break;
                    want = required;
                }
                var read = FrameHeader.Read(buffered[.._headerFill], _role, _maxFramePayload, _allowedRsv);
                if (read.Violation is { } violation)
                    return Fail(violation);
                // The buffered bytes are exactly one whole header, so it is never NeedMoreData here.
                Debug.Assert(read.IsComplete);
                header = read.Value;
                _headerFill = 0;
            }

            if (_admission?.Admit(header) is { } refused)
                return Fail(refused);

            int payloadLength = (int)header.PayloadLength;
            var rest = input[consumed..];
            if (rest.Length >= payloadLength)
            {
                if (inPlace)
                {
                    var payload = mutable.Slice(consumed, payloadLength);
                    if (header.Masked)
                        Masking.Apply(payload, header.MaskKey);
                    consumed += payloadLength;
                    frame = new Frame(header, payload);
                    return ProtocolStatus.Complete;
                }
                consumed += payloadLength;
                frame = new Frame(header, Unmask(header.Masked, header.MaskKey, rest[..payloadLength]));
                return ProtocolStatus.Complete;
            }
            _header = header;
            _inPayload = true;
            _payloadFill = 0;
            _inPieces = inPlace && !header.Opcode.IsControl() && payloadLength > pieceOver && (_admission?.TakesPieces(header) ?? true);
            if (_inPieces)
            {
                // No buffer: each input's bytes are handed out where they lie.
            }
            else if (inPlace)
                _gathering = GC.AllocateUninitializedArray<byte>(payloadLength);
            else
                EnsureScratch(payloadLength);
        }

        if (_inPieces)
            return NextPiece(mutable, ref consumed, out frame);

        // Gathering a payload that spans chunks.
        int needed = (int)_header.PayloadLength - _payloadFill;
        int chunk = Math.Min(needed, input.Length - consumed);
        var target = (_gathering ?? _scratch).AsSpan(_payloadFill, chunk);
        if (_header.Masked)
            Masking.Apply(input.Slice(consumed, chunk), target, _header.MaskKey, _payloadFill);
        else
            input.Slice(consumed, chunk).CopyTo(target);
        // §8.1: text that is not UTF-8 fails the connection when its bytes arrive, even while the
        // rest of the frame is still on its way (the assembler, as admission, validates text).
        if (_admission?.AdmitPayload(_header, target) is { } refusedPart)
            return Fail(refusedPart);
        _payloadFill += chunk;
        consumed += chunk;
        if (chunk < needed)
            return ProtocolStatus.NeedMoreData;
        _inPayload = false;
        if (_gathering is not null)
        {
            _gathered = _gathering;
            _gathering = null;
            frame = new Frame(_header, _gathered);
            return ProtocolStatus.Complete;
        }
        frame = new Frame(_header, _scratch.AsSpan(0, _payloadFill));
        return ProtocolStatus.Complete;
    }

    /// <summary>The bytes of a large frame's payload that this input holds, unmasked in place.</summary>
    private ProtocolStatus NextPiece(Span<byte> input, scoped ref int consumed, out Frame frame)
    {
        frame = default;
        long needed = _header.PayloadLength - _payloadFill;
        int chunk = (int)Math.Min(needed, input.Length - consumed);
        if (chunk == 0)
            return ProtocolStatus.NeedMoreData; // nothing of it in this input: no empty piece
        var piece = input.Slice(consumed, chunk);
        if (_header.Masked)
            Masking.Apply(piece, _header.MaskKey, _payloadFill);
        long offset = _payloadFill;
        _payloadFill += chunk;
        consumed += chunk;
        bool ends = chunk == needed;
        if (ends)
            _inPayload = _inPieces = false;
        (PieceOffset, PieceEndsFrame) = (offset, ends);
        frame = new Frame(_header, piece);
        return ProtocolStatus.Complete;
    }

    private ReadOnlySpan<byte> Unmask(bool masked, uint key, ReadOnlySpan<byte> payload)
    {
        if (!masked || payload.Length == 0)
            return payload;
        EnsureScratch(payload.Length);
        var target = _scratch.AsSpan(0, payload.Length);
        Masking.Apply(payload, target, key);
        return target;
    }

    [System.Diagnostics.CodeAnalysis.MemberNotNull(nameof(_scratch))]
    private void EnsureScratch(int length)
    {
        if (_scratch is not null && _scratch.Length >= length)
            return;
        if (_scratch is not null)
            PayloadBuffers.Return(_scratch);
        _scratch = PayloadBuffers.Rent(Math.Max(length, 256));
    }

    /// <summary>Returns the scratch buffer to the pool unless a frame is half-read. Call when an
    /// input chunk has been fully processed; the next payload rents again.</summary>
    public void ReleaseBuffers()
    {
        bool gatheringIntoScratch = _inPayload && !_inPieces && _gathering is null;
        if (gatheringIntoScratch || _scratch is null)
            return;
        PayloadBuffers.Return(_scratch);
        _scratch = null;
    }

    private ProtocolStatus Fail(ProtocolViolation violation)
    {
        _violation = violation;
        return ProtocolStatus.Violation;
    }

    /// <summary>Gives the scratch buffer back to the pool.</summary>
    public void Dispose()
    {
        _inPayload = false;
        _gathering = _gathered = null;
        ReleaseBuffers();
    }
}
