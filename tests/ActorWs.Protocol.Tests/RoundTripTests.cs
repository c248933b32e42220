namespace ActorWs.Protocol.Tests;

/// <summary>Property: whatever FrameEncoder writes, FrameDecoder reads back unchanged (RFC 6455 §5.2).</summary>
public class RoundTripTests
{
    private static readonly Opcode[] AllOpcodes =
        [Opcode.Continuation, Opcode.Text, Opcode.Binary, Opcode.Close, Opcode.Ping, Opcode.Pong];

    private static readonly int[] InterestingSizes = [0, 1, 2, 3, 4, 5, 124, 125, 126, 127, 128, 65534, 65535, 65536, 65537];

    private static int RandomSize(Random random, Opcode opcode)
    {
        int size = random.Next(3) switch
        {
            0 => InterestingSizes[random.Next(InterestingSizes.Length)],
            1 => random.Next(0, 300),
            _ => random.Next(0, 70_000),
        };
        // §5.5: control frames carry at most 125 bytes.
        return opcode.IsControl() ? Math.Min(size, 125) : size;
    }

    private static (FrameHeader Header, byte[] Payload) RandomFrame(Random random, bool masked, byte rsvAllowed)
    {
        var opcode = AllOpcodes[random.Next(AllOpcodes.Length)];
        int size = RandomSize(random, opcode);
        bool fin = opcode.IsControl() || random.Next(2) == 0;
        uint key = masked ? (uint)random.NextInt64(0, 1L << 32) : 0;
        byte rsv = (byte)(random.Next(8) & rsvAllowed);
        return (new FrameHeader(fin, rsv, opcode, masked, size, key), RandomBytes(random, size));
    }

    [Theory]
    [InlineData(1, Role.Server)]
    [InlineData(2, Role.Client)]
    [InlineData(3, Role.Server)]
    [InlineData(4, Role.Client)]
    public void Random_frames_encode_and_decode_to_the_same_frames(int seed, Role receiver)
    {
        var random = new Random(seed);
        bool masked = receiver == Role.Server; // §5.1: clients mask, servers do not
        for (int iteration = 0; iteration < 300; iteration++)
        {
            var (header, payload) = RandomFrame(random, masked, rsvAllowed: 0);
            var encoded = FrameEncoder.Encode(header, payload);
            Assert.Equal(header.FrameLength, encoded.Length);
            Assert.Equal(header.EncodedLength + payload.Length, encoded.Length);

            var result = DecodeAll(new FrameDecoder(receiver, 1 << 20), [encoded]);
            Assert.Null(result.Violation);
            var frame = Assert.Single(result.Frames);
            Assert.Equal(header, frame.Header);
            Assert.Equal(payload, frame.Payload);
        }
    }

    [Theory]
    [InlineData(5, Role.Server)]
    [InlineData(6, Role.Client)]
    public void Random_frame_sequences_encode_and_decode_to_the_same_frames_however_they_are_chunked(int seed, Role receiver)
    {
        var random = new Random(seed);
        bool masked = receiver == Role.Server;
        for (int iteration = 0; iteration < 40; iteration++)
        {
            var frames = Enumerable.Range(0, random.Next(1, 12)).Select(_ => RandomFrame(random, masked, rsvAllowed: 0b111)).ToList();
            var stream = Concat(frames.Select(f => FrameEncoder.Encode(f.Header, f.Payload)).ToArray());
            var result = DecodeAll(new FrameDecoder(receiver, 1 << 20, admission: null, allowedRsv: 0b111), RandomChunks(stream, random, random.Next(1, 20_000)));
            Assert.Null(result.Violation);
            Assert.Equal(frames.Count, result.Frames.Count);
            for (int i = 0; i < frames.Count; i++)
            {
                Assert.Equal(frames[i].Header, result.Frames[i].Header);
                Assert.Equal(frames[i].Payload, result.Frames[i].Payload);
            }
        }
    }

    [Fact]
    public void Frames_written_with_a_fresh_key_decode_to_the_payload()
    {
        var random = new Random(7);
        var keys = new HashSet<uint>();
        for (int iteration = 0; iteration < 200; iteration++)
        {
            var opcode = AllOpcodes[random.Next(AllOpcodes.Length)];
            var payload = RandomBytes(random, RandomSize(random, opcode));
            var encoded = new byte[FrameEncoder.FrameLength(payload.Length, masked: true)];
            Assert.Equal(encoded.Length, FrameEncoder.Write(encoded, opcode, payload, fin: true, masked: true));

            var frame = Assert.Single(DecodeAll(Role.Server, encoded).Frames);
            Assert.Equal(new FrameHeader(true, 0, opcode, true, payload.Length, frame.Header.MaskKey), frame.Header);
            Assert.Equal(payload, frame.Payload);
            keys.Add(frame.Header.MaskKey);

            var unmasked = FrameEncoder.Encode(opcode, payload);
            Assert.Equal(payload, Assert.Single(DecodeAll(Role.Client, unmasked).Frames).Payload);
        }
        Assert.True(keys.Count > 190); // §5.3: a fresh key per frame
    }

    [Fact]
    public void Encoder_refuses_control_frames_the_rfc_forbids()
    {
        // §5.5: at most 125 bytes, never fragmented.
        Assert.Throws<ArgumentException>(() => FrameEncoder.Encode(Opcode.Ping, new byte[126]));
        Assert.Throws<ArgumentException>(() => FrameEncoder.Encode(Opcode.Close, new byte[2], fin: false));
        Assert.Throws<ArgumentException>(() => FrameEncoder.Encode(new FrameHeader(true, 0, Opcode.Binary, false, 5), new byte[4]));
    }

    [Fact]
    public void Encoded_masked_frame_does_not_carry_the_payload_in_clear()
    {
        var payload = new byte[64];
        var encoded = FrameEncoder.Encode(new FrameHeader(true, 0, Opcode.Binary, true, 64, Masking.ReadKey([1, 2, 3, 4])), payload);
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, encoded[2..6]);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 1, 2, 3, 4 }, encoded[6..14]);
    }

    [Fact]
    public void Assembled_messages_round_trip_through_fragmenting_encoder_and_decoder()
    {
        // Messages cut into random fragments, with pings between, come back whole.
        var random = new Random(8);
        using var assembler = new MessageAssembler(1 << 20, 1000);
        using var decoder = new FrameDecoder(Role.Server, 1 << 20, assembler);
        for (int iteration = 0; iteration < 100; iteration++)
        {
            bool text = random.Next(2) == 0;
            var payload = text
                ? Utf8(string.Concat(Enumerable.Range(0, random.Next(0, 500)).Select(_ => random.Next(4) switch { 0 => "a", 1 => "é", 2 => "€", _ => "😀" })))
                : RandomBytes(random, random.Next(0, 5000));
            var parts = new List<byte[]>();
            int position = 0;
            int fragments = random.Next(1, 6);
            for (int f = 0; f < fragments; f++)
            {
                int size = f == fragments - 1 ? payload.Length - position : random.Next(0, payload.Length - position + 1);
                var opcode = f == 0 ? (text ? Opcode.Text : Opcode.Binary) : Opcode.Continuation;
                parts.Add(FrameEncoder.Encode(opcode, payload.AsSpan(position, size), fin: f == fragments - 1, masked: true));
                if (random.Next(3) == 0)
                    parts.Add(FrameEncoder.Encode(Opcode.Ping, "p"u8, masked: true));
                position += size;
            }
            var stream = Concat(parts.ToArray());

            byte[]? received = null;
            foreach (var chunk in RandomChunks(stream, random, 1000))
            {
                var input = chunk.Span;
                while (!input.IsEmpty)
                {
                    var decoded = decoder.Decode(input);
                    input = input[decoded.Consumed..];
                    Assert.Null(decoded.Violation);
                    if (!decoded.IsComplete || decoded.Value.Opcode.IsControl())
                        continue;
                    var assembled = assembler.Add(decoded.Value.Header, decoded.Value.Payload);
                    Assert.Null(assembled.Violation);
                    if (assembled.IsComplete)
                    {
                        Assert.Null(received);
                        Assert.Equal(text ? MessageType.Text : MessageType.Binary, assembled.Value.Type);
                        received = assembled.Value.Payload.ToArray();
                    }
                }
                decoder.ReleaseBuffers();
            }
            Assert.Equal(payload, received);
            assembler.ReleaseBuffers();
        }
    }
}
