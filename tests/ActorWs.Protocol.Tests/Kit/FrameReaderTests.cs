namespace ActorWs.Protocol.Tests.Kit;

/// <summary>
/// ActorWs.Testing's FrameReader, which the other suites trust to judge what ActorWs sends, against
/// RFC 6455's own examples (§5.7) written out byte by byte, in every chunking, and against each rule
/// it claims to check.
/// </summary>
public sealed class FrameReaderTests
{
    // §5.7, byte for byte.
    private static readonly byte[] UnmaskedHello = Bytes(0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f);
    private static readonly byte[] MaskedHello = Bytes(0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58);
    private static readonly byte[] FragmentedHello = Bytes(0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f);
    private static readonly byte[] UnmaskedPing = Bytes(0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f);
    private static readonly byte[] MaskedPong = Bytes(0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58);

    private static byte[] Binary256() => Concat(Bytes(0x82, 0x7E, 0x01, 0x00), Enumerable.Range(0, 256).Select(i => (byte)i).ToArray());

    private static byte[] Binary64K() => Concat(Bytes(0x82, 0x7F, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00), new byte[65536]);

    [Fact]
    public void Rfc_examples_from_a_server_are_read()
    {
        var frames = FrameReader.ReadAll(Concat(UnmaskedHello, FragmentedHello, UnmaskedPing, Binary256(), Binary64K()), Role.Server);

        Assert.Equal(6, frames.Count);
        Assert.Equal((true, Opcode.Text, false, "Hello"), (frames[0].Fin, frames[0].Opcode, frames[0].Masked, frames[0].Text));
        Assert.Equal((false, Opcode.Text, "Hel"), (frames[1].Fin, frames[1].Opcode, frames[1].Text));
        Assert.Equal((true, Opcode.Continuation, "lo"), (frames[2].Fin, frames[2].Opcode, frames[2].Text));
        Assert.Equal((Opcode.Ping, "Hello"), (frames[3].Opcode, frames[3].Text));
        Assert.Equal(Enumerable.Range(0, 256).Select(i => (byte)i), frames[4].Payload);
        Assert.Equal((Opcode.Binary, 65536), (frames[5].Opcode, frames[5].Payload.Length));
    }

    [Fact]
    public void Rfc_masked_examples_from_a_client_are_unmasked_with_their_key()
    {
        var frames = FrameReader.ReadAll(Concat(MaskedHello, MaskedPong), Role.Client);

        Assert.Equal((Opcode.Text, true, 0x37FA213Du, "Hello"), (frames[0].Opcode, frames[0].Masked, frames[0].MaskKey, frames[0].Text));
        Assert.Equal((Opcode.Pong, true, 0x37FA213Du, "Hello"), (frames[1].Opcode, frames[1].Masked, frames[1].MaskKey, frames[1].Text));
    }

    [Fact]
    public void Any_chunking_gives_the_same_frames()
    {
        var stream = Concat(UnmaskedHello, FragmentedHello, UnmaskedPing, Binary256());
        var whole = FrameReader.ReadAll(stream, Role.Server).Select(Describe).ToList();

        for (int cut = 0; cut <= stream.Length; cut++)
            Assert.Equal(whole, ReadChunks(Split(stream, cut), Role.Server));
        Assert.Equal(whole, ReadChunks(OneByteAtATime(stream), Role.Server));
        var random = new Random(5);
        for (int round = 0; round < 20; round++)
            Assert.Equal(whole, ReadChunks(RandomChunks(stream, random, 40), Role.Server));
    }

    [Fact]
    public void A_frame_is_returned_only_when_it_is_whole()
    {
        var reader = new FrameReader(Role.Client);
        reader.Append(MaskedHello.AsSpan(0, 10));
        Assert.Null(reader.Next());
        Assert.True(reader.HasPartialFrame);
        reader.Append(MaskedHello.AsSpan(10));
        Assert.Equal("Hello", reader.Next()!.Text);
        Assert.False(reader.HasPartialFrame);
        Assert.Null(reader.Next());
    }

    public static TheoryData<string, byte[], Role, string> Violations => new()
    {
        { "unmasked frame from a client", UnmaskedHello, Role.Client, "§5.1" },
        { "masked frame from a server", MaskedHello, Role.Server, "§5.1" },
        { "RSV1 with no extension", Bytes(0xC1, 0x00), Role.Server, "§5.2" },
        { "RSV3 with no extension", Bytes(0x92, 0x00), Role.Server, "§5.2" },
        { "reserved data opcode 0x3", Bytes(0x83, 0x00), Role.Server, "§5.2" },
        { "reserved control opcode 0xB", Bytes(0x8B, 0x00), Role.Server, "§5.2" },
        { "16-bit form for 125 bytes", RawHeader(true, 0, 2, false, 125, 16), Role.Server, "§5.2" },
        { "64-bit form for 65535 bytes", RawHeader(true, 0, 2, false, 65535, 64), Role.Server, "§5.2" },
        { "64-bit length with its most significant bit set", RawHeader(true, 0, 2, false, 1UL << 63 | 200_000, 64), Role.Server, "§5.2" },
        { "fragmented ping", Bytes(0x09, 0x00), Role.Server, "§5.5" },
        { "126-byte ping", RawHeader(true, 0, 9, false, 126, 16), Role.Server, "§5.5" },
        { "continuation with nothing to continue", Bytes(0x80, 0x00), Role.Server, "§5.4" },
        { "new message inside a fragmented one", Concat(Bytes(0x01, 0x01, 0x61), Bytes(0x81, 0x01, 0x62)), Role.Server, "§5.4" },
        { "invalid UTF-8 text", Bytes(0x81, 0x02, 0xC0, 0xAF), Role.Server, "§5.6" },
        { "UTF-16 surrogate in UTF-8 text", Bytes(0x81, 0x03, 0xED, 0xA0, 0x80), Role.Server, "§5.6" },
        { "text ending inside a code point", Concat(Bytes(0x01, 0x02, 0xE2, 0x82), Bytes(0x80, 0x00)), Role.Server, "§5.6" },
        { "1-byte close body", Bytes(0x88, 0x01, 0x03), Role.Server, "§5.5.1" },
        { "close code 1005 on the wire", Frame(Opcode.Close, ClosePayload(1005)), Role.Server, "§7.4" },
        { "close code 1006 on the wire", Frame(Opcode.Close, ClosePayload(1006)), Role.Server, "§7.4" },
        { "close code 999", Frame(Opcode.Close, ClosePayload(999)), Role.Server, "§7.4" },
        { "close code 5000", Frame(Opcode.Close, ClosePayload(5000)), Role.Server, "§7.4" },
        { "close reason not UTF-8", Frame(Opcode.Close, ClosePayload(1000, Bytes(0xFF))), Role.Server, "§5.5.1" },
        { "data frame after the close", Concat(Frame(Opcode.Close, ClosePayload(1000)), Frame(Opcode.Text, Utf8("late"))), Role.Server, "§5.5.1" },
    };

    [Theory]
    [MemberData(nameof(Violations))]
    public void Each_rule_broken_is_named_with_its_section(string what, byte[] stream, Role sender, string section)
    {
        var e = Assert.Throws<RfcViolationException>(() => FrameReader.ReadAll(stream, sender));
        Assert.True(e.Section == section, $"{what}: {e.Message}");
    }

    [Fact]
    public void A_bad_first_byte_fails_before_the_rest_of_the_header_arrives()
    {
        var reader = new FrameReader(Role.Server);
        reader.Append(Bytes(0x83));
        Assert.Throws<RfcViolationException>(reader.Next);
    }

    [Fact]
    public void After_a_violation_the_reader_stays_failed()
    {
        var reader = new FrameReader(Role.Server);
        reader.Append(Bytes(0x83, 0x00));
        var first = Assert.Throws<RfcViolationException>(reader.Next);
        reader.Append(UnmaskedHello);
        Assert.Same(first, Assert.Throws<RfcViolationException>(reader.Next));
    }

    [Fact]
    public void What_the_rules_allow_is_read()
    {
        var euro = Utf8("€"); // E2 82 AC, cut between fragments
        var stream = Concat(
            Frame(Opcode.Text, euro.AsSpan(0, 1), fin: false),
            Frame(Opcode.Ping, new byte[125]),                    // a control frame inside a fragmented message, 125 bytes
            Frame(Opcode.Continuation, euro.AsSpan(1), fin: true),
            Frame(Opcode.Text, []),
            Frame(Opcode.Binary, new byte[126]),
            Frame(Opcode.Close, ClosePayload(1012, "restart")),  // registered with IANA since the RFC
            Frame(Opcode.Ping, []));                             // a control frame after the close: only data frames may not follow
        var frames = FrameReader.ReadAll(stream, Role.Server);
        Assert.Equal(7, frames.Count);
        Assert.Equal(((ushort?)1012, "restart"), (frames[5].CloseCode, frames[5].CloseReason));
    }

    [Fact]
    public void Close_without_a_body_has_no_code()
    {
        var close = Assert.Single(FrameReader.ReadAll(Bytes(0x88, 0x00), Role.Server));
        Assert.Null(close.CloseCode);
        Assert.Equal("", close.CloseReason);
    }

    [Fact]
    public void Bytes_that_end_inside_a_frame_are_not_a_whole_write()
    {
        Assert.Throws<InvalidOperationException>(() => FrameReader.ReadAll(UnmaskedHello.AsSpan(0, 4), Role.Server));
    }

    private static List<string> ReadChunks(IEnumerable<ReadOnlyMemory<byte>> chunks, Role sender)
    {
        var reader = new FrameReader(sender);
        var frames = new List<string>();
        foreach (var chunk in chunks)
            frames.AddRange(reader.Read(chunk.Span).Select(Describe));
        Assert.False(reader.HasPartialFrame);
        return frames;
    }

    private static string Describe(WireFrame f) => $"{f} {Convert.ToHexString(f.Payload)}";
}
