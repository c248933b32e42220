using System.Buffers;
using System.IO.Compression;

namespace ActorWs.Protocol;

/// <summary>
/// Compresses whole messages for permessage-deflate (RFC 7692 §7.2.1): raw DEFLATE (no zlib
/// header), ended by a sync flush whose empty stored block <c>00 00 ff ff</c> is then removed. With
/// no context takeover (§7.1.1) the compressor is disposed after every message, so nothing is held
/// between messages; with it, one compressor lives until <see cref="Dispose"/>. The compressor is
/// created when the first message needs it.
/// </summary>
public sealed class MessageDeflater : IDisposable
{
    private static ReadOnlySpan<byte> Trailer => [0x00, 0x00, 0xff, 0xff];

    private readonly ZLibCompressionOptions _options;
    private readonly bool _contextTakeover;
    private readonly Sink _sink = new();
    private DeflateStream? _deflate;

    /// <summary>A compressor at zlib <paramref name="level"/> (1..9); <paramref name="contextTakeover"/>
    /// keeps the LZ77 window from one message to the next (§7.1.1).</summary>
    public MessageDeflater(int level, bool contextTakeover)
    {
        _options = new ZLibCompressionOptions { CompressionLevel = level, CompressionStrategy = ZLibCompressionStrategy.Default };
        _contextTakeover = contextTakeover;
    }

    /// <summary>True while a compressor is held (between messages only with context takeover).</summary>
    public bool HoldsCompressor => _deflate is not null;

    /// <summary>
    /// Compresses one message and returns its payload, in a buffer rented from <see cref="PayloadBuffers"/> that
    /// the caller returns (<see cref="PayloadBuffers.Return"/>); <paramref name="length"/> is how much
    /// of it is the payload. The payload goes in one frame with RSV1 set (§6, §7.2.1).
    /// </summary>
    public byte[] Compress(ReadOnlySpan<byte> message, out int length)
    {
        _sink.Start(message.Length / 2 + 64);
        _deflate ??= new DeflateStream(_sink, _options, leaveOpen: true);
        _deflate.Write(message);
        // .NET's Flush is Z_SYNC_FLUSH: all the input is in the output, which ends in 00 00 ff ff (§7.2.1).
        _deflate.Flush();
        var output = _sink.Take(out length);
        if (length < Trailer.Length || !output.AsSpan(length - Trailer.Length, Trailer.Length).SequenceEqual(Trailer))
        {
            // An empty input makes no flush block; §7.2.3.6 allows the single empty-block byte 0x00.
            if (length == 0)
            {
                output[0] = 0x00;
                length = 1;
            }
            else
            {
                PayloadBuffers.Return(output);
                throw new InvalidOperationException("the compressor's sync flush did not end in 00 00 ff ff");
            }
        }
        else
        {
            length -= Trailer.Length; // §7.2.1: "Remove 4 octets (that are 0x00 0x00 0xff 0xff) from the tail end."
        }
        if (!_contextTakeover)
            Release();
        return output;
    }

    /// <summary>Frees the compressor; the next message makes a new one.</summary>
    public void Release()
    {
        if (_deflate is null)
            return;
        _sink.Discarding = true; // the final block Dispose writes belongs to no message
        _deflate.Dispose();
        _sink.Discarding = false;
        _deflate = null;
    }

    /// <summary>Frees the compressor.</summary>
    public void Dispose() => Release();

    /// <summary>Collects the compressor's output in a pooled buffer that grows as needed.</summary>
    private sealed class Sink : Stream
    {
        private byte[]? _buffer;
        private int _length;
        public bool Discarding;

        public void Start(int capacity)
        {
            _buffer = PayloadBuffers.Rent(Math.Max(capacity, 256));
            _length = 0;
        }

        public byte[] Take(out int length)
        {
            var buffer = _buffer!;
            length = _length;
            _buffer = null;
            _length = 0;
            return buffer;
        }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (Discarding)
                return;
            if (_buffer is null)
                throw new InvalidOperationException("compressor output outside a message");
            if (_buffer.Length - _length < buffer.Length)
            {
                var grown = PayloadBuffers.Rent(Math.Max(_length + buffer.Length, _buffer.Length * 2));
                _buffer.AsSpan(0, _length).CopyTo(grown);
                PayloadBuffers.Return(_buffer);
                _buffer = grown;
            }
            buffer.CopyTo(_buffer.AsSpan(_length));
            _length += buffer.Length;
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
        public override void Flush() { }
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
