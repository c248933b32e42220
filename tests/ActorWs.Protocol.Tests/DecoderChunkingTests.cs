namespace ActorWs.Protocol.Tests;

/// <summary>
/// TCP delivers a byte stream in chunks of any size (RFC 6455 §5.2 frames have no relation to
/// segments). However the stream is cut, the decoder must yield the same frames, and stop at the
/// same violation.
/// </summary>
public class DecoderChunkingTests
{
    private const long MaxFrame = 1 << 20;

    private sealed record Expected(FrameHeader Header, byte[] Payload);

    /// <summary>Frames of every opcode and the boundary lengths of each length form.</summary>
    private static (byte[] Stream, List<Expected> Frames) VariedStream(Role receiver, int seed, bool includeLarge = true)
    {
        var random = new Random(seed);
        bool masked = receiver == Role.Server;
        var frames = new List<Expected>();
        void Add(Opcode opcode, int length, bool fin)
        {
            uint key = masked ? (uint)random.NextInt64(0, 1L << 32) : 0;
            frames.Add(new Expected(new FrameHeader(fin, 0, opcode, masked, length, key), RandomBytes(random, length)));
        }

        // The decoder does not check message sequencing (that is MessageAssembler's job), so any
        // order of data opcodes is fine here.
        int[] dataLengths = includeLarge ? [0, 1, 125, 126, 127, 65535, 65536] : [0, 1, 125, 126, 127, 1000];
        foreach (var length in dataLengths)
        {
            Add(Opcode.Text, length, fin: false);
            Add(Opcode.Ping, Math.Min(length, 125), fin: true);
            Add(Opcode.Continuation, length % 1000, fin: true);
            Add(Opcode.Binary, length % 1000, fin: length % 2 == 0);
            Add(Opcode.Pong, length % 126, fin: true);
        }
        Add(Opcode.Close, 0, true);
        Add(Opcode.Close, 2, true);
        Add(Opcode.Close, 125, true);
        var stream = Concat(frames.Select(f => FrameEncoder.Encode(f.Header, f.Payload)).ToArray());
        return (stream, frames);
    }

    /// <summary>Decodes and compares each frame with the expectation as it comes, without copying
    /// payloads (the every-boundary tests decode a 130 KB stream 130 thousand times).</summary>
    private static (int Matched, ProtocolViolation? Violation) Check(Role role, IEnumerable<ReadOnlyMemory<byte>> chunks, List<Expected> expected)
    {
        using var decoder = new FrameDecoder(role, MaxFrame);
        int index = 0;
        foreach (var memory in chunks)
        {
            var chunk = memory.Span;
            int offset = 0;
            do
            {
                var decoded = decoder.Decode(chunk[offset..]);
                offset += decoded.Consumed;
                if (decoded.Violation is { } violation)
                    return (index, violation);
                if (decoded.IsComplete)
                {
                    var frame = decoded.Value;
                    if (index >= expected.Count)
                        throw new Xunit.Sdk.XunitException($"unexpected extra frame {frame.Header}");
                    var want = expected[index];
                    if (frame.Header != want.Header || !frame.Payload.SequenceEqual(want.Payload))
                        throw new Xunit.Sdk.XunitException($"frame {index}: got {frame.Header}, expected {want.Header}");
                    index++;
                }
                else if (offset != chunk.Length)
                {
                    throw new Xunit.Sdk.XunitException("NeedMoreData without consuming the whole chunk");
                }
            } while (offset < chunk.Length);
        }
        if (decoder.HasPartialFrame)
            throw new Xunit.Sdk.XunitException("stream ended inside a frame");
        return (index, null);
    }

    [Theory]
    [InlineData(Role.Server)]
    [InlineData(Role.Client)]
    public void Whole_stream_in_one_chunk_yields_every_frame(Role role)
    {
        var (stream, frames) = VariedStream(role, 1);
        Assert.Equal((frames.Count, (ProtocolViolation?)null), Check(role, [stream], frames));
    }

    [Theory]
    [InlineData(Role.Server)]
    [InlineData(Role.Client)]
    public void Split_at_every_single_boundary_yields_the_same_frames(Role role)
    {
        var (stream, frames) = VariedStream(role, 2);
        Parallel.For(0, stream.Length + 1, cut =>
            Assert.Equal((frames.Count, (ProtocolViolation?)null), Check(role, Split(stream, cut), frames)));
    }

    [Theory]
    [InlineData(Role.Server)]
    [InlineData(Role.Client)]
    public void One_byte_at_a_time_yields_the_same_frames(Role role)
    {
        var (stream, frames) = VariedStream(role, 3);
        Assert.Equal((frames.Count, (ProtocolViolation?)null), Check(role, OneByteAtATime(stream), frames));
    }

    [Theory]
    [InlineData(Role.Server, 4)]
    [InlineData(Role.Server, 20)]
    [InlineData(Role.Server, 300)]
    [InlineData(Role.Server, 70_000)]
    [InlineData(Role.Client, 20)]
    [InlineData(Role.Client, 70_000)]
    public void Random_chunkings_yield_the_same_frames(Role role, int maxChunk)
    {
        var (stream, frames) = VariedStream(role, 4);
        var random = new Random(maxChunk);
        for (int run = 0; run < 50; run++)
            Assert.Equal((frames.Count, (ProtocolViolation?)null), Check(role, RandomChunks(stream, random, maxChunk), frames));
    }

    public static TheoryData<string, byte[], ViolationKind> Violations() => new()
    {
        { "reserved opcode", RawHeader(true, 0, 0x3, true, 10, 7), ViolationKind.ReservedOpcode },
        { "RSV1 set", RawHeader(true, 0b100, 0x2, true, 200, 16), ViolationKind.ReservedBitsSet },
        { "unmasked", RawHeader(true, 0, 0x2, false, 5, 7), ViolationKind.UnmaskedClientFrame },
        { "fragmented ping", RawHeader(false, 0, 0x9, true, 0, 7), ViolationKind.FragmentedControlFrame },
        { "long ping", RawHeader(true, 0, 0x9, true, 126, 16), ViolationKind.ControlPayloadTooLong },
        { "non-minimal 16", RawHeader(true, 0, 0x2, true, 100, 16), ViolationKind.NonMinimalLength },
        { "non-minimal 64", RawHeader(true, 0, 0x2, true, 65535, 64), ViolationKind.NonMinimalLength },
        { "64-bit MSB", RawHeader(true, 0, 0x2, true, 1UL << 63, 64), ViolationKind.LengthMostSignificantBitSet },
        { "too big", RawHeader(true, 0, 0x2, true, MaxFrame + 1, 64), ViolationKind.FrameTooBig },
    };

    [Theory]
    [MemberData(nameof(Violations))]
    public void Violation_in_the_middle_is_found_after_the_same_frames_however_the_stream_is_cut(string name, byte[] badHeader, ViolationKind kind)
    {
        _ = name;
        var (good, frames) = VariedStream(Role.Server, 5, includeLarge: false);
        // Bytes after the bad header (a payload, more frames) must make no difference.
        var stream = Concat(good, badHeader, RandomBytes(new Random(6), 200), good);

        var whole = Check(Role.Server, [stream], frames);
        Assert.Equal(frames.Count, whole.Matched);
        Assert.NotNull(whole.Violation);
        Assert.Equal(kind, whole.Violation.Kind);

        Parallel.For(0, stream.Length + 1, cut => Assert.Equal(whole, Check(Role.Server, Split(stream, cut), frames)));
        Assert.Equal(whole, Check(Role.Server, OneByteAtATime(stream), frames));
        var random = new Random(8);
        for (int run = 0; run < 50; run++)
            Assert.Equal(whole, Check(Role.Server, RandomChunks(stream, random, 1 + run * 10), frames));
    }

    [Fact]
    public void Violation_after_large_frames_is_found_at_every_single_boundary()
    {
        var (good, frames) = VariedStream(Role.Server, 9);
        var stream = Concat(good, RawHeader(true, 0, 0xB, true, 0, 7), good);
        var whole = Check(Role.Server, [stream], frames);
        Assert.Equal(frames.Count, whole.Matched);
        Assert.Equal(ViolationKind.ReservedOpcode, whole.Violation?.Kind);
        // Cuts inside the good prefix and around the bad header; cuts in the trailing copy cannot matter.
        Parallel.For(0, good.Length + 10, cut => Assert.Equal(whole, Check(Role.Server, Split(stream, cut), frames)));
    }
}
