using ActorWs.Protocol;
using BenchmarkDotNet.Attributes;

namespace ActorWs.Benchmarks;

/// <summary>
/// Unmasking a 64 KiB payload (RFC 6455 §5.3) three ways: the textbook byte loop (the baseline),
/// <see cref="Masking.Apply(Span{byte}, uint, int)"/>, and a plain copy of the same size, which
/// is about the best any pass over the memory can do.
/// </summary>
[MemoryDiagnoser]
public class MaskingBenchmarks
{
    private const int Size = 64 * 1024;

    private byte[] _data = [];
    private byte[] _copy = [];
    private readonly byte[] _keyBytes = [0x37, 0xFA, 0x21, 0x3D];
    private uint _key;

    [GlobalSetup]
    public void Setup()
    {
        _data = new byte[Size];
        _copy = new byte[Size];
        new Random(42).NextBytes(_data);
        _key = Masking.ReadKey(_keyBytes);
    }

    [Benchmark(Baseline = true, Description = "byte loop data[i] ^= key[i & 3]")]
    public void ByteLoop()
    {
        var data = _data;
        var key = _keyBytes;
        for (int i = 0; i < data.Length; i++)
            data[i] ^= key[i & 3];
    }

    [Benchmark(Description = "Masking.Apply (in place)")]
    public void MaskingApply() => Masking.Apply(_data, _key);

    [Benchmark(Description = "Span.CopyTo (same size)")]
    public void Copy() => _data.AsSpan().CopyTo(_copy);
}
