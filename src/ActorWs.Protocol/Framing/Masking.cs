using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace ActorWs.Protocol;

/// <summary>
/// Client-to-server masking, RFC 6455 §5.3: byte i of the payload is XORed with byte (i mod 4) of
/// the 4-byte masking key. The same operation masks and unmasks.
/// </summary>
/// <remarks>
/// A key is kept as a <see cref="uint"/> whose in-memory bytes are the key bytes in wire order, so
/// XOR with a native-endian load of four payload bytes applies all four key bytes at once, and a
/// vector filled with that uint applies the key to a whole vector of payload.
/// </remarks>
public static class Masking
{
    /// <summary>Reads a key from its 4 wire bytes.</summary>
    public static uint ReadKey(ReadOnlySpan<byte> fourBytes) => MemoryMarshal.Read<uint>(fourBytes);

    /// <summary>Writes a key as its 4 wire bytes.</summary>
    public static void WriteKey(uint key, Span<byte> fourBytes) => MemoryMarshal.Write(fourBytes, in key);

    /// <summary>
    /// A fresh key from a cryptographically strong source (§5.3 asks that keys be unpredictable).
    /// Random bytes are drawn in blocks, as Node's ws does, so a key costs a copy rather than a call
    /// into the OS.
    /// </summary>
    public static uint NewKey()
    {
        var pool = t_keyPool ??= new byte[KeyPoolSize];
        if (t_keyPoolOffset == 0)
            RandomNumberGenerator.Fill(pool);
        uint key = MemoryMarshal.Read<uint>(pool.AsSpan(t_keyPoolOffset));
        t_keyPoolOffset = (t_keyPoolOffset + 4) % KeyPoolSize;
        return key;
    }

    private const int KeyPoolSize = 1024;
    [ThreadStatic] private static byte[]? t_keyPool;
    [ThreadStatic] private static int t_keyPoolOffset;

    /// <summary>Masks (or unmasks) <paramref name="data"/> in place. <paramref name="keyOffset"/> is the
    /// position in the key of data[0]: the payload offset modulo 4 when a payload is handled in pieces.</summary>
    public static void Apply(Span<byte> data, uint key, int keyOffset = 0) => Apply(data, data, key, keyOffset);

    /// <summary>Writes <paramref name="source"/> masked with the key into <paramref name="destination"/>,
    /// which must be at least as long; the two may be the same memory.</summary>
    public static void Apply(ReadOnlySpan<byte> source, Span<byte> destination, uint key, int keyOffset = 0)
    {
        if (destination.Length < source.Length)
            throw new ArgumentException("destination is shorter than source", nameof(destination));

        uint k = Rotate(key, keyOffset & 3);
        int length = source.Length;
        ref byte src = ref MemoryMarshal.GetReference(source);
        ref byte dst = ref MemoryMarshal.GetReference(destination);
        nuint i = 0;

        // Vector<byte>.Count is a multiple of 4, so every block starts at key position 0.
        if (Vector.IsHardwareAccelerated && length >= Vector<byte>.Count)
        {
            var mask = Vector.AsVectorByte(new Vector<uint>(k));
            nuint lastBlock = (nuint)(length - Vector<byte>.Count);
            for (; i <= lastBlock; i += (nuint)Vector<byte>.Count)
                (Vector.LoadUnsafe(ref src, i) ^ mask).StoreUnsafe(ref dst, i);
        }
        for (; (int)i <= length - 8; i += 8)
        {
            ulong k64 = ((ulong)k << 32) | k;
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref dst, i), Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref src, i)) ^ k64);
        }
        for (; (int)i <= length - 4; i += 4)
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref dst, i), Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref src, i)) ^ k);
        for (int j = 0; (int)i < length; i++, j++)
            Unsafe.Add(ref dst, i) = (byte)(Unsafe.Add(ref src, i) ^ KeyByte(k, j));
    }

    /// <summary>The key as it applies from position <paramref name="offset"/> on.</summary>
    private static uint Rotate(uint key, int offset)
    {
        if (offset == 0)
            return key;
        return BitConverter.IsLittleEndian
            ? BitOperations.RotateRight(key, 8 * offset)
            : BitOperations.RotateLeft(key, 8 * offset);
    }

    private static byte KeyByte(uint key, int index) =>
        (byte)(BitConverter.IsLittleEndian ? key >> (8 * index) : key >> (24 - 8 * index));
}
