namespace ActorWs.Protocol.Tests;

public class FrameDecoderTests
{
    [Fact]
    public void Rfc_sample_masked_hello_is_unmasked()
    {
        // §5.7: a single-frame masked text message containing "Hello".
        var stream = Bytes(0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58);
        var result = DecodeAll(Role.Server, stream);
        Assert.Null(result.Violation);
        var frame = Assert.Single(result.Frames);
        Assert.Equal(Opcode.Text, frame.Header.Opcode);
        Assert.True(frame.Header.Fin);
        Assert.Equal("Hello"u8.ToArray(), frame.Payload);
    }

    [Fact]
    public void Rfc_sample_unmasked_fragments_and_ping_are_decoded()
    {
        // §5.7: "Hel" + "lo" in two unmasked fragments, then an unmasked Ping "Hello".
        var stream = Bytes(0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f, 0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f);
        var result = DecodeAll(Role.Client, stream);
        Assert.Null(result.Violation);
        Assert.Collection(result.Frames,
            f => Assert.Equal((Opcode.Text, false, "Hel"), (f.Header.Opcode, f.Header.Fin, System.Text.Encoding.ASCII.GetString(f.Payload))),
            f => Assert.Equal((Opcode.Continuation, true, "lo"), (f.Header.Opcode, f.Header.Fin, System.Text.Encoding.ASCII.GetString(f.Payload))),
            f => Assert.Equal((Opcode.Ping, true, "Hello"), (f.Header.Opcode, f.Header.Fin, System.Text.Encoding.ASCII.GetString(f.Payload))));
    }

    [Fact]
    public void Frame_is_returned_as_soon_as_it_is_complete_and_the_rest_is_left_unconsumed()
    {
        var first = Frame(Opcode.Binary, Bytes(1, 2, 3), masked: true);
        var second = Frame(Opcode.Binary, Bytes(4, 5), masked: true);
        var stream = Concat(first, second);
        using var decoder = new FrameDecoder(Role.Server, 1000);

        var decoded = decoder.Decode(stream);
        Assert.Equal(ProtocolStatus.Complete, decoded.Status);
        Assert.Equal(first.Length, decoded.Consumed);
        Assert.Equal(Bytes(1, 2, 3), decoded.Value.Payload.ToArray());

        decoded = decoder.Decode(stream.AsSpan(first.Length));
        Assert.Equal(ProtocolStatus.Complete, decoded.Status);
        Assert.Equal(second.Length, decoded.Consumed);
        Assert.Equal(Bytes(4, 5), decoded.Value.Payload.ToArray());

        decoded = decoder.Decode([]);
        Assert.Equal(ProtocolStatus.NeedMoreData, decoded.Status);
        Assert.Equal(0, decoded.Consumed);
        Assert.False(decoder.HasPartialFrame);
    }

    [Fact]
    public void Decoder_stays_failed_after_a_violation()
    {
        using var decoder = new FrameDecoder(Role.Server, 1000);
        var first = decoder.Decode(Frame(Opcode.Text, Bytes(1))).Violation;
        Assert.Equal(ViolationKind.UnmaskedClientFrame, first?.Kind);
        var again = decoder.Decode(Frame(Opcode.Text, Bytes(1), masked: true));
        Assert.Equal(ProtocolStatus.Violation, again.Status);
        Assert.Equal(0, again.Consumed);
        Assert.Same(first, again.Violation);
        Assert.Equal(CloseCodes.ProtocolError, again.Violation!.CloseCode);
    }

    [Theory]
    [InlineData(Role.Server)]
    [InlineData(Role.Client)]
    public void Mask_bit_wrong_for_the_role_is_a_1002_violation_from_the_decoder(Role role)
    {
        // §5.1: clients mask, servers do not; the receiver checks.
        var wrong = Frame(Opcode.Binary, Bytes(1, 2, 3), masked: role == Role.Client);
        var violation = DecodeViolation(role, wrong);
        Assert.Equal(role == Role.Server ? ViolationKind.UnmaskedClientFrame : ViolationKind.MaskedServerFrame, violation.Kind);
        Assert.Equal(CloseCodes.ProtocolError, violation.CloseCode);
        var right = Frame(Opcode.Binary, Bytes(1, 2, 3), masked: role == Role.Server);
        Assert.Null(DecodeAll(role, right).Violation);
    }

    [Theory]
    [InlineData(long.MaxValue)]
    [InlineData(1L << 30)]
    [InlineData((1L << 20) + 1)]
    public void Frame_over_the_limit_is_a_1009_violation_from_its_header_alone(long announced)
    {
        // §10.4: limits are enforced before buffering. Only the header is fed: no payload byte arrives.
        var header = RawHeader(true, 0, 2, true, (ulong)announced, 64);
        using var decoder = new FrameDecoder(Role.Server, 1 << 20);
        var violation = decoder.Decode(header).Violation;
        Assert.Equal(ViolationKind.FrameTooBig, violation?.Kind);
        Assert.Equal(CloseCodes.MessageTooBig, violation!.CloseCode);
    }

    [Fact]
    public void Frame_over_the_limit_is_a_1009_violation_when_its_header_arrives_byte_by_byte()
    {
        var header = RawHeader(true, 0, 2, true, 1UL << 30, 64);
        using var decoder = new FrameDecoder(Role.Server, 1 << 20);
        for (int i = 0; i < header.Length - 1; i++)
            Assert.Equal(ProtocolStatus.NeedMoreData, decoder.Decode(header.AsSpan(i, 1)).Status);
        Assert.Equal(ViolationKind.FrameTooBig, decoder.Decode(header.AsSpan(header.Length - 1)).Violation?.Kind);
    }

    [Fact]
    public void Frame_limit_above_the_array_limit_still_refuses_what_cannot_be_buffered()
    {
        // A limit of long.MaxValue must not let a 2^62-byte frame through to an int cast.
        var header = RawHeader(true, 0, 2, true, 1UL << 62, 64);
        Assert.Equal(ViolationKind.FrameTooBig, DecodeViolation(Role.Server, header, long.MaxValue).Kind);
    }

    [Fact]
    public void Admission_hook_refuses_a_frame_before_its_payload_arrives()
    {
        var refusal = new ProtocolViolation(ViolationKind.MessageTooBig, "refused by the hook");
        var admission = new RecordingAdmission(h => h.PayloadLength > 10 ? refusal : null);
        using var decoder = new FrameDecoder(Role.Server, 1 << 20, admission);

        var small = Frame(Opcode.Binary, new byte[10], masked: true);
        var result = DecodeAll(decoder, [small]);
        Assert.Single(result.Frames);
        Assert.Single(admission.Seen);

        var bigHeaderOnly = RawHeader(true, 0, 2, true, 11, 7);
        Assert.Same(refusal, decoder.Decode(bigHeaderOnly).Violation);
    }

    [Fact]
    public void Payload_split_across_chunks_is_unmasked_with_the_right_key_offset()
    {
        var random = new Random(7);
        var payload = RandomBytes(random, 1000);
        var stream = Frame(Opcode.Binary, payload, masked: true, key: 0x01020304);
        foreach (int cut in new[] { 3, 9, 10, 11, 12, 13, 500, 1001, stream.Length - 1 })
        {
            var result = DecodeAll(new FrameDecoder(Role.Server, 1 << 20), Split(stream, cut));
            Assert.Equal(payload, Assert.Single(result.Frames).Payload);
        }
        var threeCuts = DecodeAll(new FrameDecoder(Role.Server, 1 << 20), Split(stream, 50, 51, 57));
        Assert.Equal(payload, Assert.Single(threeCuts.Frames).Payload);
    }

    [Fact]
    public void Has_partial_frame_while_a_frame_is_half_read()
    {
        var stream = Frame(Opcode.Binary, new byte[300], masked: true);
        using var decoder = new FrameDecoder(Role.Server, 1000);
        Assert.False(decoder.HasPartialFrame);
        decoder.Decode(stream.AsSpan(0, 1));
        Assert.True(decoder.HasPartialFrame);
        decoder.Decode(stream.AsSpan(1, 20));
        Assert.True(decoder.HasPartialFrame);
        Assert.Equal(ProtocolStatus.Complete, decoder.Decode(stream.AsSpan(21)).Status);
        Assert.False(decoder.HasPartialFrame);
    }

    [Fact]
    public void Release_buffers_keeps_a_half_read_payload()
    {
        var payload = Enumerable.Range(0, 3000).Select(i => (byte)i).ToArray();
        var stream = Frame(Opcode.Binary, payload, masked: true);
        using var decoder = new FrameDecoder(Role.Server, 1 << 20);
        decoder.Decode(stream.AsSpan(0, 1000));
        decoder.ReleaseBuffers(); // must not drop the 992 payload bytes gathered so far
        var decoded = decoder.Decode(stream.AsSpan(1000));
        Assert.Equal(ProtocolStatus.Complete, decoded.Status);
        Assert.Equal(payload, decoded.Value.Payload.ToArray());
        decoder.ReleaseBuffers();

        // ... and after a release between frames the next masked frame still decodes.
        var next = Frame(Opcode.Binary, Bytes(9, 8, 7), masked: true);
        decoded = decoder.Decode(next);
        Assert.Equal(ProtocolStatus.Complete, decoded.Status);
        Assert.Equal(Bytes(9, 8, 7), decoded.Value.Payload.ToArray());
    }

    [Fact]
    public void Unmasked_frame_in_one_chunk_is_handed_out_without_a_copy()
    {
        var stream = Frame(Opcode.Binary, Bytes(1, 2, 3, 4));
        using var decoder = new FrameDecoder(Role.Client, 1000);
        Assert.True(decoder.Decode(stream).Value.Payload.Overlaps(stream));
    }

    [Fact]
    public void Violation_in_a_header_split_across_chunks_is_found_when_it_completes()
    {
        var bad = RawHeader(true, 0, 0x3, true, 300, 16);
        using var decoder = new FrameDecoder(Role.Server, 1000);
        Assert.Equal(ProtocolStatus.NeedMoreData, decoder.Decode(bad.AsSpan(0, 1)).Status);
        Assert.Equal(ProtocolStatus.NeedMoreData, decoder.Decode(bad.AsSpan(1, 3)).Status);
        Assert.Equal(ViolationKind.ReservedOpcode, decoder.Decode(bad.AsSpan(4)).Violation?.Kind);
    }

    [Fact]
    public void Parts_of_a_payload_that_spans_chunks_are_shown_to_the_admission_unmasked_as_they_arrive()
    {
        var payload = RandomBytes(300, seed: 11);
        var stream = Frame(Opcode.Binary, payload, masked: true);
        int headerLength = stream.Length - payload.Length;
        for (int cut = 0; cut <= stream.Length; cut++)
        {
            var admission = new RecordingAdmission(_ => null);
            using var decoder = new FrameDecoder(Role.Server, 1 << 20, admission);
            var result = DecodeAll(decoder, Split(stream, cut));
            Assert.Equal(payload, Assert.Single(result.Frames).Payload);
            // A payload whole in one chunk goes out as it is; one cut by the chunks is shown in parts.
            bool payloadCut = cut >= headerLength && cut < stream.Length;
            Assert.Equal(payloadCut ? payload : [], admission.Parts.SelectMany(p => p).ToArray());
        }
    }

    [Fact]
    public void Admission_refusing_a_part_fails_the_frame_before_the_rest_arrives()
    {
        var refusal = new ProtocolViolation(ViolationKind.InvalidUtf8Text, "refused by the hook");
        var admission = new RecordingAdmission(_ => null, part => part.Contains((byte)0xFF) ? refusal : null);
        using var decoder = new FrameDecoder(Role.Client, 1 << 20, admission);
        var stream = Frame(Opcode.Binary, Bytes(1, 2, 0xFF, 4, 5));
        Assert.Equal(ProtocolStatus.NeedMoreData, decoder.Decode(stream.AsSpan(0, 4)).Status);
        Assert.Same(refusal, decoder.Decode(stream.AsSpan(4, 1)).Violation);
        Assert.Same(refusal, decoder.Decode(stream.AsSpan(5)).Violation);
    }

    private sealed class RecordingAdmission(Func<FrameHeader, ProtocolViolation?> decide, Func<byte[], ProtocolViolation?>? decidePart = null) : IFrameAdmission
    {
        public List<FrameHeader> Seen { get; } = [];
        public List<byte[]> Parts { get; } = [];

        public ProtocolViolation? Admit(in FrameHeader header)
        {
            Seen.Add(header);
            return decide(header);
        }

        public ProtocolViolation? AdmitPayload(in FrameHeader header, ReadOnlySpan<byte> part)
        {
            Parts.Add(part.ToArray());
            return decidePart?.Invoke(part.ToArray());
        }
    }
}
