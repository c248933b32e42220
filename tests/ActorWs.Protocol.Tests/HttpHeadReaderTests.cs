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
        Assert.Equal(HeadStatus.Complete, reader.Feed(chunk, out int consumed));
        Assert.Equal(Head.Length, consumed);
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
            var first = reader.Feed(stream.AsSpan(0, cut), out int consumed1);
            if (cut < Head.Length)
            {
                Assert.Equal(HeadStatus.NeedMoreData, first);
                Assert.Equal(cut, consumed1);
                Assert.Equal(HeadStatus.Complete, reader.Feed(stream.AsSpan(cut), out int consumed2));
                Assert.Equal(Head.Length - cut, consumed2);
            }
            else
            {
                Assert.Equal(HeadStatus.Complete, first);
                Assert.Equal(Head.Length, consumed1);
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
            Assert.Equal(HeadStatus.NeedMoreData, reader.Feed(Head.AsSpan(i, 1), out int consumed));
            Assert.Equal(1, consumed);
        }
        Assert.Equal(HeadStatus.Complete, reader.Feed(Head.AsSpan(Head.Length - 1), out int last));
        Assert.Equal(1, last);
        Assert.Equal(Head, reader.Head.ToArray());
    }

    [Fact]
    public void Lone_crlf_pairs_and_bare_lf_do_not_end_the_head()
    {
        using var reader = new HttpHeadReader(8192, HttpHeadKind.Request);
        Assert.Equal(HeadStatus.NeedMoreData, reader.Feed("GET / HTTP/1.1\r\nA: b\r\n\n\r\r\n"u8, out _));
        Assert.Equal(HeadStatus.Complete, reader.Feed("\r\n"u8, out _));
    }

    [Fact]
    public void Head_over_the_limit_is_too_large_without_buffering_past_the_limit()
    {
        const int limit = 100;
        using var reader = new HttpHeadReader(limit, HttpHeadKind.Request);
        var huge = Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nX-Filler: " + new string('a', 10_000) + "\r\n\r\n");
        Assert.Equal(HeadStatus.TooLarge, reader.Feed(huge, out int consumed));
        Assert.True(consumed <= limit, $"consumed {consumed}");
        Assert.True(reader.Length <= limit, $"buffered {reader.Length}");
    }

    [Fact]
    public void Head_over_the_limit_in_small_chunks_is_too_large_at_the_limit()
    {
        const int limit = 100;
        using var reader = new HttpHeadReader(limit, HttpHeadKind.Request);
        var huge = Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nX-Filler: " + new string('a', 1000) + "\r\n\r\n");
        int fed = 0;
        HeadStatus status;
        do
        {
            status = reader.Feed(huge.AsSpan(fed, 7), out int consumed);
            fed += consumed;
        } while (status == HeadStatus.NeedMoreData);
        Assert.Equal(HeadStatus.TooLarge, status);
        Assert.True(reader.Length <= limit);
        Assert.True(fed <= limit);
    }

    [Fact]
    public void Head_of_exactly_the_limit_is_complete_and_one_byte_more_is_too_large()
    {
        using (var reader = new HttpHeadReader(Head.Length, HttpHeadKind.Request))
            Assert.Equal(HeadStatus.Complete, reader.Feed(Wire.Concat(Head, FirstFrame), out _));

        var longer = Encoding.ASCII.GetBytes("GET /chatX HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
        using (var reader = new HttpHeadReader(Head.Length, HttpHeadKind.Request))
            Assert.Equal(HeadStatus.TooLarge, reader.Feed(longer, out _));
        using (var reader = new HttpHeadReader(Head.Length, HttpHeadKind.Request))
        {
            // Delivered exactly up to the limit, the head is known too large at once: it cannot end later.
            Assert.Equal(HeadStatus.TooLarge, reader.Feed(longer.AsSpan(0, Head.Length), out int consumed));
            Assert.Equal(Head.Length, consumed);
        }
    }

    [Fact]
    public void Parsed_head_has_the_start_line_and_case_insensitive_repeated_fields()
    {
        var bytes = "GET /x HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nx-a:  2 \r\n\r\n"u8;
        Assert.True(HttpHead.TryParse(bytes, out var head, out var error), error);
        Assert.Equal("GET /x HTTP/1.1", head!.StartLine);
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
        Assert.False(HttpHead.TryParse(Encoding.Latin1.GetBytes(text), out _, out var error));
        Assert.False(string.IsNullOrWhiteSpace(error));
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
        Assert.True(reader.Feed(bytes, out int consumed) == HeadStatus.Malformed, what);
        Assert.Equal(0, consumed);
    }

    [Fact]
    public void A_TLS_ClientHello_is_malformed_from_its_first_byte_even_alone()
    {
        using var reader = new HttpHeadReader(8192, HttpHeadKind.Request);
        Assert.Equal(HeadStatus.Malformed, reader.Feed([0x16], out _));
    }

    [Fact]
    public void Empty_lines_before_a_request_line_are_ignored_and_a_valid_head_cut_anywhere_is_never_malformed()
    {
        var stream = Wire.Concat("\r\n"u8.ToArray(), Head);
        for (int cut = 0; cut <= stream.Length; cut++)
        {
            using var reader = new HttpHeadReader(8192, HttpHeadKind.Request);
            var first = reader.Feed(stream.AsSpan(0, cut), out int consumed);
            Assert.NotEqual(HeadStatus.Malformed, first);
            if (first == HeadStatus.NeedMoreData)
                Assert.Equal(HeadStatus.Complete, reader.Feed(stream.AsSpan(cut), out _));
        }
    }

    [Theory]
    [InlineData("HTTP/1.1 101 Switching Protocols\r\n\r\n", HeadStatus.Complete)]
    [InlineData("HTTP/", HeadStatus.NeedMoreData)]
    [InlineData("HTP/1.1 101 x\r\n\r\n", HeadStatus.Malformed)]
    [InlineData("GET / HTTP/1.1\r\n\r\n", HeadStatus.Malformed)]
    [InlineData("\r\nHTTP/1.1 101 x\r\n\r\n", HeadStatus.Malformed)]
    public void A_response_must_begin_with_the_HTTP_version(string text, HeadStatus expected)
    {
        using var reader = new HttpHeadReader(8192, HttpHeadKind.Response);
        Assert.Equal(expected, reader.Feed(Encoding.ASCII.GetBytes(text), out _));
    }
}
