using ActorWs.Protocol;
using BenchmarkDotNet.Attributes;

namespace ActorWs.Benchmarks;

/// <summary>
/// A server's receive path on small messages: one buffer holding 10,000 masked 32-byte text
/// frames, decoded by <see cref="FrameDecoder"/> (Server role, with the assembler as its
/// admission hook) and assembled and UTF-8-checked by <see cref="MessageAssembler"/>. One
/// operation is the whole buffer, so frames/s = 10,000 / (time per op). A second benchmark takes
/// large text frames as TCP delivers them, in segments, where each part is unmasked and its UTF-8
/// checked as it arrives (§8.1) before the frame is complete.
/// </summary>
[MemoryDiagnoser]
public class DecodeBenchmarks
{
    public const int FrameCount = 10_000;
    private const int PayloadSize = 32;
    public const int LargeFrameCount = 16;
    private const int SegmentSize = 1460; // a TCP segment's payload on a 1500-byte MTU

    private byte[] _largeFrames = [];
    private int _largePayloadSize;

    private byte[] _buffer = [];
    private FrameDecoder _decoder = null!;
    private MessageAssembler _assembler = null!;

    [GlobalSetup]
    public void Setup()
    {
        var payload = "0123456789abcdefghijklmnopqrstuv"u8.ToArray();
        if (payload.Length != PayloadSize)
            throw new InvalidOperationException("payload size");
        int frameLength = FrameEncoder.FrameLength(PayloadSize, masked: true);
        _buffer = new byte[FrameCount * frameLength];
        for (int i = 0; i < FrameCount; i++)
            FrameEncoder.Write(_buffer.AsSpan(i * frameLength), Opcode.Text, payload, fin: true, masked: true);

        _assembler = new MessageAssembler(1 << 20, 1024);
        _decoder = new FrameDecoder(Role.Server, 1 << 20, _assembler);
        if (DecodeBuffer() != FrameCount)
            throw new InvalidOperationException("the buffer did not decode to 10,000 messages");

        // About 64 KiB of text with 1- to 4-byte code points, so segments cut through code points.
        var text = System.Text.Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("héllo wörld € 😀 ", 3000)));
        _largePayloadSize = text.Length;
        int largeLength = FrameEncoder.FrameLength(text.Length, masked: true);
        _largeFrames = new byte[LargeFrameCount * largeLength];
        for (int i = 0; i < LargeFrameCount; i++)
            FrameEncoder.Write(_largeFrames.AsSpan(i * largeLength), Opcode.Text, text, fin: true, masked: true);
        if (DecodeSegments() != LargeFrameCount)
            throw new InvalidOperationException("the segments did not decode to 16 messages");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _decoder.Dispose();
        _assembler.Dispose();
    }

    [Benchmark(Description = "decode + assemble 10,000 masked 32-byte text frames")]
    public int DecodeBuffer()
    {
        var input = new ReadOnlySpan<byte>(_buffer);
        int messages = 0;
        while (!input.IsEmpty)
        {
            var decoded = _decoder.Decode(input);
            input = input[decoded.Consumed..];
            if (!decoded.IsComplete)
                throw new InvalidOperationException($"unexpected {decoded.Status}");
            var frame = decoded.Value;
            var assembled = _assembler.Add(frame.Header, frame.Payload);
            if (assembled.IsComplete)
                messages += assembled.Value.Payload.Length == PayloadSize ? 1 : 0;
        }
        return messages;
    }

    [Benchmark(Description = "decode + assemble 16 masked 64 KiB text frames in 1,460-byte segments")]
    public int DecodeSegments()
    {
        int messages = 0;
        for (int start = 0; start < _largeFrames.Length; start += SegmentSize)
        {
            // As the connection's reader does with each read: use up the segment, then release.
            var input = _largeFrames.AsSpan(start, Math.Min(SegmentSize, _largeFrames.Length - start));
            while (true)
            {
                var decoded = _decoder.Decode(input);
                input = input[decoded.Consumed..];
                if (decoded.Status == ProtocolStatus.NeedMoreData)
                    break;
                if (!decoded.IsComplete)
                    throw new InvalidOperationException($"unexpected {decoded.Status}");
                var frame = decoded.Value;
                var assembled = _assembler.Add(frame.Header, frame.Payload);
                if (assembled.IsComplete)
                    messages += assembled.Value.Payload.Length == _largePayloadSize ? 1 : 0;
            }
            _decoder.ReleaseBuffers();
            _assembler.ReleaseBuffers();
        }
        return messages;
    }
}
