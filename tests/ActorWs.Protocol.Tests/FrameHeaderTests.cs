namespace ActorWs.Protocol.Tests;

public class FrameHeaderTests
{
    private const long Unlimited = long.MaxValue;

    private static ProtocolViolation ReadViolation(byte[] header, Role role = Role.Server, long maxPayload = Unlimited, byte allowedRsv = 0)
    {
        var read = FrameHeader.Read(header, role, maxPayload, allowedRsv);
        Assert.Equal(ProtocolStatus.Violation, read.Status);
        Assert.NotNull(read.Violation);
        return read.Violation;
    }

    private static FrameHeader ReadOk(byte[] header, Role role = Role.Server, long maxPayload = Unlimited, byte allowedRsv = 0)
    {
        var read = FrameHeader.Read(header, role, maxPayload, allowedRsv);
        Assert.Null(read.Violation);
        Assert.True(read.IsComplete);
        Assert.Equal(header.Length, read.Consumed);
        return read.Value;
    }

    [Theory]
    [InlineData(0L, 2)]
    [InlineData(125L, 2)]
    [InlineData(126L, 4)]
    [InlineData(65535L, 4)]
    [InlineData(65536L, 10)]
    [InlineData(long.MaxValue, 10)]
    public void Length_is_written_in_the_fewest_bytes(long length, int expectedUnmasked)
    {
        // §5.2: "the minimal number of bytes MUST be used to encode the length"
        var unmasked = new FrameHeader(true, 0, Opcode.Binary, false, length);
        var masked = unmasked with { Masked = true, MaskKey = 0xDEADBEEF };
        Assert.Equal(expectedUnmasked, unmasked.EncodedLength);
        Assert.Equal(expectedUnmasked + 4, masked.EncodedLength);

        var buffer = new byte[FrameHeader.MaxEncodedLength];
        Assert.Equal(expectedUnmasked + 4, masked.WriteTo(buffer));
        Assert.Equal(masked, ReadOk(buffer[..(expectedUnmasked + 4)]));
        Assert.Equal(expectedUnmasked, unmasked.WriteTo(buffer));
        Assert.Equal(unmasked, ReadOk(buffer[..expectedUnmasked], Role.Client));
    }

    [Fact]
    public void Header_bits_are_where_the_rfc_puts_them()
    {
        // §5.2: FIN is bit 0, RSV1-3 bits 1-3, opcode bits 4-7; MASK is the high bit of byte 1.
        var buffer = new byte[14];
        int written = new FrameHeader(false, 0b101, Opcode.Text, true, 5, Masking.ReadKey([1, 2, 3, 4])).WriteTo(buffer);
        Assert.Equal(new byte[] { 0x51, 0x85, 1, 2, 3, 4 }, buffer[..written]);

        written = new FrameHeader(true, 0, Opcode.Pong, false, 300).WriteTo(buffer);
        Assert.Equal(new byte[] { 0x8A, 126, 0x01, 0x2C }, buffer[..written]);

        written = new FrameHeader(true, 0, Opcode.Binary, false, 0x1_0000_0000L).WriteTo(buffer);
        Assert.Equal(new byte[] { 0x82, 127, 0, 0, 0, 1, 0, 0, 0, 0 }, buffer[..written]);
    }

    [Fact]
    public void Every_strict_prefix_of_a_header_needs_more_data_and_is_no_violation()
    {
        foreach (var header in new[]
        {
            RawHeader(true, 0, 2, true, 5, 7),
            RawHeader(true, 0, 2, true, 300, 16),
            RawHeader(true, 0, 2, true, 70000, 64),
        })
        {
            for (int n = 0; n < header.Length; n++)
            {
                var read = FrameHeader.Read(header.AsSpan(0, n), Role.Server, Unlimited);
                Assert.Equal(ProtocolStatus.NeedMoreData, read.Status);
                Assert.Null(read.Violation);
                Assert.Equal(0, read.Consumed);
            }
            ReadOk(header);
            Assert.Equal(header.Length, FrameHeader.RequiredLength(header[0], header[1]));
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    public void Rsv_bits_without_an_extension_are_a_1002_violation(int rsv)
    {
        // §5.2: "MUST be 0 unless an extension is negotiated that defines meanings for non-zero values"
        var violation = ReadViolation(RawHeader(true, rsv, 1, true, 0, 7));
        Assert.Equal(CloseCodes.ProtocolError, violation.CloseCode);
        Assert.Equal(ViolationKind.ReservedBitsSet, violation.Kind);
    }

    [Fact]
    public void Rsv_bits_that_an_extension_defines_are_accepted_and_others_still_refused()
    {
        // permessage-deflate (RFC 7692) defines RSV1 only.
        Assert.Equal(0b100, ReadOk(RawHeader(true, 0b100, 1, true, 0, 7), allowedRsv: 0b100).Rsv);
        Assert.Equal(ViolationKind.ReservedBitsSet, ReadViolation(RawHeader(true, 0b110, 1, true, 0, 7), allowedRsv: 0b100).Kind);
        Assert.Equal(ViolationKind.ReservedBitsSet, ReadViolation(RawHeader(true, 0b001, 1, true, 0, 7), allowedRsv: 0b100).Kind);
    }

    [Theory]
    [InlineData(0x3)]
    [InlineData(0x4)]
    [InlineData(0x5)]
    [InlineData(0x6)]
    [InlineData(0x7)]
    [InlineData(0xB)]
    [InlineData(0xC)]
    [InlineData(0xD)]
    [InlineData(0xE)]
    [InlineData(0xF)]
    public void Reserved_opcode_is_a_1002_violation(int opcode)
    {
        // §5.2: 0x3-0x7 are reserved for further non-control frames, 0xB-0xF for control frames.
        var violation = ReadViolation(RawHeader(true, 0, opcode, true, 0, 7));
        Assert.Equal(CloseCodes.ProtocolError, violation.CloseCode);
        Assert.Equal(ViolationKind.ReservedOpcode, violation.Kind);
        Assert.False(((Opcode)opcode).IsDefined());
    }

    [Theory]
    [InlineData(0x0)]
    [InlineData(0x1)]
    [InlineData(0x2)]
    [InlineData(0x8)]
    [InlineData(0x9)]
    [InlineData(0xA)]
    public void Defined_opcodes_are_accepted(int opcode)
    {
        Assert.Equal((Opcode)opcode, ReadOk(RawHeader(true, 0, opcode, true, 3, 7)).Opcode);
        Assert.True(((Opcode)opcode).IsDefined());
    }

    [Theory]
    [InlineData(Opcode.Close)]
    [InlineData(Opcode.Ping)]
    [InlineData(Opcode.Pong)]
    public void Fragmented_control_frame_is_a_1002_violation(Opcode opcode)
    {
        // §5.5: "All control frames ... MUST NOT be fragmented."
        var violation = ReadViolation(RawHeader(false, 0, (int)opcode, true, 2, 7));
        Assert.Equal(CloseCodes.ProtocolError, violation.CloseCode);
        Assert.Equal(ViolationKind.FragmentedControlFrame, violation.Kind);
    }

    [Theory]
    [InlineData(Opcode.Close, 126)]
    [InlineData(Opcode.Ping, 126)]
    [InlineData(Opcode.Pong, 126)]
    [InlineData(Opcode.Ping, 65535)]
    public void Control_payload_over_125_is_a_1002_violation(Opcode opcode, int length)
    {
        // §5.5: "All control frames MUST have a payload length of 125 bytes or less"
        var violation = ReadViolation(RawHeader(true, 0, (int)opcode, true, (ulong)length, 16));
        Assert.Equal(CloseCodes.ProtocolError, violation.CloseCode);
        Assert.Equal(ViolationKind.ControlPayloadTooLong, violation.Kind);
    }

    [Fact]
    public void Control_payload_of_exactly_125_is_accepted()
    {
        Assert.Equal(125, ReadOk(RawHeader(true, 0, (int)Opcode.Ping, true, 125, 7)).PayloadLength);
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(1UL)]
    [InlineData(125UL)]
    public void Non_minimal_16_bit_length_is_a_1002_violation(ulong length)
    {
        // §5.2: 126 introduces a 16-bit length only for lengths the 7-bit form cannot hold.
        var violation = ReadViolation(RawHeader(true, 0, 2, true, length, 16));
        Assert.Equal(CloseCodes.ProtocolError, violation.CloseCode);
        Assert.Equal(ViolationKind.NonMinimalLength, violation.Kind);
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(125UL)]
    [InlineData(126UL)]
    [InlineData(65535UL)]
    public void Non_minimal_64_bit_length_is_a_1002_violation(ulong length)
    {
        var violation = ReadViolation(RawHeader(true, 0, 2, true, length, 64));
        Assert.Equal(CloseCodes.ProtocolError, violation.CloseCode);
        Assert.Equal(ViolationKind.NonMinimalLength, violation.Kind);
    }

    [Fact]
    public void Smallest_lengths_of_each_extended_form_are_accepted()
    {
        Assert.Equal(126, ReadOk(RawHeader(true, 0, 2, true, 126, 16)).PayloadLength);
        Assert.Equal(65536, ReadOk(RawHeader(true, 0, 2, true, 65536, 64)).PayloadLength);
        Assert.Equal(long.MaxValue, ReadOk(RawHeader(true, 0, 2, true, long.MaxValue, 64)).PayloadLength);
    }

    [Theory]
    [InlineData(0x8000_0000_0000_0000UL)]
    [InlineData(0x8000_0000_0001_0000UL)]
    [InlineData(ulong.MaxValue)]
    public void Sixty_four_bit_length_with_its_most_significant_bit_set_is_a_1002_violation(ulong length)
    {
        // §5.2: "the most significant bit MUST be 0"
        var violation = ReadViolation(RawHeader(true, 0, 2, true, length, 64));
        Assert.Equal(CloseCodes.ProtocolError, violation.CloseCode);
        Assert.Equal(ViolationKind.LengthMostSignificantBitSet, violation.Kind);
    }

    [Fact]
    public void Unmasked_client_frame_is_a_1002_violation()
    {
        // §5.1: "a server MUST close the connection upon receiving a frame that is not masked"
        var violation = ReadViolation(RawHeader(true, 0, 1, false, 3, 7), Role.Server);
        Assert.Equal(CloseCodes.ProtocolError, violation.CloseCode);
        Assert.Equal(ViolationKind.UnmaskedClientFrame, violation.Kind);
    }

    [Fact]
    public void Masked_server_frame_is_a_1002_violation()
    {
        // §5.1: "A client MUST close a connection if it detects a masked frame."
        var violation = ReadViolation(RawHeader(true, 0, 1, true, 3, 7), Role.Client);
        Assert.Equal(CloseCodes.ProtocolError, violation.CloseCode);
        Assert.Equal(ViolationKind.MaskedServerFrame, violation.Kind);
    }

    [Theory]
    [InlineData(1001L, 7)]
    [InlineData(1001L, 16)]
    [InlineData(65536L, 64)]
    public void Frame_over_the_limit_is_a_1009_violation(long length, int form)
    {
        var header = RawHeader(true, 0, 2, true, (ulong)length, Math.Max(form, MinimalForm(length)));
        var violation = ReadViolation(header, maxPayload: Math.Min(length - 1, 1000));
        Assert.Equal(ViolationKind.FrameTooBig, violation.Kind);
        Assert.Equal(CloseCodes.MessageTooBig, violation.CloseCode);
    }

    [Fact]
    public void Frame_at_exactly_the_limit_is_accepted()
    {
        Assert.Equal(1000, ReadOk(RawHeader(true, 0, 2, true, 1000, 16), maxPayload: 1000).PayloadLength);
    }

    [Fact]
    public void Mask_key_is_read_in_wire_order()
    {
        var header = ReadOk(Bytes(0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D));
        var key = new byte[4];
        Masking.WriteKey(header.MaskKey, key);
        Assert.Equal(Bytes(0x37, 0xFA, 0x21, 0x3D), key);
    }

    [Fact]
    public void Opcode_helpers_tell_control_from_data_and_name_them()
    {
        Assert.True(Opcode.Close.IsControl());
        Assert.True(Opcode.Ping.IsControl());
        Assert.True(Opcode.Pong.IsControl());
        Assert.False(Opcode.Text.IsControl());
        Assert.False(Opcode.Binary.IsControl());
        Assert.False(Opcode.Continuation.IsControl());
        Assert.Equal("TEXT", Opcode.Text.Name());
        Assert.Equal("0xB", ((Opcode)0xB).Name());
    }
}
