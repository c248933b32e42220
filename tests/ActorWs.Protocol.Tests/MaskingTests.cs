namespace ActorWs.Protocol.Tests;

public class MaskingTests
{
    /// <summary>§5.3, literally: "octet i of the transformed data is the XOR of octet i of the
    /// original data with octet at index i modulo 4 of the masking key".</summary>
    private static byte[] Reference(ReadOnlySpan<byte> data, ReadOnlySpan<byte> key, int keyOffset)
    {
        var result = new byte[data.Length];
        for (int i = 0; i < data.Length; i++)
            result[i] = (byte)(data[i] ^ key[(i + keyOffset) % 4]);
        return result;
    }

    [Fact]
    public void In_place_masking_matches_the_scalar_definition_for_every_length_and_key_offset()
    {
        var random = new Random(11);
        var keyBytes = new byte[4];
        for (int length = 0; length <= 300; length++)
        {
            for (int offset = 0; offset < 4; offset++)
            {
                random.NextBytes(keyBytes);
                var data = Wire.RandomBytes(random, length);
                var expected = Reference(data, keyBytes, offset);
                Masking.Apply(data.AsSpan(), Masking.ReadKey(keyBytes), offset);
                Assert.Equal(expected, data);
            }
        }
    }

    [Fact]
    public void Copying_masking_matches_the_scalar_definition_for_every_length_and_key_offset()
    {
        var random = new Random(12);
        var keyBytes = new byte[4];
        for (int length = 0; length <= 300; length++)
        {
            for (int offset = 0; offset < 4; offset++)
            {
                random.NextBytes(keyBytes);
                var source = Wire.RandomBytes(random, length);
                var original = source.ToArray();
                // A longer destination: bytes past the source length must be left alone.
                var destination = Enumerable.Repeat((byte)0xEE, length + 9).ToArray();
                Masking.Apply(source, destination, Masking.ReadKey(keyBytes), offset);
                Assert.Equal(Reference(source, keyBytes, offset), destination[..length]);
                Assert.All(destination[length..], b => Assert.Equal(0xEE, b));
                Assert.Equal(original, source);
            }
        }
    }

    [Fact]
    public void Masking_unaligned_slices_matches_the_scalar_definition()
    {
        var random = new Random(13);
        var keyBytes = new byte[] { 0xA1, 0x02, 0xF3, 0x44 };
        var buffer = Wire.RandomBytes(random, 70_000);
        for (int start = 0; start < 8; start++)
        {
            foreach (int length in new[] { 31, 32, 33, 64, 65, 4095, 65536 })
            {
                var slice = buffer.AsSpan(start, length);
                var expected = Reference(slice, keyBytes, start & 3);
                var copy = new byte[length + start];
                Masking.Apply(slice, copy.AsSpan(start), Masking.ReadKey(keyBytes), start & 3);
                Assert.Equal(expected, copy[start..]);
            }
        }
    }

    [Fact]
    public void Masking_twice_restores_the_data()
    {
        var random = new Random(14);
        var data = Wire.RandomBytes(random, 1000);
        var original = data.ToArray();
        uint key = Masking.NewKey();
        Masking.Apply(data, key);
        Masking.Apply(data, key);
        Assert.Equal(original, data);
    }

    [Fact]
    public void Masking_in_pieces_with_running_offsets_equals_masking_at_once()
    {
        // How the decoder unmasks a payload that arrives in several chunks.
        var random = new Random(15);
        var data = Wire.RandomBytes(random, 500);
        uint key = Masking.ReadKey([9, 8, 7, 6]);
        var whole = data.ToArray();
        Masking.Apply(whole, key);
        var pieces = data.ToArray();
        int position = 0;
        foreach (int size in new[] { 1, 2, 3, 5, 7, 64, 100, 318 })
        {
            Masking.Apply(pieces.AsSpan(position, size), key, position);
            position += size;
        }
        Assert.Equal(500, position);
        Assert.Equal(whole, pieces);
    }

    [Fact]
    public void Key_bytes_apply_in_wire_order()
    {
        var zeros = new byte[10];
        Masking.Apply(zeros, Masking.ReadKey([1, 2, 3, 4]));
        Assert.Equal(new byte[] { 1, 2, 3, 4, 1, 2, 3, 4, 1, 2 }, zeros);

        var key = new byte[4];
        Masking.WriteKey(Masking.ReadKey([0xDE, 0xAD, 0xBE, 0xEF]), key);
        Assert.Equal(new byte[] { 0xDE, 0xAD, 0xBE, 0xEF }, key);
    }

    [Fact]
    public void Short_destination_is_refused()
    {
        Assert.Throws<ArgumentException>(() => Masking.Apply(new byte[5], new byte[4], 1));
    }

    [Fact]
    public void New_keys_are_not_repeated()
    {
        // §5.3: keys must be unpredictable; 5,000 draws from 2^32 repeating would be a broken source
        // (and crosses the 1 KiB refill of the key pool several times).
        var keys = Enumerable.Range(0, 5000).Select(_ => Masking.NewKey()).ToList();
        Assert.True(keys.Distinct().Count() >= 4990);
    }
}
