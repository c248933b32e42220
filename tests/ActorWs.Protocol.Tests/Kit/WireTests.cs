namespace ActorWs.Protocol.Tests.Kit;

/// <summary>ActorWs.Testing's Wire and UpgradeCheck, which the other suites use to speak to ActorWs,
/// against the RFC's own examples: the frames of §5.7 and the key and accept of §1.3.</summary>
public sealed class WireTests
{
    [Fact]
    public void Frames_are_built_as_in_the_rfc_examples()
    {
        // §5.7, byte for byte; the masked ones with the example's key 37 fa 21 3d.
        Assert.Equal(Bytes(0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f), Frame(Opcode.Text, Utf8("Hello")));
        Assert.Equal(Bytes(0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58), Frame(Opcode.Text, Utf8("Hello"), masked: true, key: 0x37fa213d));
        Assert.Equal(Bytes(0x01, 0x03, 0x48, 0x65, 0x6c), Frame(Opcode.Text, Utf8("Hel"), fin: false));
        Assert.Equal(Bytes(0x80, 0x02, 0x6c, 0x6f), Frame(Opcode.Continuation, Utf8("lo")));
        Assert.Equal(Bytes(0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f), Frame(Opcode.Ping, Utf8("Hello")));
        Assert.Equal(Bytes(0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58), Frame(Opcode.Pong, Utf8("Hello"), masked: true, key: 0x37fa213d));
        Assert.Equal(Bytes(0x82, 0x7E, 0x01, 0x00), Frame(Opcode.Binary, new byte[256])[..4]);
        Assert.Equal(Bytes(0x82, 0x7F, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00), Frame(Opcode.Binary, new byte[65536])[..10]);
    }

    [Theory]
    [InlineData(0, 7)]
    [InlineData(125, 7)]
    [InlineData(126, 16)]
    [InlineData(65535, 16)]
    [InlineData(65536, 64)]
    public void Length_forms_switch_where_section_5_2_says(int length, int form)
    {
        Assert.Equal(form, MinimalForm(length));
        var frame = Frame(Opcode.Binary, new byte[length]);
        Assert.Equal(length, Assert.Single(FrameReader.ReadAll(frame, Role.Server)).Payload.Length);
    }

    [Fact]
    public void Deliberately_bad_frames_are_written_as_asked()
    {
        // Non-minimal length forms, the wrong mask bit, RSV bits, a fragmented ping: all written.
        Assert.Equal(Bytes(0x82, 0x7E, 0x00, 0x05), Frame(Opcode.Binary, new byte[5], lengthForm: 16)[..4]);
        Assert.Equal(Bytes(0x82, 0x7F, 0, 0, 0, 0, 0, 0, 0, 5), Frame(Opcode.Binary, new byte[5], lengthForm: 64)[..10]);
        Assert.Equal(Bytes(0xF1, 0x00), Frame(Opcode.Text, [], rsv: 7));
        Assert.Equal(Bytes(0x09, 0x00), Frame(Opcode.Ping, [], fin: false));
        Assert.Equal(Bytes(0x8B, 0x80, 0x01, 0x02, 0x03, 0x04), Frame((Opcode)0xB, [], masked: true, key: 0x01020304));
        Assert.Equal(Bytes(0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0x10, 0x11, 0x22, 0x33, 0x44), RawHeader(true, 0, 2, true, 1UL << 63 | 0x10, 64));
    }

    [Fact]
    public void Masking_twice_gives_the_data_back_and_the_key_offset_continues_the_key()
    {
        var data = RandomBytes(1000, seed: 3);
        var masked = (byte[])data.Clone();
        Mask(masked, 0xA1B2C3D4);
        Assert.NotEqual(data, masked);
        var inPieces = (byte[])masked.Clone();
        Mask(inPieces.AsSpan(0, 7), 0xA1B2C3D4);
        Mask(inPieces.AsSpan(7), 0xA1B2C3D4, keyOffset: 7);
        Assert.Equal(data, inPieces);
    }

    [Fact]
    public void Close_payload_is_the_code_in_network_order_then_the_reason()
    {
        Assert.Equal(Bytes(0x03, 0xE8, 0x62, 0x79, 0x65), ClosePayload(1000, "bye"));
        Assert.Equal(Bytes(0x0F, 0xA1), ClosePayload(4001));
    }

    [Fact]
    public void Accept_is_computed_as_in_section_1_3()
    {
        Assert.Equal("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", Accept("dGhlIHNhbXBsZSBub25jZQ=="));
        Assert.Equal(SampleAccept, Accept(SampleKey));
    }

    [Fact]
    public void The_upgrade_request_and_the_101_pass_the_checks_and_a_wrong_accept_does_not()
    {
        var key = NewKey();
        Assert.Equal((null, key), UpgradeCheck.Request(UpgradeRequest(new Uri("ws://127.0.0.1:9000/chat?room=1"), key), "/chat?room=1"));
        Assert.Null(UpgradeCheck.Response(SwitchingProtocols(key), key));
        Assert.NotNull(UpgradeCheck.Response(SwitchingProtocols(NewKey()), key));
        Assert.NotNull(UpgradeCheck.Response(SwitchingProtocols(key).Replace("101 Switching Protocols", "200 OK"), key));
    }

    [Theory]
    [InlineData("no key", null, "13", "GET", "websocket")]
    [InlineData("version 8", SampleKey, "8", "GET", "websocket")]
    [InlineData("POST", SampleKey, "13", "POST", "websocket")]
    [InlineData("no Upgrade", SampleKey, "13", "GET", null)]
    [InlineData("a 15-byte key", "AAAAAAAAAAAAAAAAAAAA", "13", "GET", "websocket")]
    public void A_request_a_client_must_not_send_fails_the_check(string what, string? key, string version, string method, string? upgrade)
    {
        var (problem, _) = UpgradeCheck.Request(UpgradeRequest(key: key, version: version, method: method, upgrade: upgrade));
        Assert.True(problem is not null, what);
    }
}
