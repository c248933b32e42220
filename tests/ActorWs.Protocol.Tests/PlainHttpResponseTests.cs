using System.Text;
using static ActorWs.Protocol.Tests.DoorRequests;

namespace ActorWs.Protocol.Tests;

/// <summary>Answers in plain HTTP at the door: a response to a request that is no upgrade, and a
/// refusal of an upgrade with the application's status, headers and body (RFC 9110 §8.6, §9.3.2,
/// §15; RFC 9112 §6.3, §9.6; RFC 6455 §4.2.2 item 4).</summary>
public class PlainHttpResponseTests
{
    private static (HttpHead Head, string Body) Read(byte[] response)
    {
        var (head, rest) = SplitResponse(response);
        return (head, Encoding.UTF8.GetString(rest));
    }

    [Fact]
    public void Plain_get_is_answered_with_status_headers_and_body()
    {
        var request = View(Head("GET /healthz HTTP/1.1", "Host: a"));
        Assert.False(request.IsWebSocketUpgrade);
        var (head, body) = Read(HttpResponse.Create(request, 200, [new("Content-Type", "text/plain"), new("Cache-Control", "no-store")], "ok\n"u8));
        Assert.Equal("HTTP/1.1 200 OK", head.StartLine);
        Assert.Equal("close", head["Connection"]);            // the door answers one request (RFC 9112 §9.6)
        Assert.Equal("3", head["Content-Length"]);
        Assert.Equal("text/plain", head["Content-Type"]);
        Assert.Equal("no-store", head["Cache-Control"]);
        Assert.Equal("ok\n", body);
    }

    [Fact]
    public void Head_request_gets_the_same_head_and_no_body()
    {
        // RFC 9110 §9.3.2: no content; §8.6: the Content-Length may be what a GET would get.
        var get = HttpResponse.Create(View(Head("GET /page HTTP/1.1", "Host: a")), 200, [new("Content-Type", "text/html")], "<p>hi</p>"u8);
        var head = HttpResponse.Create(View(Head("HEAD /page HTTP/1.1", "Host: a")), 200, [new("Content-Type", "text/html")], "<p>hi</p>"u8);
        var getText = Encoding.ASCII.GetString(get);
        Assert.Equal(getText[..(getText.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)], Encoding.ASCII.GetString(head));
        Assert.Equal("9", HttpHead.Parse(head).Value!["Content-Length"]);
    }

    [Theory]
    [InlineData(204)]
    [InlineData(304)]
    public void Status_without_content_has_no_content_length_and_refuses_a_body(int status)
    {
        // RFC 9110 §8.6: no Content-Length in a 204; §15.3.5, §15.4.5: no content.
        var response = HttpResponse.Create(status);
        var head = HttpHead.Parse(response).Value!;
        Assert.Null(head["Content-Length"]);
        Assert.Equal(response.Length, response.AsSpan().IndexOf("\r\n\r\n"u8) + 4);
        Assert.Throws<ArgumentException>(() => HttpResponse.Create(status, body: "x"u8));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(100)]
    [InlineData(101)]   // the handshake's alone
    [InlineData(199)]
    [InlineData(600)]
    public void Status_outside_200_to_599_is_refused(int status)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => HttpResponse.Create(status));
    }

    [Theory]
    [InlineData("Content-Length")]
    [InlineData("content-length")]
    [InlineData("Transfer-Encoding")]
    [InlineData("CONNECTION")]
    public void Framing_fields_cannot_be_set_by_the_application(string name)
    {
        // RFC 9112 §6.3, §11.2: a length that disagrees with the bytes is how responses are smuggled.
        Assert.Throws<ArgumentException>(() => HttpResponse.Create(200, [new(name, "5")], "hello"u8));
        Assert.Throws<ArgumentException>(() => new HandshakeRejection(403, "no", [new(name, "5")]));
    }

    [Fact]
    public void Unknown_status_gets_a_generic_or_empty_reason_phrase()
    {
        Assert.StartsWith("HTTP/1.1 299 \r\n", Encoding.ASCII.GetString(HttpResponse.Create(299)));
        Assert.StartsWith("HTTP/1.1 499 Error\r\n", Encoding.ASCII.GetString(HttpResponse.Create(499)));
        Assert.Equal("Unauthorized", HandshakeRejection.StatusText(401));
        Assert.Equal("Too Many Requests", HandshakeRejection.StatusText(429));
    }

    [Fact]
    public void Application_refusal_carries_its_status_headers_and_body()
    {
        // §4.2.2 item 4: the server may refuse the upgrade with any HTTP error, here authentication (RFC 9110 §11.6.1).
        var rejection = new HandshakeRejection(401, "token expired",
            [new("WWW-Authenticate", "Bearer error=\"invalid_token\""), new("Content-Type", "application/json")], body: "{\"error\":\"expired\"}");
        Assert.Null(rejection.Kind);
        var (head, body) = Read(rejection.ToResponse());
        Assert.Equal("HTTP/1.1 401 Unauthorized", head.StartLine);
        Assert.Equal("Bearer error=\"invalid_token\"", head["WWW-Authenticate"]);
        Assert.Equal("application/json", head["Content-Type"]);    // replaces the default text/plain, not beside it
        Assert.Equal("close", head["Connection"]);
        Assert.Equal("{\"error\":\"expired\"}", body);
        Assert.Equal(body.Length.ToString(), head["Content-Length"]);
        Assert.Equal("401 Unauthorized: token expired", rejection.ToString());
    }

    [Fact]
    public void Refusal_without_a_body_sends_its_reason_as_text()
    {
        var (head, body) = Read(new HandshakeRejection(503, "the server is busy", [new("Retry-After", "5")]).ToResponse());
        Assert.Equal("HTTP/1.1 503 Service Unavailable", head.StartLine);
        Assert.Equal("text/plain; charset=utf-8", head["Content-Type"]);
        Assert.Equal("5", head["Retry-After"]);
        Assert.Equal("the server is busy\n", body);
    }

    [Fact]
    public void Refusal_may_redirect()
    {
        // §4.1: a client "MAY redirect" on a 3xx.
        var (head, _) = Read(new HandshakeRejection(307, "moved", [new("Location", "ws://other.example/chat")]).ToResponse());
        Assert.Equal("HTTP/1.1 307 Temporary Redirect", head.StartLine);
        Assert.Equal("ws://other.example/chat", head["Location"]);
    }

    [Theory]
    [InlineData(101)]
    [InlineData(200)]
    [InlineData(299)]
    [InlineData(600)]
    public void Refusal_status_must_be_3xx_4xx_or_5xx(int status)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new HandshakeRejection(status, "no"));
    }

    [Theory]
    [InlineData(ViolationKind.SubprotocolMalformed)]
    [InlineData(ViolationKind.SubprotocolDuplicated)]
    [InlineData(ViolationKind.ExtensionsMalformed)]
    public void New_handshake_violations_are_answered_with_400_and_close_with_1006(ViolationKind kind)
    {
        // §4.2.1: "an appropriate error code (such as 400 Bad Request)"; before the connection is open, 1006 locally.
        var rejection = new HandshakeRejection(new ProtocolViolation(kind, "why"));
        Assert.Equal(400, rejection.StatusCode);
        Assert.Equal(kind, rejection.Kind);
        Assert.True(kind.IsHandshake());
        Assert.Equal(CloseCodes.AbnormalClosure, kind.CloseCode());
        Assert.StartsWith("HTTP/1.1 400 Bad Request\r\n", Encoding.ASCII.GetString(rejection.ToResponse()));
    }
}
