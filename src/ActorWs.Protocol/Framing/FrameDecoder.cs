using System.Buffers;
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
/// connection goes idle: idle connections hold no payload memory.
/// </remarks>
public sealed class FrameDecoder(Role role, long maxFramePayload, IFrameAdmission? admission = null, byte allowedRsv = 0) : IDisposable
{
    private readonly Role _role = role;
    private readonly long _maxFramePayload = Math.Min(maxFramePayload, Array.MaxLength);
    private readonly IFrameAdmission? _admission = admission;
    private readonly byte _allowedRsv = allowedRsv;

    private HeaderBytes _headerBytes;
    private int _headerFill;
    private bool _inPayload;
    private FrameHeader _header;
    private byte[]? _scratch;
    private int _payloadFill;
    private ProtocolViolation? _violation;

    [InlineArray(FrameHeader.MaxEncodedLength)]
    private struct HeaderBytes
    {
        private byte _first;
    }

    public ProtocolViolation? Violation => _violation;

    /// <summary>True while part of a frame has been consumed and the rest is awaited.</summary>
    public bool HasPartialFrame => _inPayload || _headerFill > 0;

    /// <summary>
    /// Consumes bytes from <paramref name="input"/> until one frame is complete, more data is
    /// needed, or a rule is broken. Call again with the unconsumed rest to get the next frame.
    /// </summary>
    public DecodeStatus Decode(ReadOnlySpan<byte> input, out int consumed, out Frame frame)
    {
        consumed = 0;
        frame = default;
        if (_violation is not null)
            return DecodeStatus.Violation;

        if (!_inPayload)
        {
            FrameHeader header;
            int headerLength;
            ProtocolViolation? violation;
            if (_headerFill == 0)
            {
                // Fast path: the whole header is in this chunk.
                if (!FrameHeader.TryRead(input, _role, _maxFramePayload, out header, out headerLength, out violation, _allowedRsv))
                {
                    if (violation is not null)
                        return Fail(violation);
                    int take = Math.Min(input.Length, FrameHeader.MaxEncodedLength);
                    input[..take].CopyTo(_headerBytes);
                    _headerFill = take;
                    consumed = take;
                    return DecodeStatus.NeedMoreData;
                }
                consumed = headerLength;
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
                        return DecodeStatus.NeedMoreData;
                    int required = FrameHeader.RequiredLength(buffered[0], buffered[1]);
                    if (required == want)
                        break;
                    want = required;
                }
                if (!FrameHeader.TryRead(buffered[.._headerFill], _role, _maxFramePayload, out header, out headerLength, out violation, _allowedRsv))
                    return Fail(violation ?? ProtocolViolation.ProtocolError("incomplete frame header"));
                _headerFill = 0;
            }

            if (_admission?.Admit(header) is { } refused)
                return Fail(refused);

            int payloadLength = (int)header.PayloadLength;
            var rest = input[consumed..];
            if (rest.Length >= payloadLength)
            {
                consumed += payloadLength;
                frame = new Frame(header, Unmask(header.Masked, header.MaskKey, rest[..payloadLength]));
                return DecodeStatus.Frame;
            }
            _header = header;
            _inPayload = true;
            _payloadFill = 0;
            EnsureScratch(payloadLength);
        }

        // Gathering a payload that spans chunks.
        int needed = (int)_header.PayloadLength - _payloadFill;
        int chunk = Math.Min(needed, input.Length - consumed);
        var target = _scratch.AsSpan(_payloadFill, chunk);
        if (_header.Masked)
            Masking.Apply(input.Slice(consumed, chunk), target, _header.MaskKey, _payloadFill);
        else
            input.Slice(consumed, chunk).CopyTo(target);
        _payloadFill += chunk;
        consumed += chunk;
        if (chunk < needed)
            return DecodeStatus.NeedMoreData;
        _inPayload = false;
        frame = new Frame(_header, _scratch.AsSpan(0, _payloadFill));
        return DecodeStatus.Frame;
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
            ArrayPool<byte>.Shared.Return(_scratch);
        _scratch = ArrayPool<byte>.Shared.Rent(Math.Max(length, 256));
    }

    /// <summary>Returns the scratch buffer to the pool unless a frame is half-read. Call when an
    /// input chunk has been fully processed; the next payload rents again.</summary>
    public void ReleaseBuffers()
    {
        if (_inPayload || _scratch is null)
            return;
        ArrayPool<byte>.Shared.Return(_scratch);
        _scratch = null;
    }

    private DecodeStatus Fail(ProtocolViolation violation)
    {
        _violation = violation;
        return DecodeStatus.Violation;
    }

    public void Dispose()
    {
        _inPayload = false;
        ReleaseBuffers();
    }
}
