namespace ActorWs.Protocol;

/// <summary>
/// The chunked transfer coding (RFC 9112 §7.1), decoded as bytes arrive, with no I/O and bounded
/// state: <c>chunk-size [ chunk-ext ] CRLF chunk-data CRLF</c> … <c>0 CRLF [ trailers ] CRLF</c>.
/// Extensions and trailer fields are skipped (§7.1.1: a recipient "MUST ignore unrecognized chunk
/// extensions"; §7.1.2: trailers may be discarded), each line bounded so that a hostile peer cannot
/// keep it reading one line for ever. What a server sends when it writes a refusal's body without a
/// Content-Length, as Kestrel does.
/// </summary>
internal sealed class ChunkedDecoder
{
    /// <summary>The longest chunk-size line (with its extensions) or trailer line accepted.</summary>
    public const int MaxLineLength = 4096;

    private enum State { Size, Extension, SizeLf, Data, DataCr, DataLf, LineStart, Trailer, TrailerLf, EndLf, Done }

    private State _state = State.Size;
    private long _chunkLeft;
    private int _digits;
    private int _line;

    /// <summary>The last chunk and the trailer section have been read: the body is whole.</summary>
    public bool IsDone => _state == State.Done;

    /// <summary>Inside a chunk's data with bytes of it still to come.</summary>
    public bool InData => _state == State.Data;

    /// <summary>
    /// Decodes from <paramref name="data"/> into <paramref name="room"/>; stops when the data is
    /// used up, the body is done, or the room is full in the middle of a chunk. Null on progress; the
    /// violation when the framing is broken.
    /// </summary>
    public ProtocolViolation? Decode(ReadOnlySpan<byte> data, Span<byte> room, out int consumed, out int written)
    {
        consumed = 0;
        written = 0;
        while (consumed < data.Length && _state != State.Done)
        {
            byte b = data[consumed];
            switch (_state)
            {
                case State.Size:
                    int digit = HexValue(b);
                    if (digit >= 0)
                    {
                        // 15 hex digits: beyond any body this reader keeps, and no overflow of a long.
                        if (++_digits > 15)
                            return Broken("a chunk size of more than 15 hex digits");
                        _chunkLeft = _chunkLeft * 16 + digit;
                        break;
                    }
                    if (_digits == 0)
                        return Broken("a chunk size that is not hexadecimal");
                    if (b == '\r')
                        _state = State.SizeLf;
                    else if (b is (byte)';' or (byte)' ' or (byte)'\t')
                        _state = State.Extension;
                    else
                        return Broken("a chunk size followed by something other than an extension or CRLF");
                    break;
                case State.Extension:
                    if (b == '\r')
                        _state = State.SizeLf;
                    else if (++_line > MaxLineLength)
                        return Broken($"chunk extensions longer than {MaxLineLength} bytes");
                    break;
                case State.SizeLf:
                    if (b != '\n')
                        return Broken("a chunk size line that does not end with CRLF");
                    _line = 0;
                    _digits = 0;
                    _state = _chunkLeft == 0 ? State.LineStart : State.Data;
                    break;
                case State.Data:
                    int n = (int)Math.Min(_chunkLeft, Math.Min(data.Length - consumed, room.Length - written));
                    if (n == 0)
                        return null; // the room is full
                    data.Slice(consumed, n).CopyTo(room[written..]);
                    consumed += n;
                    written += n;
                    _chunkLeft -= n;
                    if (_chunkLeft == 0)
                        _state = State.DataCr;
                    continue;
                case State.DataCr:
                    if (b != '\r')
                        return Broken("chunk data longer than its size");
                    _state = State.DataLf;
                    break;
                case State.DataLf:
                    if (b != '\n')
                        return Broken("chunk data not followed by CRLF");
                    _state = State.Size;
                    break;
                // After the last chunk: trailer fields, each a line, until the empty line (§7.1.2).
                case State.LineStart:
                    _state = b == '\r' ? State.EndLf : State.Trailer;
                    break;
                case State.Trailer:
                    if (b == '\r')
                        _state = State.TrailerLf;
                    else if (++_line > MaxLineLength)
                        return Broken($"a trailer line longer than {MaxLineLength} bytes");
                    break;
                case State.TrailerLf:
                case State.EndLf:
                    if (b != '\n')
                        return Broken("a trailer line that does not end with CRLF");
                    _line = 0;
                    _state = _state == State.EndLf ? State.Done : State.LineStart;
                    break;
            }
            consumed++;
        }
        return null;
    }

    private static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };

    private static ProtocolViolation Broken(string what) =>
        new(ViolationKind.MalformedHead, $"malformed chunked body: {what} (RFC 9112 §7.1)");
}
