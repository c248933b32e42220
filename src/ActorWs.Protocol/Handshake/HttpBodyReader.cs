using System.Globalization;
using System.Text;

namespace ActorWs.Protocol;

/// <summary>The body of a response, or as much of it as was read (immutable).</summary>
public sealed class HttpBody
{
    /// <summary>No body: a status without content, or none sent.</summary>
    public static HttpBody Empty { get; } = new([], isComplete: true);

    internal HttpBody(byte[] bytes, bool isComplete)
    {
        Bytes = bytes;
        IsComplete = isComplete;
    }

    /// <summary>The bytes read: the content itself, a chunked body decoded (see <see cref="HttpBodyReader"/>).</summary>
    public ReadOnlyMemory<byte> Bytes { get; }

    /// <summary>Whether this is all of the body, as its framing defines it; false when the size limit
    /// or the end of the connection cut it short.</summary>
    public bool IsComplete { get; }

    /// <summary>The bytes as UTF-8 text, bytes that are not UTF-8 as U+FFFD.</summary>
    public string Text => Encoding.UTF8.GetString(Bytes.Span);
}

/// <summary>
/// Reads the body that follows a response head (RFC 9112 §6.3), up to a limit, with no I/O: what a
/// client needs to see why the server refused its upgrade (the text of a 401 or a 503). A status
/// without content (1xx, 204, 304) has none; a chunked Transfer-Encoding is decoded (§6.3 item 4,
/// §7.1); a Content-Length says how much to read; with neither, or with another final transfer
/// coding, the body runs to the end of the connection (§6.3 items 4 and 8): <see cref="Finish"/> says
/// it has come. Bytes past the limit are not kept (nor consumed), so a hostile server cannot make the
/// client buffer more than the limit.
/// </summary>
public sealed class HttpBodyReader
{
    private readonly int _want;            // bytes to keep: min(Content-Length, limit), or the limit
    private readonly bool _toEndOfConnection;
    private readonly ChunkedDecoder? _chunked;
    private readonly ProtocolViolation? _violation;
    private byte[] _buffer;
    private int _length;
    private HttpBody? _body;

    /// <summary>A reader for the body of <paramref name="responseHead"/>. Throws an <see cref="ArgumentException"/>
    /// when the head has no status line, and an <see cref="ArgumentOutOfRangeException"/> for a negative limit.</summary>
    /// <param name="responseHead">The response's head.</param>
    /// <param name="maxBodyBytes">The most bytes of body to keep.</param>
    public HttpBodyReader(HttpHead responseHead, int maxBodyBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxBodyBytes);
        if (!HandshakeRefusal.TryReadStatusLine(responseHead.StartLine, out int status, out _))
            throw new ArgumentException($"not a response head: '{HttpHead.Printable(responseHead.StartLine)}'", nameof(responseHead));
        MaxBodyBytes = maxBodyBytes;
        _buffer = [];
        if (status is (>= 100 and < 200) or 204 or 304)
        {
            // RFC 9112 §6.3 item 1: these responses end with their head.
            _body = HttpBody.Empty;
            return;
        }
        var codings = responseHead.Values("Transfer-Encoding").SelectMany(v => v.Split(',')).Select(c => c.Trim(' ', '\t')).ToArray();
        if (codings.Length > 0)
        {
            // RFC 9112 §6.3 items 3 and 4: Transfer-Encoding wins over Content-Length; chunked as the
            // final coding frames the body, any other leaves it to run to the end of the connection.
            if (codings[^1].Equals("chunked", StringComparison.OrdinalIgnoreCase))
                _chunked = new ChunkedDecoder();
            else
                _toEndOfConnection = true;
            _want = maxBodyBytes;
            return;
        }
        var lengths = responseHead.Headers.Values("Content-Length");
        if (lengths.Count == 0)
        {
            _toEndOfConnection = true;
            _want = maxBodyBytes;
            return;
        }
        if (!TryReadContentLength(lengths, out long length))
        {
            // RFC 9112 §6.3 item 5: an invalid Content-Length is an unrecoverable error.
            _violation = new ProtocolViolation(ViolationKind.MalformedHead, $"invalid Content-Length '{HttpHead.Printable(string.Join(", ", lengths))}' (RFC 9112 §6.3)");
            return;
        }
        ContentLength = length;
        _want = (int)Math.Min(length, maxBodyBytes);
    }

    /// <summary>The most bytes of body kept.</summary>
    public int MaxBodyBytes { get; }

    /// <summary>The body's length as the head announces it; null when it does not.</summary>
    public long? ContentLength { get; }

    /// <summary>
    /// Takes the bytes that came after the head (first those read with it, then more). Complete once
    /// the announced length or the limit is reached, or at once when there is no body to read; then
    /// only the bytes of the body kept are consumed. NeedMoreData when more may come: all were taken.
    /// An invalid Content-Length is <see cref="ViolationKind.MalformedHead"/>.
    /// </summary>
    public ProtocolResult<HttpBody> Feed(ReadOnlySpan<byte> data)
    {
        if (_violation is not null)
            return ProtocolResult<HttpBody>.Fail(_violation);
        if (_body is not null)
            return ProtocolResult<HttpBody>.Complete(_body);
        if (_chunked is not null)
            return FeedChunked(_chunked, data);
        int take = Math.Min(data.Length, _want - _length);
        if (_buffer.Length < _length + take)
            Array.Resize(ref _buffer, Math.Min(_want, Math.Max(_length + take, _buffer.Length * 2)));
        data[..take].CopyTo(_buffer.AsSpan(_length));
        _length += take;
        if (_length < _want)
            return ProtocolResult<HttpBody>.NeedMoreData(take);
        // The announced length is in, or the limit is reached before it (or before the end of the connection).
        bool complete = !_toEndOfConnection && ContentLength == _length;
        _body = new HttpBody(_buffer[.._length], complete);
        return ProtocolResult<HttpBody>.Complete(_body, take);
    }

    /// <summary>
    /// The connection has ended (or the caller will wait no longer): the body as far as it was read.
    /// For a body that runs to the end of the connection this is all of it; for one with a
    /// Content-Length not yet reached it is cut short (<see cref="HttpBody.IsComplete"/> false).
    /// </summary>
    public HttpBody Finish()
    {
        if (_body is not null)
            return _body;
        if (_violation is not null)
            return new HttpBody([], isComplete: false);
        return _body = new HttpBody(_buffer[.._length], isComplete: _toEndOfConnection);
    }

    private ProtocolResult<HttpBody> FeedChunked(ChunkedDecoder chunked, ReadOnlySpan<byte> data)
    {
        // Room for what the data could hold, up to the limit: the decoded body is never longer.
        int room = Math.Min(data.Length, _want - _length);
        if (_buffer.Length < _length + room)
            Array.Resize(ref _buffer, Math.Min(_want, Math.Max(_length + room, _buffer.Length * 2)));
        if (chunked.Decode(data, _buffer.AsSpan(_length, room), out int consumed, out int written) is { } broken)
            return ProtocolResult<HttpBody>.Fail(broken);
        _length += written;
        if (chunked.IsDone)
            return ProtocolResult<HttpBody>.Complete(_body = new HttpBody(_buffer[.._length], isComplete: true), consumed);
        if (_length == _want && chunked.InData)
            return ProtocolResult<HttpBody>.Complete(_body = new HttpBody(_buffer[.._length], isComplete: false), consumed);
        return ProtocolResult<HttpBody>.NeedMoreData(consumed);
    }

    /// <summary>Content-Length = 1*DIGIT (RFC 9110 §8.6); a list of one repeated value is accepted, as §8.6 allows.</summary>
    private static bool TryReadContentLength(IReadOnlyList<string> values, out long length)
    {
        length = -1;
        foreach (var element in values.SelectMany(v => v.Split(',')))
        {
            var text = element.Trim(' ', '\t');
            if (text.Length == 0 || text.AsSpan().ContainsAnyExceptInRange('0', '9')
                || !long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long value)
                || (length >= 0 && value != length))
                return false;
            length = value;
        }
        return length >= 0;
    }
}
