using System.Text;

namespace ActorWs.Protocol.Tests;

/// <summary>The opening handshake's HTTP head ends at the first empty line (RFC 6455 §4.1, §4.2.1;
/// RFC 9112 §2.1); what follows is already WebSocket frames.</summary>
public class HttpHeadReaderTests
{
    private static readonly byte[] Head = Encoding.ASCII.GetBytes(
        "GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");

    private static readonly byte[] FirstFrame = [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58];

    [Fact]
    public void Head_in_one_chunk_is_complete_and_the_frame_after_it_is_left_unconsumed()
    {
        using var reader = new HttpHeadReader(8192, HttpHeadKind.Request);
        var chunk = Wire.Concat(Head, FirstFrame);
        var read = reader.Feed(chunk);
        Assert.Equal(ProtocolStatus.Complete, read.Status);
        Assert.Equal(Head.Length, read.Consumed);
        Assert.Equal(Head, read.Value.ToArray());
        Assert.Equal(Head, reader.Head.ToArray());
        Assert.Equal(Head.Length, reader.Length);
    }

    [Fact]
    public void Head_split_into_two_chunks_at_every_position_is_found_with_exact_consumed_counts()
    {
        // Covers the terminator CRLFCRLF straddling two chunks at each of its positions.
        var stream = Wire.Concat(Head, FirstFrame);
        for (int cut = 0; cut <= Head.Length; cut++)
        {
            using var reader = new HttpHeadReader(8192, HttpHeadKind.Request);
            var first = reader.Feed(stream.AsSpan(0, cut));
            if (cut < Head.Length)
            {
                Assert.Equal(ProtocolStatus.NeedMoreData, first.Status);
                Assert.Equal(cut, first.Consumed);
                var second = reader.Feed(stream.AsSpan(cut));
                Assert.Equal(ProtocolStatus.Complete, second.Status);
                Assert.Equal(Head.Length - cut, second.Consumed);
            }
            else
            {
                Assert.Equal(ProtocolStatus.Complete, first.Status);
                Assert.Equal(Head.Length, first.Consumed);
            }
            Assert.Equal(Head, reader.Head.ToArray());
        }
    }

    [Fact]
    public void Head_fed_one_byte_at_a_time_completes_on_its_last_byte()
    {
        using var reader = new HttpHeadReader(8192, HttpHeadKind.Request);
        for (int i = 0; i < Head.Length - 1; i++)
        {
            var read = reader.Feed(Head.AsSpan(i, 1));
            Assert.Equal(ProtocolStatus.NeedMoreData, read.Status);
            Assert.Equal(1, read.Consumed);
        }
        var last = reader.Feed(Head.AsSpan(Head.Length - 1));
        Assert.Equal(ProtocolStatus.Complete, last.Status);
        Assert.Equal(1, last.Consumed);
        Assert.Equal(Head, reader.Head.ToArray());
    }

    [Fact]
    public void Lone_crlf_pairs_and_bare_lf_do_not_end_the_head()
    {
        using var reader = new HttpHeadReader(8192, HttpHeadKind.Request);
        Assert.Equal(ProtocolStatus.NeedMoreData, reader.Feed("GET / HTTP/1.1\r\nA: b\r\n\n\r\r\n"u8).Status);
        Assert.Equal(ProtocolStatus.Complete, reader.Feed("\r\n"u8).Status);
    }

    [Fact]
    public void Head_over_the_limit_is_too_large_without_buffering_past_the_limit()
    {
        const int limit = 100;
        using var reader = new HttpHeadReader(limit, HttpHeadKind.Request);
        var huge = Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nX-Filler: " + new string('a', 10_000) + "\r\n\r\n");
        var read = reader.Feed(huge);
        Assert.Equal(ViolationKind.HeadTooLarge, read.Violation?.Kind);
        Assert.Equal(431, read.Violation!.HttpStatus);
        Assert.True(read.Consumed <= limit, $"consumed {read.Consumed}");
        Assert.True(reader.Length <= limit, $"buffered {reader.Length}");
    }

    [Fact]
    public void Head_over_the_limit_in_small_chunks_is_too_large_at_the_limit()
    {
        const int limit = 100;
        using var reader = new HttpHeadReader(limit, HttpHeadKind.Request);
        var huge = Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nX-Filler: " + new string('a', 1000) + "\r\n\r\n");
        int fed = 0;
        ProtocolStatus status;
        ViolationKind? kind;
        do
        {
            var read = reader.Feed(huge.AsSpan(fed, 7));
            fed += read.Consumed;
            (status, kind) = (read.Status, read.Violation?.Kind);
        } while (status == ProtocolStatus.NeedMoreData);
        Assert.Equal(ViolationKind.HeadTooLarge, kind);
        Assert.True(reader.Length <= limit);
        Assert.True(fed <= limit);
    }

    [Fact]
    public void Head_of_exactly_the_limit_is_complete_and_one_byte_more_is_too_large()
    {
        using (var reader = new HttpHeadReader(Head.Length, HttpHeadKind.Request))
            Assert.Equal(ProtocolStatus.Complete, reader.Feed(Wire.Concat(Head, FirstFrame)).Status);

        var longer = Encoding.ASCII.GetBytes("GET /chatX HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
        using (var reader = new HttpHeadReader(Head.Length, HttpHeadKind.Request))
            Assert.Equal(ViolationKind.HeadTooLarge, reader.Feed(longer).Violation?.Kind);
        using (var reader = new HttpHeadReader(Head.Length, HttpHeadKind.Request))
        {
            // Delivered exactly up to the limit, the head is known too large at once: it cannot end later.
            var read = reader.Feed(longer.AsSpan(0, Head.Length));
            Assert.Equal(ViolationKind.HeadTooLarge, read.Violation?.Kind);
            Assert.Equal(Head.Length, read.Consumed);
        }
    }

    [Fact]
    public void Parsed_head_has_the_start_line_and_case_insensitive_repeated_fields()
    {
        var bytes = "GET /x HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nx-a:  2 \r\n\r\n"u8;
        var parsed = HttpHead.Parse(bytes);
        Assert.True(parsed.IsComplete, parsed.Violation?.Reason);
        var head = parsed.Value;
        Assert.Equal("GET /x HTTP/1.1", head.StartLine);
        Assert.Equal(["1", "2"], head.Values("X-A"));
        Assert.Null(head["x-a"]);
        Assert.Equal("h", head["HOST"]);
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nBad Name: x\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nNoColon\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\n folded: x\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nA: b\u0001\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nA: b\r\n")]
    [InlineData("GET / HTTP/1.1\r\nA: b\rX-Smuggled: c\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\rX: y\r\nA: b\r\n\r\n")]
    public void Malformed_heads_are_refused(string text)
    {
        var violation = HttpHead.Parse(Encoding.Latin1.GetBytes(text)).Violation;
        Assert.Equal(ViolationKind.MalformedHead, violation?.Kind);
        Assert.False(string.IsNullOrWhiteSpace(violation!.Reason));
    }

    public static TheoryData<string, byte[]> NotARequest => new()
    {
        { "TLS ClientHello", [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC, 0x03, 0x03] },
        { "NUL bytes", [0x00, 0x00, 0x00, 0x00] },
        { "method with a slash", "GE/T / HTTP/1.1\r\n"u8.ToArray() },
        { "request line starting with a space", " GET / HTTP/1.1\r\n"u8.ToArray() },
        { "control character in a header", "GET / HTTP/1.1\r\nHost: a\u0007b\r\n"u8.ToArray() },
        { "DEL in the target", "GET /\u007f HTTP/1.1\r\n"u8.ToArray() },
    };

    [Theory]
    [MemberData(nameof(NotARequest))]
    public void Bytes_that_cannot_start_a_request_are_malformed_as_soon_as_they_arrive(string what, byte[] bytes)
    {
        using var reader = new HttpHeadReader(8192, HttpHeadKind.Request);
        var read = reader.Feed(bytes);
        Assert.True(read.Violation?.Kind == ViolationKind.NotHttp, what);
        Assert.Equal(400, read.Violation!.HttpStatus);
        Assert.Equal(0, read.Consumed);
    }

    [Fact]
    public void A_TLS_ClientHello_is_malformed_from_its_first_byte_even_alone()
    {
        using var reader = new HttpHeadReader(8192, HttpHeadKind.Request);
        Assert.Equal(ViolationKind.NotHttp, reader.Feed([0x16]).Violation?.Kind);
    }

    [Fact]
    public void Empty_lines_before_a_request_line_are_ignored_and_a_valid_head_cut_anywhere_is_never_malformed()
    {
        var stream = Wire.Concat("\r\n"u8.ToArray(), Head);
        for (int cut = 0; cut <= stream.Length; cut++)
        {
            using var reader = new HttpHeadReader(8192, HttpHeadKind.Request);
            var first = reader.Feed(stream.AsSpan(0, cut));
            Assert.Null(first.Violation);
            if (first.Status == ProtocolStatus.NeedMoreData)
                Assert.Equal(ProtocolStatus.Complete, reader.Feed(stream.AsSpan(cut)).Status);
        }
    }

    [Theory]
    [InlineData("HTTP/1.1 101 Switching Protocols\r\n\r\n", ProtocolStatus.Complete)]
    [InlineData("HTTP/", ProtocolStatus.NeedMoreData)]
    [InlineData("HTP/1.1 101 x\r\n\r\n", ProtocolStatus.Violation)]
    [InlineData("GET / HTTP/1.1\r\n\r\n", ProtocolStatus.Violation)]
    [InlineData("\r\nHTTP/1.1 101 x\r\n\r\n", ProtocolStatus.Violation)]
    public void A_response_must_begin_with_the_HTTP_version(string text, ProtocolStatus expected)
    {
        using var reader = new HttpHeadReader(8192, HttpHeadKind.Response);
        var read = reader.Feed(Encoding.ASCII.GetBytes(text));
        Assert.Equal(expected, read.Status);
        if (expected == ProtocolStatus.Violation)
            Assert.Equal(ViolationKind.NotHttp, read.Violation?.Kind);
    }
}
