using System.IO.Compression;
using System.Text;

namespace ActorWs.Protocol.Tests;

/// <summary>Compressed messages, RFC 7692 §6 and §7.2: compression and inflation, RSV1 placement,
/// the inflated size limit and invalid data. The reference compressor and decompressor here are
/// plain <see cref="DeflateStream"/>s, not the code under test.</summary>
public class CompressedMessageTests
{
    private static readonly byte[] Tail = [0x00, 0x00, 0xff, 0xff];

    /// <summary>A reference sender (§7.2.1): raw DEFLATE, sync flush, the 4-byte tail removed; one
    /// compressor for every message (context takeover) unless <paramref name="reset"/>.</summary>
    private sealed class ReferenceSender(bool reset = false)
    {
        private readonly MemoryStream _output = new();
        private DeflateStream? _deflate;

        public byte[] Compress(byte[] message)
        {
            if (reset || _deflate is null)
                _deflate = new DeflateStream(_output, CompressionLevel.Optimal, leaveOpen: true);
            _output.SetLength(0);
            _deflate.Write(message);
            _deflate.Flush();
            var bytes = _output.ToArray();
            Assert.Equal(Tail, bytes[^4..]);
            return bytes[..^4];
        }
    }

    /// <summary>A reference receiver (§7.2.2): the tail appended, raw DEFLATE inflated with one stream for every message.</summary>
    private static byte[] ReferenceInflate(params byte[][] payloads)
    {
        using var input = new MemoryStream(payloads.SelectMany(p => p.Concat(Tail)).ToArray());
        using var inflate = new DeflateStream(input, CompressionMode.Decompress);
        var output = new MemoryStream();
        var buffer = new byte[4096];
        int n;
        while ((n = inflate.Read(buffer)) > 0)
            output.Write(buffer, 0, n);
        return output.ToArray();
    }

    private static FrameHeader H(Opcode opcode, int length, bool fin, bool rsv1) => new(fin, rsv1 ? PerMessageDeflate.Rsv1 : (byte)0, opcode, true, length, 0x1234);

    private static MessageAssembler Assembler(long max = 1 << 20, bool contextTakeover = true) =>
        new(max, 1000, new MessageInflater(contextTakeover));

    /// <summary>Adds a compressed message in the fragments cut at <paramref name="cuts"/>.</summary>
    private static (byte[]? Payload, ProtocolViolation? Violation) AddCompressed(MessageAssembler assembler, Opcode opcode, byte[] compressed, params int[] cuts)
    {
        var bounds = cuts.Prepend(0).Append(compressed.Length).ToArray();
        for (int i = 0; i + 1 < bounds.Length; i++)
        {
            var part = compressed[bounds[i]..bounds[i + 1]];
            bool fin = i + 2 == bounds.Length;
            var header = H(i == 0 ? opcode : Opcode.Continuation, part.Length, fin, rsv1: i == 0);
            Assert.Null(assembler.Admit(header));
            var result = assembler.Add(header, part);
            if (result.Violation is not null)
                return (null, result.Violation);
            if (fin)
            {
                Assert.Equal(ProtocolStatus.Complete, result.Status);
                Assert.Equal((MessageType)opcode, result.Value.Type);
                return (result.Value.Payload.ToArray(), null);
            }
            Assert.Equal(ProtocolStatus.NeedMoreData, result.Status);
        }
        throw new InvalidOperationException("unreachable");
    }

    private static byte[] Json(int bytes, int seed = 1)
    {
        var random = new Random(seed);
        var sb = new StringBuilder("[");
        while (sb.Length < bytes)
            sb.Append($"{{\"id\":{random.Next(100000)},\"name\":\"user{random.Next(100)}\",\"active\":{(random.Next(2) == 0 ? "true" : "false")}}},");
        return Encoding.UTF8.GetBytes(sb.ToString(0, bytes));
    }

    [Fact]
    public void Deflater_output_is_raw_deflate_without_the_sync_flush_tail()
    {
        using var deflater = new MessageDeflater(level: 6, contextTakeover: false);
        var message = Json(4096);
        var payload = deflater.Compress(message, out int length);
        var compressed = payload[..length];
        System.Buffers.ArrayPool<byte>.Shared.Return(payload);
        Assert.True(length < message.Length / 3, $"{length} bytes from {message.Length}");
        Assert.Equal(message, ReferenceInflate(compressed));
        Assert.False(deflater.HoldsCompressor); // §7.1.1: no context takeover keeps nothing between messages
    }

    [Fact]
    public void Deflater_with_context_takeover_keeps_its_window_and_later_messages_shrink()
    {
        using var deflater = new MessageDeflater(level: 6, contextTakeover: true);
        var message = Json(2048);
        var payloads = new List<byte[]>();
        for (int i = 0; i < 3; i++)
        {
            var payload = deflater.Compress(message, out int length);
            payloads.Add(payload[..length]);
            System.Buffers.ArrayPool<byte>.Shared.Return(payload);
        }
        Assert.True(deflater.HoldsCompressor);
        Assert.True(payloads[1].Length < payloads[0].Length / 4, "the repeat is a back-reference into the window");
        Assert.Equal(message.Concat(message).Concat(message), ReferenceInflate([.. payloads]));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Messages_from_a_reference_sender_are_inflated_in_order(bool contextTakeover)
    {
        var sender = new ReferenceSender(reset: !contextTakeover);
        using var assembler = Assembler(contextTakeover: contextTakeover);
        for (int i = 0; i < 5; i++)
        {
            var message = Json(3000 + i * 100, seed: i % 2);
            var (payload, violation) = AddCompressed(assembler, Opcode.Text, sender.Compress(message));
            Assert.Null(violation);
            Assert.Equal(message, payload);
            assembler.ReleaseBuffers();
        }
    }

    [Fact]
    public void Inflater_without_context_takeover_is_released_after_each_message_and_with_it_is_kept()
    {
        var message = new ReferenceSender(reset: true).Compress(Json(2000));
        var released = new MessageInflater(contextTakeover: false);
        using (var assembler = new MessageAssembler(1 << 20, 10, released))
            Assert.Null(AddCompressed(assembler, Opcode.Binary, message).Violation);
        Assert.False(released.HoldsDecompressor);

        var kept = new MessageInflater(contextTakeover: true);
        using var keeping = new MessageAssembler(1 << 20, 10, kept);
        Assert.Null(AddCompressed(keeping, Opcode.Binary, message).Violation);
        Assert.True(kept.HoldsDecompressor);
    }

    [Fact]
    public void A_compressed_message_fragmented_at_every_boundary_inflates_the_same()
    {
        // RSV1 on the first fragment only (§6.1); the fragments are cut anywhere in the DEFLATE data.
        var message = Json(1500);
        var compressed = new ReferenceSender().Compress(message);
        for (int cut = 0; cut <= compressed.Length; cut++)
        {
            using var assembler = Assembler();
            Assert.Equal(message, AddCompressed(assembler, Opcode.Text, compressed, cut).Payload);
        }
        using var threeWay = Assembler();
        Assert.Equal(message, AddCompressed(threeWay, Opcode.Text, compressed, 1, compressed.Length / 2).Payload);
    }

    [Fact]
    public void A_compressed_frame_split_into_input_chunks_at_every_boundary_decodes_and_inflates()
    {
        var message = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("grüße, κόσμε, ", 80)));
        var compressed = new ReferenceSender().Compress(message);
        var frame = Wire.Concat(Wire.Frame(Opcode.Text, compressed, masked: true, rsv: PerMessageDeflate.Rsv1), Wire.Frame(Opcode.Ping, [1], masked: true));
        for (int cut = 0; cut <= frame.Length; cut++)
        {
            using var assembler = Assembler();
            using var decoder = new FrameDecoder(Role.Server, 1 << 20, assembler, PerMessageDeflate.Rsv1);
            var decoded = Decoding.DecodeAll(decoder, Wire.Split(frame, cut));
            Assert.Null(decoded.Violation);
            Assert.Equal(2, decoded.Frames.Count);
            var result = assembler.Add(decoded.Frames[0].Header, decoded.Frames[0].Payload);
            Assert.Null(result.Violation);
            Assert.Equal(message, result.Value.Payload.ToArray());
        }
    }

    [Fact]
    public void Random_messages_round_trip_through_deflater_fragments_and_inflater()
    {
        var random = new Random(7);
        foreach (bool takeover in new[] { true, false })
        {
            using var deflater = new MessageDeflater(random.Next(1, 10), takeover);
            using var assembler = Assembler(contextTakeover: takeover);
            for (int i = 0; i < 60; i++)
            {
                var message = random.Next(3) == 0 ? Wire.RandomBytes(random, random.Next(0, 20000)) : Json(random.Next(1, 20000), seed: i);
                var rented = deflater.Compress(message, out int length);
                var compressed = rented[..length];
                System.Buffers.ArrayPool<byte>.Shared.Return(rented);
                var cuts = Enumerable.Range(0, random.Next(0, 4)).Select(_ => random.Next(0, compressed.Length + 1)).Order().ToArray();
                var (payload, violation) = AddCompressed(assembler, Opcode.Binary, compressed, cuts);
                Assert.Null(violation);
                Assert.Equal(message, payload);
                assembler.ReleaseBuffers();
            }
        }
    }

    /// <summary>About <paramref name="mebibytes"/> MiB of zeros as a compressed payload of roughly 1 KiB per MiB (DEFLATE's limit is about 1032:1).</summary>
    private static byte[] Bomb(int mebibytes)
    {
        var zeros = new byte[1 << 20];
        var sender = new ReferenceSender();
        // Each flush's empty stored block re-aligns to a byte, so it stays between the parts.
        var first = sender.Compress(zeros).Concat(Tail).ToArray();
        // With the window full of zeros, every later MiB compresses to the same bytes.
        var repeat = sender.Compress(zeros).Concat(Tail).ToArray();
        var bomb = new byte[first.Length + repeat.Length * (mebibytes - 1)];
        first.CopyTo(bomb, 0);
        for (int i = 0; i < mebibytes - 1; i++)
            repeat.CopyTo(bomb, first.Length + i * repeat.Length);
        return bomb[..^Tail.Length];
    }

    [Fact]
    public void An_inflate_bomb_fails_with_1009_at_the_limit_without_allocating_past_it()
    {
        // 1 GiB of zeros in about a MiB of compressed data, against a 16 MiB limit (§10.4).
        var bomb = Bomb(1024);
        Assert.InRange(bomb.Length, 1 << 10, 2 << 20);
        const long limit = 16 << 20;
        using var assembler = Assembler(max: limit);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var (payload, violation) = AddCompressed(assembler, Opcode.Binary, bomb);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Null(payload);
        Assert.Equal(ViolationKind.MessageTooBig, violation?.Kind);
        Assert.Equal(CloseCodes.MessageTooBig, violation!.Kind.CloseCode());
        // The message buffer grows by doubling up to the limit: all of it together stays under twice the limit
        // (plus this test's copy of the 1 MiB payload), against the gigabyte the data would inflate to.
        Assert.True(allocated < 2 * limit + (4 << 20), $"{allocated} bytes allocated");
    }

    [Fact]
    public void A_message_that_inflates_to_exactly_the_limit_is_delivered()
    {
        var message = new byte[100_000];
        using var assembler = Assembler(max: message.Length);
        Assert.Equal(message, AddCompressed(assembler, Opcode.Binary, new ReferenceSender().Compress(message), 10).Payload);
        using var oneLess = Assembler(max: message.Length - 1);
        Assert.Equal(ViolationKind.MessageTooBig, AddCompressed(oneLess, Opcode.Binary, new ReferenceSender().Compress(message)).Violation?.Kind);
    }

    [Fact]
    public void Invalid_deflate_data_is_1007()
    {
        // BTYPE 11 is reserved (RFC 1951 §3.2.3): not DEFLATE. The frames are well-formed; their data is not
        // consistent with the message (RFC 6455 §7.4.1: 1007), as invalid UTF-8 is.
        using var assembler = Assembler();
        var (_, violation) = AddCompressed(assembler, Opcode.Binary, [0xff, 0xff, 0xff, 0xff, 0x00]);
        Assert.Equal(ViolationKind.InvalidCompressedData, violation?.Kind);
        Assert.Equal(CloseCodes.InvalidPayloadData, violation!.Kind.CloseCode());
    }

    [Fact]
    public void Compressed_text_that_inflates_to_invalid_UTF8_is_1007()
    {
        using var assembler = Assembler();
        var (_, violation) = AddCompressed(assembler, Opcode.Text, new ReferenceSender().Compress([.. Encoding.UTF8.GetBytes(Wire.Text(2000)), 0xC0, 0xAF]));
        Assert.Equal(ViolationKind.InvalidUtf8Text, violation?.Kind);
        using var truncated = Assembler();
        Assert.Equal(ViolationKind.InvalidUtf8Text, AddCompressed(truncated, Opcode.Text, new ReferenceSender().Compress([0x61, 0xE2, 0x82]), 1).Violation?.Kind);
    }

    [Fact]
    public void Compressed_text_is_not_validated_as_UTF8_while_its_compressed_bytes_arrive()
    {
        // The compressed bytes are not UTF-8; AdmitPayload must let them through (§6: validate the inflated text).
        using var assembler = Assembler();
        var header = H(Opcode.Text, 10, fin: true, rsv1: true);
        Assert.Null(assembler.Admit(header));
        Assert.Null(assembler.AdmitPayload(header, [0xff, 0xfe, 0xc0]));
    }

    [Theory]
    [InlineData(Opcode.Ping)]
    [InlineData(Opcode.Pong)]
    [InlineData(Opcode.Close)]
    public void RSV1_on_a_control_frame_is_1002_even_with_compression_negotiated(Opcode opcode)
    {
        // §6.1: "An endpoint MUST NOT set the 'Per-Message Compressed' bit of control frames".
        var payload = opcode == Opcode.Close ? Wire.ClosePayload(1000) : [1, 2];
        using var decoder = new FrameDecoder(Role.Server, 1 << 20, Assembler(), PerMessageDeflate.Rsv1);
        var decoded = Decoding.DecodeAll(decoder, [Wire.Frame(opcode, payload, masked: true, rsv: PerMessageDeflate.Rsv1)]);
        Assert.Equal(ViolationKind.MisplacedCompressionBit, decoded.Violation?.Kind);
        Assert.Equal(CloseCodes.ProtocolError, decoded.Violation!.Kind.CloseCode());
    }

    [Fact]
    public void RSV1_on_a_continuation_frame_is_1002()
    {
        // §6.1: the bit is set on the first frame of a message only.
        var compressed = new ReferenceSender().Compress(Json(2000));
        using var decoder = new FrameDecoder(Role.Client, 1 << 20, Assembler(), PerMessageDeflate.Rsv1);
        var decoded = Decoding.DecodeAll(decoder, [Wire.Concat(
            Wire.Frame(Opcode.Text, compressed[..10], fin: false, rsv: PerMessageDeflate.Rsv1),
            Wire.Frame(Opcode.Continuation, compressed[10..], rsv: PerMessageDeflate.Rsv1))]);
        Assert.Equal(ViolationKind.MisplacedCompressionBit, decoded.Violation?.Kind);
        Assert.Equal(CloseCodes.ProtocolError, decoded.Violation!.Kind.CloseCode());
    }

    [Fact]
    public void RSV1_without_the_extension_negotiated_stays_1002()
    {
        var decoded = Decoding.DecodeAll(new FrameDecoder(Role.Server, 1 << 20, new MessageAssembler(1 << 20, 10)),
            [Wire.Frame(Opcode.Text, [1, 2, 3], masked: true, rsv: PerMessageDeflate.Rsv1)]);
        Assert.Equal(ViolationKind.ReservedBitsSet, decoded.Violation?.Kind);
        // An assembler without an inflater refuses a compressed message even if a decoder let it through.
        using var plain = new MessageAssembler(1 << 20, 10);
        Assert.Equal(ViolationKind.ReservedBitsSet, plain.Admit(H(Opcode.Text, 3, true, rsv1: true))?.Kind);
    }

    [Fact]
    public void Uncompressed_messages_still_pass_with_compression_negotiated()
    {
        // §6: a message without RSV1 is not compressed; both kinds may alternate.
        using var assembler = Assembler();
        var plain = Encoding.UTF8.GetBytes("plain");
        var result = assembler.Add(H(Opcode.Text, plain.Length, true, rsv1: false), plain);
        Assert.Equal(plain, result.Value.Payload.ToArray());
        var message = Json(2000);
        Assert.Equal(message, AddCompressed(assembler, Opcode.Text, new ReferenceSender().Compress(message)).Payload);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Uncompressed_frames_decode_and_assemble_without_allocating_with_or_without_compression_negotiated(bool negotiated)
    {
        // The hot path keeps its 0 allocations per frame: the RSV1 checks are branches, not objects.
        var frame = Wire.Frame(Opcode.Text, Encoding.UTF8.GetBytes("a 32-byte text message, unmasked"), masked: false);
        using var assembler = negotiated ? Assembler() : new MessageAssembler(1 << 20, 10);
        using var decoder = new FrameDecoder(Role.Client, 1 << 20, assembler, negotiated ? PerMessageDeflate.Rsv1 : (byte)0);
        long Run(int count)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < count; i++)
            {
                var decoded = decoder.Decode(frame);
                var message = assembler.Add(decoded.Value.Header, decoded.Value.Payload);
                if (!message.IsComplete)
                    throw new InvalidOperationException("not complete");
            }
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }
        Run(1000); // warm up: tiered JIT, statics
        // A run of 10,000 frames that allocated per frame would allocate at least 10,000 objects; a
        // run may still see a one-off of the runtime's (a tier-up on a loaded machine), so one clean
        // run out of five is the steady state shown.
        var runs = Enumerable.Range(0, 5).Select(_ => Run(10_000)).ToArray();
        Assert.True(runs.Contains(0), $"allocated bytes per run of 10,000 frames: {string.Join(", ", runs)}");
    }
}
