using System.Text;

namespace ActorWs.Protocol.Tests;

/// <summary>Close frame bodies, RFC 6455 §5.5.1, and status codes, §7.4.</summary>
public class CloseStatusTests
{
    /// <summary>The rule, written out independently of <see cref="CloseCodes.IsValidOnWire"/>.</summary>
    private static bool ExpectedValid(int code) =>
        code is 1000 or 1001 or 1002 or 1003
            or 1007 or 1008 or 1009 or 1010 or 1011 or 1012 or 1013 or 1014
        || (code >= 3000 && code <= 4999);

    [Fact]
    public void Empty_close_payload_means_no_status_received_locally()
    {
        // §7.1.5: no status code in the close frame is reported as 1005.
        var parsed = CloseStatus.Parse([]);
        Assert.True(parsed.IsComplete);
        Assert.Null(parsed.Violation);
        Assert.Equal(CloseCodes.NoStatusReceived, parsed.Value.Code);
        Assert.Equal("", parsed.Value.Reason);
    }

    [Fact]
    public void One_byte_close_payload_is_a_1002_violation()
    {
        // §5.5.1: a body, if present, starts with a 2-byte code.
        var violation = CloseStatus.Parse([0x03]).Violation;
        Assert.Equal(ViolationKind.OneByteClosePayload, violation?.Kind);
        Assert.Equal(CloseCodes.ProtocolError, violation!.CloseCode);
    }

    [Fact]
    public void Every_code_up_to_5000_is_accepted_or_refused_by_the_rule()
    {
        // §7.4.1/§7.4.2: 1004-1006 and 1015 never appear on the wire; 0-999 are unused; 1016-2999
        // are for the RFC and its extensions (none assigned beyond 1014); 3000-4999 are registered or private.
        for (int code = 0; code <= 5000; code++)
        {
            var parsed = CloseStatus.Parse(ClosePayload((ushort)code));
            Assert.True(ExpectedValid(code) == parsed.IsComplete, $"code {code}");
            Assert.Equal(ExpectedValid(code), CloseCodes.IsValidOnWire(code));
            if (parsed.IsComplete)
            {
                Assert.Equal(code, parsed.Value.Code);
                Assert.True(new CloseStatus((ushort)code, "").CanSend(out _));
            }
            else
            {
                Assert.Equal(ViolationKind.InvalidCloseCode, parsed.Violation?.Kind);
                Assert.Equal(CloseCodes.ProtocolError, parsed.Violation!.CloseCode);
                Assert.False(new CloseStatus((ushort)code, "").CanSend(out var why));
                Assert.NotNull(why);
            }
        }
    }

    [Theory]
    [InlineData(5000)]
    [InlineData(9999)]
    [InlineData(65535)]
    public void Codes_from_5000_up_are_a_1002_violation(int code)
    {
        Assert.Equal(ViolationKind.InvalidCloseCode, CloseStatus.Parse(ClosePayload((ushort)code)).Violation?.Kind);
    }

    [Fact]
    public void Reason_is_decoded_as_utf8()
    {
        Assert.Equal(new CloseStatus(1001, "au revoir 👋"), CloseStatus.Parse(ClosePayload(1001, Utf8("au revoir 👋"))).Value);
    }

    [Theory]
    [InlineData(new byte[] { 0xC0, 0x80 })]
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 })]
    [InlineData(new byte[] { 0x61, 0xE2, 0x82 })]
    [InlineData(new byte[] { 0xFF })]
    public void Invalid_utf8_reason_is_a_1007_violation(byte[] reason)
    {
        // §5.5.1: the reason is UTF-8; §8.1: invalid UTF-8 fails with 1007.
        var violation = CloseStatus.Parse(ClosePayload(1000, reason)).Violation;
        Assert.Equal(ViolationKind.InvalidUtf8CloseReason, violation?.Kind);
        Assert.Equal(CloseCodes.InvalidPayloadData, violation!.CloseCode);
    }

    [Fact]
    public void Close_payload_over_125_bytes_is_a_1002_violation()
    {
        Assert.True(CloseStatus.Parse(ClosePayload(1000, new byte[123])).IsComplete);
        var violation = CloseStatus.Parse(ClosePayload(1000, new byte[124])).Violation;
        Assert.Equal(ViolationKind.ClosePayloadTooLong, violation?.Kind);
        Assert.Equal(CloseCodes.ProtocolError, violation!.CloseCode);
    }

    [Theory]
    [InlineData(CloseCodes.NoStatusReceived)]
    [InlineData(CloseCodes.AbnormalClosure)]
    [InlineData(CloseCodes.TlsHandshakeFailure)]
    [InlineData(1004)]
    [InlineData(999)]
    [InlineData(5000)]
    public void To_payload_refuses_codes_reserved_for_local_use(int code)
    {
        // §7.4.1: 1005, 1006 and 1015 "MUST NOT be set as a status code in a Close control frame".
        Assert.Throws<ArgumentException>(() => new CloseStatus((ushort)code, "").ToPayload());
    }

    [Fact]
    public void To_payload_refuses_a_reason_over_123_bytes_counted_in_utf8()
    {
        Assert.Equal(125, new CloseStatus(1000, new string('a', 123)).ToPayload().Length);
        Assert.Throws<ArgumentException>(() => new CloseStatus(1000, new string('a', 124)).ToPayload());
        // 62 characters, but 124 bytes.
        Assert.Throws<ArgumentException>(() => new CloseStatus(1000, new string('é', 62)).ToPayload());
        Assert.Equal(124, new CloseStatus(1000, new string('é', 61)).ToPayload().Length);
    }

    [Fact]
    public void To_payload_writes_the_code_in_network_order_then_the_reason()
    {
        Assert.Equal(Bytes(0x03, 0xE8, 0x62, 0x79, 0x65), CloseStatus.Normal("bye").ToPayload());
        Assert.Equal(Bytes(0x0F, 0xA0), new CloseStatus(4000, "").ToPayload());
    }

    [Fact]
    public void Random_sendable_statuses_round_trip_through_the_wire_form()
    {
        var random = new Random(41);
        int[] codes = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999];
        for (int run = 0; run < 200; run++)
        {
            int code = run % 3 == 0 ? random.Next(3000, 5000) : codes[random.Next(codes.Length)];
            var reason = new string(Enumerable.Range(0, random.Next(0, 40)).Select(_ => (char)random.Next(0x20, 0x800)).ToArray());
            var status = new CloseStatus((ushort)code, reason);
            if (!status.CanSend(out _))
                continue; // a long reason of 2-byte characters may pass 123 bytes
            var parsed = CloseStatus.Parse(status.ToPayload());
            Assert.True(parsed.IsComplete, parsed.Violation?.Reason);
            Assert.Equal(status, parsed.Value);
        }
    }

    [Fact]
    public void Reason_with_a_lone_surrogate_cannot_be_sent()
    {
        // A lone surrogate has no UTF-8 form; sending U+FFFD in its place would change the reason.
        var status = new CloseStatus(CloseCodes.NormalClosure, "bye \uD800");
        Assert.False(status.CanSend(out var why));
        Assert.Contains("surrogate", why);
        Assert.Throws<ArgumentException>(() => status.ToPayload());
    }

    [Theory]
    [InlineData(123, "", 123)]
    [InlineData(124, "", 123)]
    [InlineData(121, "é", 123)]
    [InlineData(122, "é", 122)]  // the 2-byte é would make 124: left out whole, never cut in half
    [InlineData(121, "😀", 121)] // the 4-byte emoji would make 125: left out whole
    public void A_reason_the_endpoint_writes_itself_is_cut_at_a_code_point_to_fit_123_bytes(int asciiBytes, string tail, int expectedBytes)
    {
        var reason = new string('a', asciiBytes) + tail;
        var fitted = new CloseStatus(CloseCodes.ProtocolError, reason).WithReasonThatFits();
        Assert.Equal(CloseCodes.ProtocolError, fitted.Code);
        Assert.True(fitted.CanSend(out var why), why);
        Assert.StartsWith(fitted.Reason, reason);
        Assert.Equal(expectedBytes, Encoding.UTF8.GetByteCount(fitted.Reason));
    }
}
