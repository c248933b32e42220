using System.Buffers;

namespace ActorWs.Protocol;

/// <summary>Which start line a head must begin with (RFC 9112 §3, §4).</summary>
public enum HttpHeadKind
{
    /// <summary>method SP request-target SP HTTP-version: the method is a token.</summary>
    Request,
    /// <summary>HTTP-version SP status-code SP reason: it begins with "HTTP/".</summary>
    Response,
}

/// <summary>
/// Collects an HTTP/1.1 head (request or status line and header fields) up to the empty line that
/// ends it (RFC 6455 §4.1, §4.2.1; RFC 9112 §2.1). It never holds more than its limit, and bytes
/// that follow the head in the same chunk (the peer's first frames) are left unconsumed for the
/// caller, never lost. A head that passes the limit before its end is
/// <see cref="ViolationKind.HeadTooLarge"/>; bytes that no HTTP head can hold (a start line that
/// cannot begin a request or a response, a control character) are <see cref="ViolationKind.NotHttp"/>
/// at once: a TLS ClientHello on a plain port, or binary noise, is known for what it is from its
/// first byte instead of waiting for a head that never ends.
/// </summary>
public sealed class HttpHeadReader(int maxHeadBytes, HttpHeadKind kind) : IDisposable
{
    private static ReadOnlySpan<byte> EndOfHead => "\r\n\r\n"u8;
    private static ReadOnlySpan<byte> HttpVersionPrefix => "HTTP/"u8;

    private readonly int _maxHeadBytes = maxHeadBytes;
    private readonly HttpHeadKind _kind = kind;
    private byte[]? _buffer;
    private int _length;
    private int _startLineOffset = -1; // where the start line begins, once a byte other than CR/LF came
    private bool _startChecked;        // the start line's first word has been seen whole and is valid

    /// <summary>Bytes of the head seen so far (all of it once complete, CRLFCRLF included).</summary>
    public int Length => _length;

    /// <summary>The complete head from its start line (empty lines before it left out), CRLFCRLF
    /// included. Valid once <see cref="Feed"/> is complete.</summary>
    public ReadOnlySpan<byte> Head => _buffer.AsSpan(0, _length)[Math.Max(0, _startLineOffset)..];

    /// <summary>Takes the next bytes read. Complete once the head's empty line is in, with the head
    /// as the value and only the bytes up to it consumed: the rest belongs to the caller.</summary>
    public ProtocolResult<ReadOnlySpan<byte>> Feed(ReadOnlySpan<byte> data)
    {
        _buffer ??= ArrayPool<byte>.Shared.Rent(_maxHeadBytes);
        // The terminator may straddle two chunks: search from 3 bytes before the new data.
        int searchFrom = Math.Max(0, _length - 3);
        int room = _maxHeadBytes - _length;
        int take = Math.Min(room, data.Length);
        data[..take].CopyTo(_buffer.AsSpan(_length));
        int end = _buffer.AsSpan(searchFrom, _length + take - searchFrom).IndexOf(EndOfHead);
        int checkUpTo = end >= 0 ? searchFrom + end : _length + take;
        if (!IsPlausible(_length, checkUpTo))
            return ProtocolResult<ReadOnlySpan<byte>>.Fail(ViolationKind.NotHttp, NotHttp(data));
        if (end >= 0)
        {
            int headLength = searchFrom + end + EndOfHead.Length;
            int consumed = headLength - _length;
            _length = headLength;
            return ProtocolResult<ReadOnlySpan<byte>>.Complete(Head, consumed);
        }
        _length += take;
        if (take < data.Length || _length >= _maxHeadBytes)
            return ProtocolResult<ReadOnlySpan<byte>>.Fail(ViolationKind.HeadTooLarge, $"HTTP head over {_maxHeadBytes} bytes", take);
        return ProtocolResult<ReadOnlySpan<byte>>.NeedMoreData(take);
    }

    /// <summary>Why bytes cannot be an HTTP head, naming the commonest mistake: TLS on a plain port.</summary>
    private string NotHttp(ReadOnlySpan<byte> data)
    {
        var hex = Convert.ToHexString(data[..Math.Min(8, data.Length)]);
        // A TLS record starts with its content type, 0x16 for a handshake, then version 3.x (RFC 8446 §5.1).
        if (data.Length >= 2 && data[0] == 0x16 && data[1] == 0x03)
            return _kind == HttpHeadKind.Request
                ? $"not an HTTP request: a TLS ClientHello (bytes {hex}…) on a plain ws:// port"
                : $"not an HTTP response: the server answered with TLS (bytes {hex}…); is it a wss:// endpoint?";
        return $"not an HTTP {(_kind == HttpHeadKind.Request ? "request" : "response")} (bytes {hex}…)";
    }

    /// <summary>Checks the new bytes [<paramref name="from"/>, <paramref name="to"/>) of the head.</summary>
    private bool IsPlausible(int from, int to)
    {
        var bytes = _buffer.AsSpan(0, to);
        for (int i = from; i < to; i++)
        {
            byte b = bytes[i];
            // RFC 9110 §5.5: field values are visible ASCII, SP, HTAB and obs-text; CR and LF end lines.
            if ((b < 0x20 && b is not ((byte)'\r' or (byte)'\n' or (byte)'\t')) || b == 0x7F)
                return false;
            if (_startChecked)
                continue;
            if (_startLineOffset < 0)
            {
                // RFC 9112 §2.2: empty lines before a request line are ignored.
                if (b is (byte)'\r' or (byte)'\n' && _kind == HttpHeadKind.Request)
                    continue;
                _startLineOffset = i;
            }
            int at = i - _startLineOffset;
            if (_kind == HttpHeadKind.Response)
            {
                if (b != HttpVersionPrefix[at])
                    return false;
                _startChecked = at == HttpVersionPrefix.Length - 1;
            }
            else if (b == (byte)' ')
            {
                if (at == 0)
                    return false;
                _startChecked = true; // the method token is complete
            }
            else if (!HttpSyntax.TokenBytes.Contains(b))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Gives the buffer back to the pool.</summary>
    public void Dispose()
    {
        if (_buffer is not null)
            ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = null;
    }
}
