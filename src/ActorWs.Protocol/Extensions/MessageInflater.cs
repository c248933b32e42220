using System.Buffers;
using System.IO.Compression;

namespace ActorWs.Protocol;

/// <summary>
/// Decompresses permessage-deflate messages (RFC 7692 §7.2.2) as their frames arrive: the caller
/// <see cref="Feed"/>s compressed bytes and <see cref="Read"/>s the inflated ones into space it
/// chooses, so it decides how much output may exist (a message limit holds against a bomb without
/// allocating past it). At the end of a message it feeds <see cref="Trailer"/> (§7.2.2: "Append 4
/// octets of 0x00 0x00 0xff 0xff to the tail end of the payload of the message"). The decompressor
/// (raw DEFLATE with a 15-bit window, which reads any peer's window, §7.1.2) is created when the
/// first compressed message comes; with the peer's no context takeover it is released after each
/// message (<see cref="EndMessage"/>), so an idle connection holds none.
/// </summary>
public sealed class MessageInflater : IDisposable
{
    /// <summary>The empty stored block a sender removed from every message (§7.2.1, §7.2.2).</summary>
    public static ReadOnlySpan<byte> Trailer => [0x00, 0x00, 0xff, 0xff];

    /// <summary>Most compressed bytes copied in at a time: the input is handed over in slices.</summary>
    private const int FeedChunk = 16 * 1024;

    private readonly bool _contextTakeover;
    private readonly Input _input = new();
    private DeflateStream? _inflate;

    /// <summary>A decompressor; <paramref name="contextTakeover"/>: the peer's compressor keeps its
    /// window between messages (§7.1.1), so ours must keep the same window.</summary>
    public MessageInflater(bool contextTakeover) => _contextTakeover = contextTakeover;

    /// <summary>True while a decompressor is held.</summary>
    public bool HoldsDecompressor => _inflate is not null;

    /// <summary>Takes up to 16 KiB of <paramref name="compressed"/>, once the last input has all been
    /// read; returns how many bytes it took. Call <see cref="Read"/> until it returns 0, then feed the rest.</summary>
    public int Feed(ReadOnlySpan<byte> compressed)
    {
        if (_input.Remaining > 0)
            throw new InvalidOperationException("the previous input has not been read");
        int take = Math.Min(compressed.Length, FeedChunk);
        _input.Set(compressed[..take]);
        return take;
    }

    /// <summary>
    /// Inflates into <paramref name="destination"/>: the count written, 0 when every byte fed so far
    /// has been used (feed more, or the message is done). Data that is not DEFLATE (RFC 1951) is a
    /// <see cref="ViolationKind.InvalidCompressedData"/> violation, and -1.
    /// </summary>
    public int Read(Span<byte> destination, out ProtocolViolation? violation)
    {
        violation = null;
        _inflate ??= new DeflateStream(_input, CompressionMode.Decompress, leaveOpen: true);
        try
        {
            return _inflate.Read(destination);
        }
        catch (InvalidDataException e)
        {
            violation = new ProtocolViolation(ViolationKind.InvalidCompressedData, $"compressed message is not valid DEFLATE data: {e.Message} (RFC 7692 §7.2.2)");
            Release();
            return -1;
        }
    }

    /// <summary>A message ended (its trailer fed and read): without context takeover the decompressor is released.</summary>
    public void EndMessage()
    {
        if (!_contextTakeover)
            Release();
    }

    /// <summary>Frees the decompressor and any input; a later message makes a new one.</summary>
    public void Release()
    {
        _input.Clear();
        _inflate?.Dispose();
        _inflate = null;
    }

    /// <summary>Frees the decompressor.</summary>
    public void Dispose() => Release();

    /// <summary>The compressed bytes fed, in a pooled buffer held only while they are being read.</summary>
    private sealed class Input : Stream
    {
        private byte[]? _buffer;
        private int _offset;
        private int _count;

        public int Remaining => _count - _offset;

        public void Set(ReadOnlySpan<byte> bytes)
        {
            if (bytes.IsEmpty)
                return;
            _buffer ??= PayloadBuffers.Rent(FeedChunk);
            bytes.CopyTo(_buffer);
            _offset = 0;
            _count = bytes.Length;
        }

        public void Clear()
        {
            if (_buffer is not null)
                PayloadBuffers.Return(_buffer);
            _buffer = null;
            _offset = _count = 0;
        }

        public override int Read(Span<byte> buffer)
        {
            int n = Math.Min(buffer.Length, Remaining);
            if (n == 0)
                return 0;
            _buffer.AsSpan(_offset, n).CopyTo(buffer);
            _offset += n;
            if (Remaining == 0)
                Clear(); // nothing held between feeds
            return n;
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
        public override void Flush() { }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
