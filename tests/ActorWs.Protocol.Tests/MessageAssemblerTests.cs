namespace ActorWs.Protocol.Tests;

/// <summary>Fragmentation, RFC 6455 §5.4, and text validity, §8.1.</summary>
public class MessageAssemblerTests
{
    private static FrameHeader H(Opcode opcode, int length, bool fin) => new(fin, 0, opcode, true, length, 0x1234);

    private sealed record Outcome(ProtocolStatus Status, MessageType? Type, byte[]? Payload, ProtocolViolation? Violation);

    private static Outcome Add(MessageAssembler assembler, Opcode opcode, byte[] payload, bool fin)
    {
        var result = assembler.Add(H(opcode, payload.Length, fin), payload);
        return result.IsComplete
            ? new Outcome(result.Status, result.Value.Type, result.Value.Payload.ToArray(), result.Violation)
            : new Outcome(result.Status, null, null, result.Violation);
    }

    [Fact]
    public void Unfragmented_text_message_is_passed_through_without_a_copy()
    {
        using var assembler = new MessageAssembler(1000, 10);
        var payload = Utf8("héllo");
        var result = assembler.Add(H(Opcode.Text, payload.Length, true), payload);
        Assert.Equal(ProtocolStatus.Complete, result.Status);
        Assert.Null(result.Violation);
        Assert.Equal(MessageType.Text, result.Value.Type);
        Assert.True(result.Value.Payload.Overlaps(payload));
        Assert.Equal(payload, result.Value.Payload.ToArray());
        Assert.False(assembler.InMessage);
    }

    [Fact]
    public void Fragments_are_joined_into_one_message()
    {
        using var assembler = new MessageAssembler(1000, 10);
        Assert.Equal(ProtocolStatus.NeedMoreData, Add(assembler, Opcode.Binary, Bytes(1, 2), fin: false).Status);
        Assert.True(assembler.InMessage);
        Assert.Equal(ProtocolStatus.NeedMoreData, Add(assembler, Opcode.Continuation, [], fin: false).Status);
        Assert.Equal(ProtocolStatus.NeedMoreData, Add(assembler, Opcode.Continuation, Bytes(3), fin: false).Status);
        var last = Add(assembler, Opcode.Continuation, Bytes(4, 5), fin: true);
        Assert.Equal(new Outcome(ProtocolStatus.Complete, MessageType.Binary, null, null), last with { Payload = null });
        Assert.Equal(Bytes(1, 2, 3, 4, 5), last.Payload);
        Assert.False(assembler.InMessage);

        // The next message starts afresh.
        var next = Add(assembler, Opcode.Text, Utf8("x"), fin: false);
        Assert.Equal(ProtocolStatus.NeedMoreData, next.Status);
        Assert.Equal(Utf8("xy"), Add(assembler, Opcode.Continuation, Utf8("y"), fin: true).Payload);
    }

    [Fact]
    public void Fragmented_message_of_empty_fragments_is_an_empty_message()
    {
        using var assembler = new MessageAssembler(1000, 10);
        Add(assembler, Opcode.Text, [], fin: false);
        var last = Add(assembler, Opcode.Continuation, [], fin: true);
        Assert.Equal(ProtocolStatus.Complete, last.Status);
        Assert.Empty(last.Payload!);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Continuation_with_nothing_to_continue_is_a_1002_violation(bool fin)
    {
        // §5.4: continuation frames only follow a data frame with FIN=0.
        using var assembler = new MessageAssembler(1000, 10);
        var outcome = Add(assembler, Opcode.Continuation, Bytes(1), fin);
        Assert.Equal(ProtocolStatus.Violation, outcome.Status);
        Assert.Equal(ViolationKind.UnexpectedContinuation, outcome.Violation!.Kind);
        Assert.Equal(CloseCodes.ProtocolError, outcome.Violation.CloseCode);

        // Also once a message has ended.
        using var after = new MessageAssembler(1000, 10);
        Add(after, Opcode.Text, Utf8("a"), fin: false);
        Add(after, Opcode.Continuation, Utf8("b"), fin: true);
        Assert.Equal(ViolationKind.UnexpectedContinuation, Add(after, Opcode.Continuation, Bytes(1), fin).Violation?.Kind);
    }

    [Theory]
    [InlineData(Opcode.Text, Opcode.Text)]
    [InlineData(Opcode.Text, Opcode.Binary)]
    [InlineData(Opcode.Binary, Opcode.Text)]
    [InlineData(Opcode.Binary, Opcode.Binary)]
    public void New_data_frame_inside_a_fragmented_message_is_a_1002_violation(Opcode first, Opcode intruder)
    {
        // §5.4: "the fragments of one message MUST NOT be interleaved between the fragments of another"
        using var assembler = new MessageAssembler(1000, 10);
        Add(assembler, first, Utf8("a"), fin: false);
        var outcome = Add(assembler, intruder, Utf8("b"), fin: true);
        Assert.Equal(ProtocolStatus.Violation, outcome.Status);
        Assert.Equal(ViolationKind.DataFrameInsideMessage, outcome.Violation!.Kind);
        Assert.Equal(CloseCodes.ProtocolError, outcome.Violation.CloseCode);
    }

    [Fact]
    public void Control_frames_are_not_part_of_a_message()
    {
        using var assembler = new MessageAssembler(1000, 10);
        Assert.Null(assembler.Admit(H(Opcode.Ping, 5, true)));
        Assert.Throws<ArgumentException>(() => assembler.Add(H(Opcode.Ping, 0, true), []).Status);
    }

    [Fact]
    public void Control_frames_between_fragments_come_out_of_the_decoder_and_the_message_survives()
    {
        // §5.4: "Control frames MAY be injected in the middle of a fragmented message."
        var stream = Concat(
            Frame(Opcode.Text, Utf8("frag"), fin: false, masked: true),
            Frame(Opcode.Ping, Utf8("p1"), masked: true),
            Frame(Opcode.Continuation, Utf8("men"), fin: false, masked: true),
            Frame(Opcode.Pong, [], masked: true),
            Frame(Opcode.Ping, Utf8("p2"), masked: true),
            Frame(Opcode.Continuation, Utf8("ted"), fin: true, masked: true),
            Frame(Opcode.Close, ClosePayload(1000), masked: true));

        using var assembler = new MessageAssembler(1000, 10);
        using var decoder = new FrameDecoder(Role.Server, 1000, assembler);
        var controls = new List<string>();
        var messages = new List<string>();
        var input = stream.AsSpan();
        while (!input.IsEmpty)
        {
            var decoded = decoder.Decode(input);
            Assert.Equal(ProtocolStatus.Complete, decoded.Status);
            input = input[decoded.Consumed..];
            var frame = decoded.Value;
            if (frame.Opcode.IsControl())
            {
                controls.Add($"{frame.Opcode.Name()}:{Convert.ToHexString(frame.Payload)}");
                continue;
            }
            var assembled = assembler.Add(frame.Header, frame.Payload);
            Assert.Null(assembled.Violation);
            if (assembled.IsComplete)
                messages.Add(System.Text.Encoding.UTF8.GetString(assembled.Value.Payload));
        }
        Assert.Equal(["PING:7031", "PONG:", "PING:7032", "CLOSE:03E8"], controls);
        Assert.Equal(["fragmented"], messages);
    }

    [Fact]
    public void Message_over_the_size_limit_across_fragments_is_a_1009_violation()
    {
        using var assembler = new MessageAssembler(10, 100);
        Assert.Equal(ProtocolStatus.NeedMoreData, Add(assembler, Opcode.Binary, new byte[6], fin: false).Status);
        var outcome = Add(assembler, Opcode.Continuation, new byte[5], fin: true);
        Assert.Equal(ProtocolStatus.Violation, outcome.Status);
        Assert.Equal(ViolationKind.MessageTooBig, outcome.Violation!.Kind);
        Assert.Equal(CloseCodes.MessageTooBig, outcome.Violation.CloseCode);
    }

    [Fact]
    public void Message_of_exactly_the_size_limit_is_accepted()
    {
        using var assembler = new MessageAssembler(10, 100);
        Add(assembler, Opcode.Binary, new byte[6], fin: false);
        Assert.Equal(ProtocolStatus.Complete, Add(assembler, Opcode.Continuation, new byte[4], fin: true).Status);
        Assert.Equal(ProtocolStatus.Complete, Add(assembler, Opcode.Binary, new byte[10], fin: true).Status);
        Assert.Equal(ViolationKind.MessageTooBig, Add(assembler, Opcode.Binary, new byte[11], fin: true).Violation?.Kind);
    }

    [Fact]
    public void Message_size_limit_is_decided_at_the_header_when_the_assembler_admits_frames()
    {
        // §10.4: the decoder asks the assembler before taking any payload, so a continuation that
        // would take the message over the limit is refused from its header alone.
        using var assembler = new MessageAssembler(100, 100);
        using var decoder = new FrameDecoder(Role.Server, 1 << 20, assembler);
        var first = Frame(Opcode.Binary, new byte[60], fin: false, masked: true);
        var decoded = decoder.Decode(first);
        Assert.Equal(ProtocolStatus.Complete, decoded.Status);
        Assert.Equal(ProtocolStatus.NeedMoreData, assembler.Add(decoded.Value.Header, decoded.Value.Payload).Status);

        var headerOnly = RawHeader(true, 0, (int)Opcode.Continuation, true, 41, 7);
        Assert.Equal(ViolationKind.MessageTooBig, decoder.Decode(headerOnly).Violation?.Kind);
    }

    [Fact]
    public void Sequencing_is_decided_at_the_header_when_the_assembler_admits_frames()
    {
        using var assembler = new MessageAssembler(100, 100);
        using var decoder = new FrameDecoder(Role.Server, 1 << 20, assembler);
        var headerOnly = RawHeader(true, 0, (int)Opcode.Continuation, true, 50, 7);
        Assert.Equal(ViolationKind.UnexpectedContinuation, decoder.Decode(headerOnly).Violation?.Kind);
    }

    [Fact]
    public void Message_in_more_fragments_than_allowed_is_a_1009_violation()
    {
        using var assembler = new MessageAssembler(1000, 3);
        Add(assembler, Opcode.Text, Utf8("a"), fin: false);
        Add(assembler, Opcode.Continuation, Utf8("b"), fin: false);
        Assert.Equal("abc"u8.ToArray(), Add(assembler, Opcode.Continuation, Utf8("c"), fin: true).Payload);

        Add(assembler, Opcode.Text, Utf8("a"), fin: false);
        Add(assembler, Opcode.Continuation, Utf8("b"), fin: false);
        Add(assembler, Opcode.Continuation, Utf8("c"), fin: false);
        var outcome = Add(assembler, Opcode.Continuation, Utf8("d"), fin: true);
        Assert.Equal(ProtocolStatus.Violation, outcome.Status);
        Assert.Equal(ViolationKind.TooManyFragments, outcome.Violation!.Kind);
        Assert.Equal(CloseCodes.MessageTooBig, outcome.Violation.CloseCode);
    }

    [Fact]
    public void Four_byte_code_point_split_across_two_fragments_at_every_position_is_a_valid_message()
    {
        var text = Utf8("x😀y");
        for (int cut = 0; cut <= text.Length; cut++)
        {
            using var assembler = new MessageAssembler(1000, 10);
            var first = Add(assembler, Opcode.Text, text[..cut], fin: false);
            Assert.Equal(ProtocolStatus.NeedMoreData, first.Status);
            var last = Add(assembler, Opcode.Continuation, text[cut..], fin: true);
            Assert.Equal(ProtocolStatus.Complete, last.Status);
            Assert.Equal(text, last.Payload);
        }
    }

    [Fact]
    public void Invalid_utf8_in_an_unfragmented_text_message_is_a_1007_violation()
    {
        using var assembler = new MessageAssembler(1000, 10);
        var outcome = Add(assembler, Opcode.Text, Bytes(0x61, 0xC0, 0x80), fin: true);
        Assert.Equal(ProtocolStatus.Violation, outcome.Status);
        Assert.Equal(ViolationKind.InvalidUtf8Text, outcome.Violation!.Kind);
        Assert.Equal(CloseCodes.InvalidPayloadData, outcome.Violation.CloseCode);
    }

    [Fact]
    public void Invalid_utf8_fragment_is_a_1007_violation_on_that_fragment_even_with_fin_0()
    {
        // Fail fast (§8.1): the first fragment is already not UTF-8, no need to wait for FIN.
        using var assembler = new MessageAssembler(1000, 10);
        var outcome = Add(assembler, Opcode.Text, Bytes(0x61, 0xED, 0xA0, 0x80), fin: false);
        Assert.Equal(ProtocolStatus.Violation, outcome.Status);
        Assert.Equal(ViolationKind.InvalidUtf8Text, outcome.Violation!.Kind);

        using var later = new MessageAssembler(1000, 10);
        Add(later, Opcode.Text, Utf8("fine"), fin: false);
        var bad = Add(later, Opcode.Continuation, Bytes(0xF4, 0x90), fin: false);
        Assert.Equal(ViolationKind.InvalidUtf8Text, bad.Violation?.Kind);
    }

    [Fact]
    public void Add_validates_only_the_bytes_of_a_frame_that_AdmitPayload_has_not_seen()
    {
        // The decoder shows the parts of a frame that spans chunks as they arrive (§8.1), then hands
        // over the whole frame: "€" cut after its lead byte must not be validated twice.
        var euro = Utf8("a€");
        using var assembler = new MessageAssembler(1000, 10);
        var header = H(Opcode.Text, euro.Length, fin: true);
        Assert.Null(assembler.AdmitPayload(header, euro.AsSpan(0, 2)));
        var whole = assembler.Add(header, euro);
        Assert.Equal(ProtocolStatus.Complete, whole.Status);
        Assert.Equal(euro, whole.Value.Payload.ToArray());

        // The same across fragments: the parts of the continuation carry on from the first fragment.
        Assert.Equal(ProtocolStatus.NeedMoreData, Add(assembler, Opcode.Text, euro[..2], fin: false).Status);
        var continuation = H(Opcode.Continuation, 2, fin: true);
        Assert.Null(assembler.AdmitPayload(continuation, euro.AsSpan(2, 1)));
        Assert.Null(assembler.AdmitPayload(continuation, euro.AsSpan(3, 1)));
        var last = assembler.Add(continuation, euro.AsSpan(2));
        Assert.Equal(ProtocolStatus.Complete, last.Status);
        Assert.Equal(euro, last.Value.Payload.ToArray());
    }

    [Fact]
    public void Part_of_a_frame_that_makes_its_text_invalid_is_a_1007_violation_before_the_frame_is_complete()
    {
        using var assembler = new MessageAssembler(1000, 10);
        var header = H(Opcode.Text, 10, fin: true);
        Assert.Null(assembler.AdmitPayload(header, Bytes(0x61, 0xF4)));
        Assert.Equal(ViolationKind.InvalidUtf8Text, assembler.AdmitPayload(header, Bytes(0x90))?.Kind);
    }

    [Fact]
    public void Parts_of_binary_frames_are_not_text()
    {
        using var assembler = new MessageAssembler(1000, 10);
        Assert.Null(assembler.AdmitPayload(H(Opcode.Binary, 10, fin: false), Bytes(0xFF, 0xC0)));
        Add(assembler, Opcode.Binary, Bytes(0xFF), fin: false);
        Assert.Null(assembler.AdmitPayload(H(Opcode.Continuation, 10, fin: true), Bytes(0xFF, 0xC0)));
    }

    [Fact]
    public void Text_ending_mid_code_point_is_a_1007_violation_on_the_final_fragment()
    {
        using var assembler = new MessageAssembler(1000, 10);
        Assert.Equal(ProtocolStatus.NeedMoreData, Add(assembler, Opcode.Text, Bytes(0x61, 0xE2, 0x82), fin: false).Status);
        var outcome = Add(assembler, Opcode.Continuation, [], fin: true);
        Assert.Equal(ViolationKind.InvalidUtf8Text, outcome.Violation?.Kind);
    }

    [Fact]
    public void Binary_messages_are_not_checked_for_utf8()
    {
        using var assembler = new MessageAssembler(1000, 10);
        Assert.Equal(ProtocolStatus.Complete, Add(assembler, Opcode.Binary, Bytes(0xC0, 0x80), fin: true).Status);
        Add(assembler, Opcode.Binary, Bytes(0xFF), fin: false);
        Assert.Equal(Bytes(0xFF, 0xED, 0xA0), Add(assembler, Opcode.Continuation, Bytes(0xED, 0xA0), fin: true).Payload);
    }

    [Fact]
    public void Large_fragmented_message_is_joined_intact_across_buffer_growth()
    {
        var random = new Random(31);
        var payload = RandomBytes(random, 100_000);
        using var assembler = new MessageAssembler(100_000, 1000);
        int position = 0;
        Outcome? last = null;
        while (position < payload.Length)
        {
            int size = Math.Min(payload.Length - position, random.Next(1, 5000));
            bool fin = position + size == payload.Length;
            last = Add(assembler, position == 0 ? Opcode.Binary : Opcode.Continuation, payload[position..(position + size)], fin);
            position += size;
        }
        Assert.Equal(payload, last!.Payload);
        assembler.ReleaseBuffers();
    }
}
