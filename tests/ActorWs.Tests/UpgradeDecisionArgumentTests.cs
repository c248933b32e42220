namespace ActorWs.Tests;

/// <summary>
/// A decision is checked when it is made: a header that would inject a line or set a field the core
/// writes itself, a status of the wrong class, is an <see cref="ArgumentException"/> in the
/// application's code, so that nothing unchecked can reach the wire.
/// </summary>
public sealed class UpgradeDecisionArgumentTests
{
    private static KeyValuePair<string, string>[] Header(string name, string value) => [new(name, value)];

    /// <summary>Making the decision throws an <see cref="ArgumentException"/> (or a subclass).</summary>
    private static void Refused(string what, Action make)
    {
        var e = Record.Exception(make);
        Assert.True(e is ArgumentException, $"{what}: {(e is null ? "no exception" : e.GetType().Name)}");
    }

    public static TheoryData<string, string, string> BadHeaders => new()
    {
        { "CR LF in a value (header injection)", "X-User", "ann\r\nSet-Cookie: admin=1" },
        { "a lone LF in a value", "X-User", "ann\nX-Evil: 1" },
        { "a lone CR in a value", "X-User", "ann\rX-Evil: 1" },
        { "NUL in a value", "X-User", "ann\0" },
        { "a name with a space", "X User", "ann" },
        { "a name with a colon", "X-User:", "ann" },
        { "a name with CR LF", "X-User\r\nX-Evil", "1" },
        { "an empty name", "", "ann" },
    };

    [Theory]
    [MemberData(nameof(BadHeaders))]
    public void Accept_refuses_a_header_that_cannot_be_sent(string what, string name, string value) =>
        Refused(what, () => _ = new UpgradeDecision.Accept(Headers: Header(name, value)));

    [Theory]
    [MemberData(nameof(BadHeaders))]
    public void Reject_refuses_a_header_that_cannot_be_sent(string what, string name, string value) =>
        Refused(what, () => _ = new UpgradeDecision.Reject(403, "no", Header(name, value)));

    [Theory]
    [MemberData(nameof(BadHeaders))]
    public void Respond_refuses_a_header_that_cannot_be_sent(string what, string name, string value) =>
        Refused(what, () => _ = new UpgradeDecision.Respond(200, "ok", Headers: Header(name, value)));

    [Theory]
    [InlineData("Upgrade")]
    [InlineData("Connection")]
    [InlineData("Sec-WebSocket-Accept")]
    [InlineData("sec-websocket-protocol")] // names compare without case (RFC 9110 §5.1)
    [InlineData("Sec-WebSocket-Extensions")]
    [InlineData("Content-Length")]
    [InlineData("Transfer-Encoding")]
    public void Accept_refuses_a_header_the_handshake_writes_itself(string name)
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => new UpgradeDecision.Accept(Headers: Header(name, "x")));
        Assert.Contains(name, e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("Content-Length")]
    [InlineData("content-length")]
    [InlineData("Transfer-Encoding")]
    [InlineData("Connection")]
    public void Reject_and_Respond_refuse_a_header_that_frames_the_response(string name)
    {
        // A second Content-Length or a Transfer-Encoding is how responses are smuggled.
        Assert.ThrowsAny<ArgumentException>(() => new UpgradeDecision.Reject(401, "no", Header(name, "0")));
        Assert.ThrowsAny<ArgumentException>(() => new UpgradeDecision.Respond(200, "ok", Headers: Header(name, "0")));
    }

    [Theory]
    [InlineData("chat v2")]
    [InlineData("")]
    [InlineData("\"chat\"")]
    [InlineData("chat\r\n")]
    [InlineData("chat,v2")]
    public void Accept_refuses_a_subprotocol_that_is_no_token(string subprotocol) =>
        Assert.ThrowsAny<ArgumentException>(() => new UpgradeDecision.Accept(subprotocol));

    [Theory]
    [InlineData(101)]
    [InlineData(200)]
    [InlineData(299)]
    [InlineData(600)]
    [InlineData(0)]
    public void Reject_refuses_a_status_that_is_no_refusal(int status) =>
        Assert.ThrowsAny<ArgumentException>(() => new UpgradeDecision.Reject(status, "why"));

    [Theory]
    [InlineData(101)]
    [InlineData(199)]
    [InlineData(600)]
    public void Respond_refuses_a_status_that_is_no_final_response(int status) =>
        Assert.ThrowsAny<ArgumentException>(() => new UpgradeDecision.Respond(status, "x"));

    [Theory]
    [InlineData(204)]
    [InlineData(304)]
    public void Respond_refuses_a_body_with_a_status_that_has_no_content(int status)
    {
        Assert.ThrowsAny<ArgumentException>(() => new UpgradeDecision.Respond(status, "not allowed"));
        Assert.Equal(0, new UpgradeDecision.Respond(status).BodyLength);
    }

    [Fact]
    public void Respond_refuses_a_content_type_that_injects_a_line() =>
        Assert.ThrowsAny<ArgumentException>(() => new UpgradeDecision.Respond(200, "ok", "text/plain\r\nSet-Cookie: admin=1"));

    [Fact]
    public void Decisions_that_can_be_sent_are_made()
    {
        var accept = new UpgradeDecision.Accept("chat", [new("Set-Cookie", "s=1; HttpOnly")], State: "ann");
        Assert.Equal(("chat", "ann"), (accept.Subprotocol, accept.State));
        Assert.Equal("s=1; HttpOnly", Assert.Single(accept.Headers).Value);
        var reject = new UpgradeDecision.Reject(503, "busy", [new("Retry-After", "5")]);
        Assert.Equal((503, "busy\n"), (reject.Rejection.StatusCode, reject.Rejection.Body));
        Assert.Equal(3, new UpgradeDecision.Respond(200, "ok\n").BodyLength);
    }

    [Fact]
    public void Deciders_refuse_null()
    {
        Assert.Throws<ArgumentNullException>(() => UpgradeDecider.FromFunction((Func<UpgradeRequest, UpgradeDecision>)null!));
        Assert.Throws<ArgumentNullException>(() => UpgradeDecider.FromFunction((Func<UpgradeRequest, CancellationToken, Task<UpgradeDecision>>)null!));
        Assert.Throws<ArgumentNullException>(() => UpgradeDecider.FromActor(null!));
    }
}
