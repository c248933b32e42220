using System.Text;
using static ActorWs.Protocol.Tests.DoorRequests;

namespace ActorWs.Protocol.Tests;

/// <summary>A refusal as the client sees it: the status, headers and the bounded body after the head
/// (RFC 6455 §4.1: a status other than 101 is handled "per HTTP procedures"; RFC 9112 §6.3).</summary>
public class HandshakeRefusalTests
{
    private static readonly Uri Server = new("ws://example.com/chat");

    /// <summary>What a client makes of a response: the violation, then the refusal read from the rest.</summary>
    private static HandshakeRefusal Refusal(ClientHandshake client, byte[] response, int maxBody = 4096)
    {
        var (head, rest) = SplitResponse(response);
        var validated = client.Validate(response.AsSpan(0, response.Length - rest.Length));
        Assert.Equal(ViolationKind.StatusNot101, validated.Violation?.Kind);
        var body = new HttpBodyReader(head, maxBody).Feed(rest);
        Assert.True(body.IsComplete, body.ToString());
        return HandshakeRefusal.Create(head, body.Value);
    }

    private static HttpHead ResponseHead(params string[] lines) => SplitResponse(Head(lines[0], lines[1..])).Head;

    [Fact]
    public void A_401_is_a_typed_refusal_with_status_headers_and_body()
    {
        var client = ClientHandshake.Create(Server);
        var response = new HandshakeRejection(401, "token expired", [new("WWW-Authenticate", "Bearer")]).ToResponse();
        var refusal = Refusal(client, response);
        Assert.Equal(401, refusal.StatusCode);
        Assert.Equal("Unauthorized", refusal.ReasonPhrase);
        Assert.Equal("Bearer", refusal.Headers["www-authenticate"]);
        Assert.Equal("token expired\n", refusal.Body.Text);
        Assert.True(refusal.Body.IsComplete);
        Assert.Equal("401 Unauthorized: token expired", refusal.ToString());
    }

    [Fact]
    public void A_503_is_told_apart_from_a_401_and_carries_its_retry_after()
    {
        var client = ClientHandshake.Create(Server);
        var busy = Refusal(client, new HandshakeRejection(503, "at the connection limit", [new("Retry-After", "30")]).ToResponse());
        var denied = Refusal(client, new HandshakeRejection(403, "origin not allowed").ToResponse());
        Assert.Equal(503, busy.StatusCode);
        Assert.Equal("30", busy.Headers["Retry-After"]);
        Assert.Equal(TimeSpan.FromSeconds(30), busy.RetryAfter);
        Assert.Equal(403, denied.StatusCode);
        Assert.False(denied.Headers.Contains("Retry-After"));
        Assert.Null(denied.RetryAfter);
    }

    [Theory]
    [InlineData("Wed, 21 Oct 2026 07:28:00 GMT")] // an HTTP-date: the clocks would have to agree
    [InlineData("-5")]
    [InlineData("1.5")]
    [InlineData("9999999999")]
    [InlineData("")]
    public void Retry_after_that_is_no_delay_in_seconds_is_not_taken(string value)
    {
        var refusal = Refusal(ClientHandshake.Create(Server), new HandshakeRejection(503, "busy", [new("Retry-After", value)]).ToResponse());
        Assert.Null(refusal.RetryAfter);
    }

    [Fact]
    public void Our_own_rejection_of_a_bad_request_reaches_the_client_as_a_refusal()
    {
        var client = ClientHandshake.Create(Server, subprotocols: ["chat"]);
        var request = Encoding.ASCII.GetString(client.Request).Replace("Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 8");
        var accept = ServerHandshake.Accept(Encoding.ASCII.GetBytes(request), new ServerHandshakePolicy());
        var refusal = Refusal(client, new HandshakeRejection(accept.Violation!).ToResponse());
        Assert.Equal(426, refusal.StatusCode);
        Assert.Equal("13", refusal.Headers["Sec-WebSocket-Version"]);   // §4.4
    }

    [Fact]
    public void Body_arriving_in_pieces_is_collected_up_to_its_content_length()
    {
        var reader = new HttpBodyReader(ResponseHead("HTTP/1.1 403 Forbidden", "Content-Length: 10"), 4096);
        Assert.Equal(10, reader.ContentLength);
        var first = reader.Feed("abcd"u8);
        Assert.Equal(ProtocolStatus.NeedMoreData, first.Status);
        Assert.Equal(4, first.Consumed);
        var second = reader.Feed("efghij-and-more"u8);
        Assert.True(second.IsComplete);
        Assert.Equal(6, second.Consumed);                  // what follows the body is not taken
        Assert.Equal("abcdefghij", second.Value.Text);
        Assert.True(second.Value.IsComplete);
        Assert.Same(second.Value, reader.Feed("x"u8).Value);  // complete stays complete
        Assert.Same(second.Value, reader.Finish());
    }

    [Fact]
    public void Body_over_the_limit_is_cut_at_the_limit_and_marked_incomplete()
    {
        // A hostile server cannot make the client buffer more than the limit.
        var reader = new HttpBodyReader(ResponseHead("HTTP/1.1 500 Internal Server Error", "Content-Length: 1000000000"), 16);
        var read = reader.Feed(new byte[64 * 1024]);
        Assert.True(read.IsComplete);
        Assert.Equal(16, read.Consumed);
        Assert.Equal(16, read.Value.Bytes.Length);
        Assert.False(read.Value.IsComplete);
    }

    [Fact]
    public void Body_without_a_length_runs_to_the_end_of_the_connection()
    {
        // RFC 9112 §6.3 item 8: "the message body length is determined by the number of octets received prior to the server closing the connection".
        var reader = new HttpBodyReader(ResponseHead("HTTP/1.1 502 Bad Gateway"), 4096);
        Assert.Null(reader.ContentLength);
        Assert.Equal(ProtocolStatus.NeedMoreData, reader.Feed("upstream "u8).Status);
        Assert.Equal(ProtocolStatus.NeedMoreData, reader.Feed("down"u8).Status);
        var body = reader.Finish();
        Assert.Equal("upstream down", body.Text);
        Assert.True(body.IsComplete);
    }

    [Fact]
    public void Body_without_a_length_stops_at_the_limit()
    {
        var reader = new HttpBodyReader(ResponseHead("HTTP/1.1 502 Bad Gateway"), 8);
        var read = reader.Feed("0123456789"u8);
        Assert.True(read.IsComplete);
        Assert.Equal(8, read.Consumed);
        Assert.Equal("01234567", read.Value.Text);
        Assert.False(read.Value.IsComplete);
    }

    [Fact]
    public void Connection_ending_before_the_content_length_leaves_the_body_incomplete()
    {
        var reader = new HttpBodyReader(ResponseHead("HTTP/1.1 401 Unauthorized", "Content-Length: 100"), 4096);
        reader.Feed("only this"u8);
        var body = reader.Finish();
        Assert.Equal("only this", body.Text);
        Assert.False(body.IsComplete);
    }

    [Theory]
    [InlineData("HTTP/1.1 204 No Content")]
    [InlineData("HTTP/1.1 304 Not Modified")]
    [InlineData("HTTP/1.1 100 Continue")]
    public void Status_without_content_has_no_body_whatever_its_content_length(string statusLine)
    {
        // RFC 9112 §6.3 item 1.
        var read = new HttpBodyReader(ResponseHead(statusLine, "Content-Length: 10"), 4096).Feed("0123456789"u8);
        Assert.True(read.IsComplete);
        Assert.Equal(0, read.Consumed);
        Assert.Same(HttpBody.Empty, read.Value);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("-1")]
    [InlineData("+5")]
    [InlineData("1, 2")]
    [InlineData("")]
    [InlineData("99999999999999999999999")]
    public void Invalid_content_length_is_malformed(string value)
    {
        // RFC 9112 §6.3 item 5: an invalid Content-Length is an unrecoverable error.
        var reader = new HttpBodyReader(ResponseHead("HTTP/1.1 400 Bad Request", $"Content-Length: {value}"), 4096);
        Assert.Equal(ViolationKind.MalformedHead, reader.Feed("abc"u8).Violation?.Kind);
        Assert.False(reader.Finish().IsComplete);
    }

    [Fact]
    public void Content_length_repeated_with_one_value_is_accepted()
    {
        // RFC 9110 §8.6: a list of identical values may be taken as that value.
        var read = new HttpBodyReader(ResponseHead("HTTP/1.1 400 Bad Request", "Content-Length: 3, 3", "Content-Length: 3"), 4096).Feed("abc"u8);
        Assert.Equal("abc", read.Value!.Text);
        Assert.Equal(ViolationKind.MalformedHead,
            new HttpBodyReader(ResponseHead("HTTP/1.1 400 Bad Request", "Content-Length: 3", "Content-Length: 4"), 4096).Feed("abc"u8).Violation?.Kind);
    }

    [Fact]
    public void A_refusal_is_made_only_of_a_refusing_head()
    {
        Assert.Throws<ArgumentException>(() => HandshakeRefusal.Create(ResponseHead("HTTP/1.1 101 Switching Protocols"), HttpBody.Empty));
        var request = HttpHead.Parse(Upgrade()).Value!;
        Assert.Throws<ArgumentException>(() => HandshakeRefusal.Create(request, HttpBody.Empty));
        Assert.Throws<ArgumentException>(() => new HttpBodyReader(request, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => new HttpBodyReader(ResponseHead("HTTP/1.1 404 Not Found"), -1));
        Assert.Equal("404 Not Found", HandshakeRefusal.Create(ResponseHead("HTTP/1.1 404 Not Found"), HttpBody.Empty).ToString());
    }

    [Theory]
    [InlineData("HTTP/1.1 2000 OK")]
    [InlineData("HTTP/1.1 abc Huh")]
    [InlineData("HTTP/1.1 40 Short")]
    [InlineData("HTTP/2 101 Switching Protocols")]
    public void Status_line_without_a_three_digit_code_is_malformed(string statusLine)
    {
        // RFC 9112 §4: status-code = 3DIGIT.
        var client = ClientHandshake.Create(Server);
        Assert.Equal(ViolationKind.MalformedHead, client.Validate(Head(statusLine, "Upgrade: websocket")).Violation?.Kind);
    }
}
