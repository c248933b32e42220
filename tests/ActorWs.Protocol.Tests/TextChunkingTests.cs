namespace ActorWs.Protocol.Tests;

/// <summary>
/// Text is checked as its bytes arrive (RFC 6455 §8.1: an endpoint that finds a byte stream it is
/// to interpret as UTF-8 is not valid UTF-8 "MUST _Fail the WebSocket Connection_"), not when its
/// frame or message is complete: however TCP cuts the stream and however the sender fragments the
/// message, the violation comes at the chunk holding the first byte that no continuation can make
/// valid, and valid text comes out whole. The decoder and the assembler are driven together, as a
/// connection's reader drives them.
/// </summary>
public class TextChunkingTests
{
    /// <summary>Valid text around the bad bytes: "κόσμε" before (Autobahn 6.4's prefix), ASCII after.</summary>
    private static readonly byte[] Before = Hex("CE BA E1 BD B9 CF 83 CE BC CE B5");
    private static readonly byte[] After = Utf8("edited");

    /// <summary>What a reader made of a stream: the messages it delivered, and the violation with
    /// the index of the chunk it came in.</summary>
    private sealed record Received(List<byte[]> Messages, int? FailedChunk, ProtocolViolation? Violation);

    /// <summary>Feeds the chunks to a decoder and an assembler the way the connection's reader does.</summary>
    private static Received Receive(Role role, IEnumerable<ReadOnlyMemory<byte>> chunks)
    {
        using var assembler = new MessageAssembler(1 << 20, 1000);
        using var decoder = new FrameDecoder(role, 1 << 20, assembler);
        var messages = new List<byte[]>();
        int index = 0;
        foreach (var memory in chunks)
        {
            var input = memory.Span;
            while (true)
            {
                var decoded = decoder.Decode(input);
                input = input[decoded.Consumed..];
                if (decoded.Violation is { } violation)
                    return new(messages, index, violation);
                if (decoded.Status == ProtocolStatus.NeedMoreData)
                    break;
                var frame = decoded.Value;
                if (frame.Opcode.IsControl())
                    continue;
                var assembled = assembler.Add(frame.Header, frame.Payload);
                if (assembled.Violation is { } invalid)
                    return new(messages, index, invalid);
                if (assembled.IsComplete)
                    messages.Add(assembled.Value.Payload.ToArray());
            }
            decoder.ReleaseBuffers();
            assembler.ReleaseBuffers();
            index++;
        }
        return new(messages, null, null);
    }

    /// <summary>A text message in frames cut at <paramref name="fragmentCuts"/> (none: one frame),
    /// a ping between each two, then a short valid message; with where each payload byte lies in
    /// the stream.</summary>
    private static (byte[] Stream, int[] StreamIndexOf) TextMessage(Role receiver, byte[] payload, params int[] fragmentCuts)
    {
        bool masked = receiver == Role.Server;
        var parts = new List<byte[]>();
        var indexOf = new int[payload.Length];
        int streamLength = 0;
        int start = 0;
        for (int f = 0; f <= fragmentCuts.Length; f++)
        {
            int end = f < fragmentCuts.Length ? fragmentCuts[f] : payload.Length;
            if (f > 0)
            {
                var ping = Frame(Opcode.Ping, Utf8("between"), masked);
                parts.Add(ping);
                streamLength += ping.Length;
            }
            var frame = Frame(f == 0 ? Opcode.Text : Opcode.Continuation, payload.AsSpan(start..end), masked, fin: f == fragmentCuts.Length);
            int header = frame.Length - (end - start);
            for (int i = start; i < end; i++)
                indexOf[i] = streamLength + header + i - start;
            parts.Add(frame);
            streamLength += frame.Length;
            start = end;
        }
        parts.Add(Frame(Opcode.Text, Utf8("next"), masked));
        return (Concat(parts.ToArray()), indexOf);
    }

    /// <summary>The index of the chunk that holds byte <paramref name="streamIndex"/> of the stream.</summary>
    private static int ChunkHolding(IEnumerable<ReadOnlyMemory<byte>> chunks, int streamIndex)
    {
        int index = 0, end = 0;
        foreach (var chunk in chunks)
        {
            end += chunk.Length;
            if (streamIndex < end)
                return index;
            index++;
        }
        throw new ArgumentOutOfRangeException(nameof(streamIndex));
    }

    /// <summary>Every way to cut the message into one or two frames: none, and at each position.</summary>
    private static IEnumerable<int[]> Fragmentations(int length) =>
        new[] { Array.Empty<int>() }.Concat(Enumerable.Range(0, length + 1).Select(cut => new[] { cut }));

    public static TheoryData<string, byte[], int> Invalid() => new()
    {
        // The bad bytes, and the index among them of the byte from which they cannot be valid.
        { "stray continuation byte", Bytes(0x80), 0 },
        { "byte FF, never in UTF-8", Bytes(0xFF), 0 },
        { "overlong lead C0", Bytes(0xC0, 0xAF), 0 },
        { "lead F5, above U+10FFFF", Bytes(0xF5, 0x80, 0x80, 0x80), 0 },
        { "overlong 3-byte form", Bytes(0xE0, 0x80, 0xAF), 1 },
        { "overlong 4-byte form", Bytes(0xF0, 0x8F, 0xBF, 0xBF), 1 },
        { "surrogate U+D800", Bytes(0xED, 0xA0, 0x80), 1 },
        { "U+110000, Autobahn 6.4.3 and 6.4.4", Bytes(0xF4, 0x90, 0x80, 0x80), 1 },
        { "3-byte lead and continuation, then ASCII", Bytes(0xE2, 0x82, 0x41), 2 },
        { "4-byte lead and continuations, then ASCII", Bytes(0xF0, 0x9F, 0x98, 0x41), 3 },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Invalid_utf8_fails_at_the_chunk_that_holds_it(string name, byte[] bad, int invalidFrom)
    {
        _ = name;
        var payload = Concat(Before, bad, After);
        int firstInvalid = Before.Length + invalidFrom;
        foreach (var role in new[] { Role.Server, Role.Client })
        {
            foreach (var fragmentCuts in Fragmentations(payload.Length))
            {
                var (stream, indexOf) = TextMessage(role, payload, fragmentCuts);
                int badAt = indexOf[firstInvalid];
                for (int cut = 0; cut <= stream.Length; cut++)
                {
                    var received = Receive(role, Split(stream, cut));
                    Assert.Equal(ViolationKind.InvalidUtf8Text, received.Violation?.Kind);
                    Assert.True(received.FailedChunk == (badAt < cut ? 0 : 1),
                        $"{role}, fragments cut at [{string.Join(",", fragmentCuts)}], stream cut at {cut}: failed in chunk {received.FailedChunk}, byte {badAt}");
                    Assert.Empty(received.Messages);
                }
                // One byte at a time, the chunk is the byte itself: no byte later than the bad one.
                Assert.Equal(badAt, Receive(role, OneByteAtATime(stream)).FailedChunk);
            }
        }
    }

    [Theory]
    [InlineData(Role.Server)]
    [InlineData(Role.Client)]
    public void Invalid_utf8_in_a_frame_still_arriving_is_a_1007_violation_from_the_decoder(Role role)
    {
        // Autobahn 6.4.3: the frame's first part holds U+110000; the rest would come a second later.
        var payload = Concat(Before, Bytes(0xF4, 0x90, 0x80, 0x80), After);
        var frame = Frame(Opcode.Text, payload, masked: role == Role.Server);
        int firstPart = frame.Length - After.Length;
        using var assembler = new MessageAssembler(1 << 20, 1000);
        using var decoder = new FrameDecoder(role, 1 << 20, assembler);

        var decoded = decoder.Decode(frame.AsSpan(0, firstPart));

        Assert.Equal(ProtocolStatus.Violation, decoded.Status);
        Assert.Equal(ViolationKind.InvalidUtf8Text, decoded.Violation!.Kind);
        Assert.Equal(CloseCodes.InvalidPayloadData, decoded.Violation.CloseCode);
        Assert.True(decoder.HasPartialFrame);
    }

    [Theory]
    [InlineData(Role.Server)]
    [InlineData(Role.Client)]
    public void Code_point_cut_at_a_chunk_boundary_waits_for_the_next_chunk(Role role)
    {
        // Autobahn 6.4.4's first bytes: F4 90 cannot be valid, but F4 8F can (U+10FFFF).
        var payload = Concat(Before, Bytes(0xF4, 0x8F, 0xBF, 0xBF), After);
        var frame = Frame(Opcode.Text, payload, masked: role == Role.Server);
        int upToLead = frame.Length - After.Length - 3;
        var chunks = Split(frame, upToLead, upToLead + 1, upToLead + 2);

        var received = Receive(role, chunks);

        Assert.Null(received.Violation);
        Assert.Equal([payload], received.Messages);
    }

    [Theory]
    [InlineData(Role.Server)]
    [InlineData(Role.Client)]
    public void Valid_text_split_at_every_boundary_decodes_to_the_same_message(Role role)
    {
        var payload = Utf8("aé€😀z 𝄞 \U0010FFFF ĳ");
        foreach (var fragmentCuts in Fragmentations(payload.Length))
        {
            var (stream, _) = TextMessage(role, payload, fragmentCuts);
            for (int cut = 0; cut <= stream.Length; cut++)
            {
                var received = Receive(role, Split(stream, cut));
                Assert.Null(received.Violation);
                Assert.Equal([payload, Utf8("next")], received.Messages);
            }
            Assert.Equal([payload, Utf8("next")], Receive(role, OneByteAtATime(stream)).Messages);
        }
    }

    [Theory]
    [InlineData(Role.Server)]
    [InlineData(Role.Client)]
    public void Random_texts_in_random_fragments_and_chunks_decode_whole_or_fail_at_their_first_invalid_byte(Role role)
    {
        var random = new Random(role == Role.Server ? 31 : 32);
        for (int run = 0; run < 500; run++)
        {
            var payload = RandomUtf8(random, random.Next(1, 80));
            var fragmentCuts = Enumerable.Range(0, random.Next(0, 4)).Select(_ => random.Next(payload.Length + 1)).Order().ToArray();
            var (stream, indexOf) = TextMessage(role, payload, fragmentCuts);
            var chunks = RandomChunks(stream, random, random.Next(1, 40)).ToList();
            var received = Receive(role, chunks);
            Assert.Null(received.Violation);
            Assert.Equal([payload, Utf8("next")], received.Messages);

            // 0xFF never occurs in UTF-8 (RFC 3629 §1), and every byte before it is a valid prefix,
            // so the text becomes invalid exactly there.
            int corrupt = random.Next(payload.Length);
            var corrupted = payload.ToArray();
            corrupted[corrupt] = 0xFF;
            (stream, indexOf) = TextMessage(role, corrupted, fragmentCuts);
            chunks = RandomChunks(stream, random, random.Next(1, 40)).ToList();
            received = Receive(role, chunks);
            Assert.Equal(ViolationKind.InvalidUtf8Text, received.Violation?.Kind);
            Assert.Equal(ChunkHolding(chunks, indexOf[corrupt]), received.FailedChunk);
        }
    }
}
