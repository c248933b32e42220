using System.Buffers;

namespace ActorWs.Protocol;

public enum HeadStatus
{
    NeedMoreData,
    Complete,
    /// <summary>The head passed the size limit before its end (CRLFCRLF) was seen.</summary>
    TooLarge,
}

/// <summary>
/// Collects an HTTP/1.1 head (request or status line and header fields) up to the empty line that
/// ends it (RFC 6455 §4.1, §4.2.1; RFC 9112 §2.1). It never holds more than its limit, and bytes
/// that follow the head in the same chunk (the peer's first frames) are left unconsumed for the
/// caller, never lost.
/// </summary>
public sealed class HttpHeadReader(int maxHeadBytes) : IDisposable
{
    private static ReadOnlySpan<byte> EndOfHead => "\r\n\r\n"u8;

    private readonly int _maxHeadBytes = maxHeadBytes;
    private byte[]? _buffer;
    private int _length;

    public int MaxHeadBytes => _maxHeadBytes;

    /// <summary>Bytes of the head seen so far (all of it once complete, CRLFCRLF included).</summary>
    public int Length => _length;

    /// <summary>The complete head, CRLFCRLF included. Valid after <see cref="HeadStatus.Complete"/>.</summary>
    public ReadOnlySpan<byte> Head => _buffer.AsSpan(0, _length);

    public HeadStatus Feed(ReadOnlySpan<byte> data, out int consumed)
    {
        _buffer ??= ArrayPool<byte>.Shared.Rent(_maxHeadBytes);
        // The terminator may straddle two chunks: search from 3 bytes before the new data.
        int searchFrom = Math.Max(0, _length - 3);
        int room = _maxHeadBytes - _length;
        int take = Math.Min(room, data.Length);
        data[..take].CopyTo(_buffer.AsSpan(_length));
        int end = _buffer.AsSpan(searchFrom, _length + take - searchFrom).IndexOf(EndOfHead);
        if (end >= 0)
        {
            int headLength = searchFrom + end + EndOfHead.Length;
            consumed = headLength - _length;
            _length = headLength;
            return HeadStatus.Complete;
        }
        _length += take;
        consumed = take;
        return take < data.Length || _length >= _maxHeadBytes ? HeadStatus.TooLarge : HeadStatus.NeedMoreData;
    }

    public void Dispose()
    {
        if (_buffer is not null)
            ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = null;
    }
}
