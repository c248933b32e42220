using ActorWs.Protocol;
using BenchmarkDotNet.Attributes;

namespace ActorWs.Benchmarks;

/// <summary>
/// A server's receive path on small messages: one buffer holding 10,000 masked 32-byte text
/// frames, decoded by <see cref="FrameDecoder"/> (Server role, with the assembler as its
/// admission hook) and assembled and UTF-8-checked by <see cref="MessageAssembler"/>. One
/// operation is the whole buffer, so frames/s = 10,000 / (time per op).
/// </summary>
[MemoryDiagnoser]
public class DecodeBenchmarks
{
    public const int FrameCount = 10_000;
    private const int PayloadSize = 32;

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
}
