using System.Text;

namespace ActorWs.Protocol.Tests;

/// <summary>
/// <see cref="FrameDecoder.DecodeInPlace"/> (lent payloads): a payload whole in its input is
/// unmasked where it lies (§5.3) and handed out as a slice of it; one that spans inputs comes in an
/// array of exactly its size; a large data frame comes in pieces. The same payloads as
/// <see cref="FrameDecoder.Decode"/>, however the stream is cut.
/// </summary>
public class InPlaceDecodingTests
{
    private static (List<(Opcode Opcode, bool Fin, byte[] Payload)> Frames, byte[] Stream) RandomFrames(int seed, int count)
    {
        var rng = new Random(seed);
        var frames = new List<(Opcode, bool, byte[])>();
        var parts = new List<byte[]>();
        for (int i = 0; i < count; i++)
        {
            var opcode = i % 4 == 3 ? Opcode.Ping : Opcode.Binary;
            var payload = new byte[opcode == Opcode.Ping ? rng.Next(0, 126) : rng.Next(0, i % 5 == 0 ? 70_000 : 300)];
            rng.NextBytes(payload);
            frames.Add((opcode, true, payload));
            parts.Add(Wire.Frame(opcode, payload, masked: true));
        }
        return (frames, Wire.Concat([.. parts]));
    }

    [Fact]
    public void Whole_masked_payload_is_unmasked_in_place_as_a_slice_of_the_input()
    {
        var input = Wire.Frame(Opcode.Binary, [1, 2, 3, 4, 5, 6, 7], masked: true, key: 0xA1B2C3D4);
        using var decoder = new FrameDecoder(Role.Server, 1 << 20);
        var result = decoder.DecodeInPlace(input);
        Assert.Equal(ProtocolStatus.Complete, result.Status);
        Assert.True(input.AsSpan().Overlaps(result.Value.Payload, out int offset));
        Assert.Equal(6, offset); // 2 header bytes, 4 of key
        Assert.Equal([1, 2, 3, 4, 5, 6, 7], result.Value.Payload.ToArray());
        Assert.Equal([1, 2, 3, 4, 5, 6, 7], input[6..]); // the input now holds the unmasked bytes
        Assert.Null(decoder.TakeGatheredPayload());
    }

    [Fact]
    public void Payload_spanning_inputs_comes_in_an_array_of_exactly_its_size_handed_out_once()
    {
        var payload = Enumerable.Range(0, 300).Select(i => (byte)i).ToArray();
        var input = Wire.Frame(Opcode.Binary, payload, masked: true);
        using var decoder = new FrameDecoder(Role.Server, 1 << 20);
        Assert.Equal(ProtocolStatus.NeedMoreData, decoder.DecodeInPlace(input.AsSpan(0, 100)).Status);
        var result = decoder.DecodeInPlace(input.AsSpan(100));
        Assert.Equal(ProtocolStatus.Complete, result.Status);
        var gathered = decoder.TakeGatheredPayload();
        Assert.NotNull(gathered);
        Assert.Equal(payload, gathered);
        Assert.True(gathered.AsSpan().Overlaps(result.Value.Payload));
        Assert.Null(decoder.TakeGatheredPayload());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Same_payloads_as_Decode_whatever_the_split(int seed)
    {
        var (frames, stream) = RandomFrames(seed, 12);
        var rng = new Random(seed);
        // Every boundary of the first frames, then random cuts over the whole stream.
        var cuts = Enumerable.Range(1, Math.Min(stream.Length - 1, 400)).Select(c => new[] { c })
            .Concat(Enumerable.Range(0, 20).Select(_ => Enumerable.Range(0, 8).Select(_ => rng.Next(1, stream.Length)).Order().Distinct().ToArray()));
        foreach (var cut in cuts)
            Assert.Equal(frames.Select(f => f.Payload), DecodeCut(stream, cut, long.MaxValue));
    }

    [Theory]
    [InlineData(16)]
    [InlineData(1000)]
    public void Large_data_frames_come_in_pieces_that_join_to_the_payload(int pieceOver)
    {
        var (frames, stream) = RandomFrames(7, 12);
        var rng = new Random(7);
        for (int round = 0; round < 30; round++)
        {
            var cut = Enumerable.Range(0, 10).Select(_ => rng.Next(1, stream.Length)).Order().Distinct().ToArray();
            Assert.Equal(frames.Select(f => f.Payload), DecodeCut(stream, cut, pieceOver));
        }
    }

    /// <summary>Decodes copies of the stream cut at <paramref name="cuts"/>, joining pieces; checks that
    /// no piece is empty and that pieces come only for data frames over <paramref name="pieceOver"/>.</summary>
    private static List<byte[]> DecodeCut(byte[] stream, int[] cuts, long pieceOver)
    {
        using var decoder = new FrameDecoder(Role.Server, 1 << 20);
        var payloads = new List<byte[]>();
        var joining = new List<byte>();
        int start = 0;
        foreach (int end in cuts.Append(stream.Length))
        {
            var input = stream[start..end];
            int at = 0;
            while (at < input.Length)
            {
                var result = decoder.DecodeInPlace(input.AsSpan(at), pieceOver);
                at += result.Consumed;
                Assert.Null(result.Violation);
                if (result.Status == ProtocolStatus.NeedMoreData)
                    break;
                var frame = result.Value;
                bool piece = decoder.PieceOffset > 0 || !decoder.PieceEndsFrame;
                if (piece)
                {
                    Assert.True(frame.Header.PayloadLength > pieceOver);
                    Assert.False(frame.Payload.IsEmpty);
                    Assert.Equal(joining.Count, decoder.PieceOffset);
                    Assert.True(input.AsSpan().Overlaps(frame.Payload)); // a piece is always a slice of its input
                }
                joining.AddRange(frame.Payload);
                if (decoder.PieceEndsFrame)
                {
                    payloads.Add([.. joining]);
                    joining.Clear();
                }
            }
            start = end;
        }
        return payloads;
    }
}

/// <summary>
/// <see cref="MessageStreamer"/>: messages over the part size come as parts of at most that size,
/// whose concatenation is the message, text parts each valid UTF-8; smaller ones come whole;
/// invalid text fails as soon as its bytes come.
/// </summary>
public class MessageStreamerTests
{
    private sealed class Sink : IStreamedMessageSink
    {
        public List<(MessageType Type, byte[] Payload, bool Whole, bool IsLast)> Out { get; } = [];
        public void Message(MessageType type, ReadOnlyMemory<byte> payload) => Out.Add((type, payload.ToArray(), true, true));
        public void Part(MessageType type, ReadOnlyMemory<byte> payload, bool isLast) => Out.Add((type, payload.ToArray(), false, isLast));
    }

    /// <summary>Text of multi-byte code points of every length, so every cut lands in one somewhere.</summary>
    private static byte[] MixedText(int bytes)
    {
        var sb = new StringBuilder();
        string[] pieces = ["a", "é", "€", "😀", "ü", "z"];
        for (int i = 0; Encoding.UTF8.GetByteCount(sb.ToString()) < bytes; i++)
            sb.Append(pieces[i % pieces.Length]);
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    /// <summary>Feeds a message of <paramref name="fragments"/> frames as the decoder would give it
    /// with pieces cut at <paramref name="cut"/> bytes of each frame.</summary>
    private static ProtocolViolation? Feed(MessageStreamer streamer, Sink sink, MessageType type, byte[] message, int fragments, int cut)
    {
        int per = Math.Max(1, message.Length / fragments);
        for (int f = 0, at = 0; at < message.Length || f == 0; f++)
        {
            int length = f == fragments - 1 || at + per >= message.Length ? message.Length - at : per;
            var header = new FrameHeader(Fin: at + length == message.Length, Rsv: 0, Opcode: f == 0 ? (Opcode)type : Opcode.Continuation, Masked: false, PayloadLength: length);
            int offset = 0;
            do
            {
                int n = Math.Min(length - offset, cut <= 0 ? length : cut);
                if (streamer.Add(header, message.AsMemory(at + offset, n), offset, offset + n == length, sink) is { } violation)
                    return violation;
                offset += n;
            }
            while (offset < length);
            at += length;
        }
        return null;
    }

    [Fact]
    public void Text_cut_at_every_boundary_arrives_as_valid_parts_that_join_to_the_message()
    {
        var message = MixedText(200);
        for (int cut = 1; cut <= message.Length; cut++)
        {
            foreach (int fragments in new[] { 1, 3 })
            {
                var streamer = new MessageStreamer(1 << 20, 100, partSize: 16);
                var sink = new Sink();
                Assert.Null(Feed(streamer, sink, MessageType.Text, message, fragments, cut));
                Assert.All(sink.Out, p => Assert.False(p.Whole));
                Assert.All(sink.Out, p => Assert.InRange(p.Payload.Length, 0, 16));
                Assert.All(sink.Out, p => Assert.True(Utf8Validator.IsValid(p.Payload), $"cut {cut}: a part is not UTF-8 on its own"));
                Assert.Equal(message, sink.Out.SelectMany(p => p.Payload).ToArray());
                Assert.Single(sink.Out, p => p.IsLast);
                Assert.True(sink.Out[^1].IsLast);
            }
        }
    }

    [Fact]
    public void Binary_cut_at_every_boundary_arrives_as_parts_of_at_most_the_part_size()
    {
        var message = Enumerable.Range(0, 100).Select(i => (byte)i).ToArray();
        for (int cut = 1; cut <= message.Length; cut++)
        {
            var streamer = new MessageStreamer(1 << 20, 100, partSize: 7);
            var sink = new Sink();
            Assert.Null(Feed(streamer, sink, MessageType.Binary, message, fragments: 2, cut));
            Assert.All(sink.Out, p => Assert.InRange(p.Payload.Length, 0, 7));
            Assert.Equal(message, sink.Out.SelectMany(p => p.Payload).ToArray());
            Assert.True(sink.Out[^1].IsLast);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void A_message_within_the_part_size_comes_whole(int fragments)
    {
        var streamer = new MessageStreamer(1 << 20, 100, partSize: 64);
        var sink = new Sink();
        var message = MixedText(64);
        message = message[..Utf8Validator.IncompleteTailStart(message)];
        Assert.Null(Feed(streamer, sink, MessageType.Text, message, fragments, cut: 0));
        var whole = Assert.Single(sink.Out);
        Assert.True(whole.Whole);
        Assert.Equal(message, whole.Payload);
    }

    [Fact]
    public void Fragments_that_add_up_past_the_part_size_switch_to_parts_with_what_was_held_first()
    {
        var streamer = new MessageStreamer(1 << 20, 100, partSize: 10);
        var sink = new Sink();
        var message = Enumerable.Range(0, 25).Select(i => (byte)i).ToArray();
        Assert.Null(Feed(streamer, sink, MessageType.Binary, message, fragments: 5, cut: 0));
        Assert.All(sink.Out, p => Assert.False(p.Whole));
        Assert.Equal(message, sink.Out.SelectMany(p => p.Payload).ToArray());
    }

    [Fact]
    public void Invalid_text_in_a_later_part_fails_before_the_message_ends()
    {
        var message = MixedText(300);
        message[200] = 0xFF;
        var streamer = new MessageStreamer(1 << 20, 100, partSize: 32);
        var sink = new Sink();
        var violation = Feed(streamer, sink, MessageType.Text, message, fragments: 1, cut: 50);
        Assert.Equal(ViolationKind.InvalidUtf8Text, violation?.Kind);
        Assert.NotEmpty(sink.Out); // earlier parts went out
        Assert.DoesNotContain(sink.Out, p => p.IsLast);
    }

    [Fact]
    public void A_streamed_message_is_still_bounded_by_the_message_size_limit()
    {
        var streamer = new MessageStreamer(maxMessageSize: 100, 100, partSize: 16);
        var header = new FrameHeader(Fin: true, Rsv: 0, Opcode: Opcode.Binary, Masked: false, PayloadLength: 101);
        Assert.Equal(ViolationKind.MessageTooBig, streamer.Admit(header)?.Kind);
    }
}
