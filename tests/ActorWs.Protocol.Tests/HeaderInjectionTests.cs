using System.Text;
using static ActorWs.Protocol.Tests.DoorRequests;

namespace ActorWs.Protocol.Tests;

/// <summary>Headers the application adds, to a 101, a plain response, a refusal or the client's
/// request: names are tokens, values hold no CR, LF, NUL or other control character (RFC 9110
/// §5.5, §5.6.2; RFC 9112 §2.2), and the handshake's own fields cannot be replaced (§4.1, §4.2.2).</summary>
public class HeaderInjectionTests
{
    private static readonly Uri Server = new("ws://example.com/chat");

    public static TheoryData<string> BadValues() =>
    [
        "a\r\nX-Evil: 1",
        "a\nX-Evil: 1",
        "a\rb",
        "a\0b",
        "\x01",
        "tab\tis fine but bell\a is not",
        "\x7F",
        "café",
    ];

    public static TheoryData<string> BadNames() => ["", "X Evil", "X:Evil", "X\r\nEvil", "X-Évil", "(x)", "x\0"];

    public static TheoryData<string> ServerReserved() => [.. ServerHandshake.ReservedHeaders.SelectMany(n => new[] { n, n.ToUpperInvariant(), n.ToLowerInvariant() })];

    public static TheoryData<string> ClientReserved() => [.. ClientHandshake.ReservedHeaders.SelectMany(n => new[] { n, n.ToUpperInvariant(), n.ToLowerInvariant() })];

    private static KeyValuePair<string, string>[] One(string name, string value) => [KeyValuePair.Create(name, value)];

    [Fact]
    public void Server_accept_adds_the_applications_headers_in_order()
    {
        var accepted = Pending(Upgrade()).Accept(headers: [new("Set-Cookie", "a=1; HttpOnly"), new("Set-Cookie", "b=2"), new("X-Served-By", "node 7")]);
        var head = HttpHead.Parse(accepted.Response).Value!;
        Assert.Equal(["a=1; HttpOnly", "b=2"], head.Values("Set-Cookie"));
        Assert.Equal("node 7", head["X-Served-By"]);
        Assert.Equal(SampleAccept, head["Sec-WebSocket-Accept"]);
        Assert.EndsWith("X-Served-By: node 7\r\n\r\n", Encoding.ASCII.GetString(accepted.Response));
    }

    [Theory]
    [MemberData(nameof(BadValues))]
    public void Every_builder_refuses_a_value_with_a_control_character(string value)
    {
        var pending = Pending(Upgrade());
        Assert.Throws<ArgumentException>(() => pending.Accept(headers: One("X-App", value)));
        Assert.Throws<ArgumentException>(() => HttpResponse.Create(200, One("X-App", value)));
        Assert.Throws<ArgumentException>(() => new HandshakeRejection(401, "no", One("X-App", value)));
        Assert.Throws<ArgumentException>(() => ClientHandshake.Create(Server, headers: One("X-App", value)));
        Assert.False(HttpSyntax.IsFieldValue(value));
    }

    [Theory]
    [MemberData(nameof(BadNames))]
    public void Every_builder_refuses_a_name_that_is_not_a_token(string name)
    {
        var pending = Pending(Upgrade());
        Assert.Throws<ArgumentException>(() => pending.Accept(headers: One(name, "v")));
        Assert.Throws<ArgumentException>(() => HttpResponse.Create(200, One(name, "v")));
        Assert.Throws<ArgumentException>(() => new HandshakeRejection(401, "no", One(name, "v")));
        Assert.Throws<ArgumentException>(() => ClientHandshake.Create(Server, headers: One(name, "v")));
        Assert.False(HttpSyntax.IsToken(name));
    }

    [Fact]
    public void Null_names_and_values_are_refused()
    {
        Assert.Throws<ArgumentException>(() => HttpResponse.Create(200, One(null!, "v")));
        Assert.Throws<ArgumentException>(() => HttpResponse.Create(200, One("X", null!)));
    }

    [Theory]
    [MemberData(nameof(ServerReserved))]
    public void Server_refuses_headers_that_would_replace_the_handshakes_own(string name)
    {
        // §4.2.2 step 5: Upgrade, Connection, Accept are the handshake's; the subprotocol goes through
        // its argument (so that it is one offered); no extension is negotiated; a 101 has no content.
        var error = Assert.Throws<ArgumentException>(() => Pending(Upgrade("/chat", "Sec-WebSocket-Protocol: chat")).Accept(headers: One(name, "chat")));
        Assert.Equal("headers", error.ParamName);
    }

    [Theory]
    [MemberData(nameof(ClientReserved))]
    public void Client_refuses_headers_that_would_replace_the_handshakes_own(string name)
    {
        // §4.1 items 4–11: the request's own fields; a second Host or key would make it invalid (§4.2.1, §11.3.1).
        var error = Assert.Throws<ArgumentException>(() => ClientHandshake.Create(Server, headers: One(name, "x")));
        Assert.Equal("headers", error.ParamName);
    }

    [Fact]
    public void Client_sends_the_applications_headers_after_its_own()
    {
        // §4.1 item 12: "other header fields, such as those used to send cookies or request authentication".
        var client = ClientHandshake.Create(Server, origin: "http://example.com",
            headers: [new("Authorization", "Bearer abc.def"), new("Cookie", "a=1"), new("X-Trace", "1"), new("X-Trace", "2")]);
        var view = View(client.Request);
        Assert.Equal("Bearer abc.def", view.Headers["Authorization"]);
        Assert.Equal("1", view.Cookies["a"]);
        Assert.Equal(["1", "2"], view.Headers.Values("X-Trace"));
        Assert.Equal("http://example.com", view.Origin);
        // Still a valid upgrade.
        Assert.True(ServerHandshake.Validate(view, new ServerHandshakePolicy("/chat")).IsComplete);
    }

    [Theory]
    [InlineData("http://example.com\r\nX-Evil: 1")]
    [InlineData("http://example.com\n")]
    [InlineData("null\0")]
    public void Client_refuses_an_origin_with_a_line_break(string origin)
    {
        var error = Assert.Throws<ArgumentException>(() => ClientHandshake.Create(Server, origin: origin));
        Assert.Equal("origin", error.ParamName);
    }

    [Fact]
    public void The_callers_list_is_copied_so_changing_it_later_changes_nothing()
    {
        var headers = new List<KeyValuePair<string, string>> { new("X-App", "1") };
        var rejection = new HandshakeRejection(403, "no", headers);
        headers.Add(new("X-Evil", "a\r\nb"));
        headers[0] = new("X-App", "2");
        Assert.Equal([KeyValuePair.Create("X-App", "1")], rejection.Headers);
    }

    [Fact]
    public void Random_bytes_in_header_names_and_values_never_get_into_a_response_or_request()
    {
        // Property: a header the application gives is refused, or written as exactly one line that
        // reads back as the same name and value; never a second line, never a cut head.
        var random = new Random(9112);
        var pending = Pending(Upgrade());
        string Noise(int max)
        {
            var chars = new char[random.Next(max)];
            for (int i = 0; i < chars.Length; i++)
                chars[i] = random.Next(4) == 0 ? "\r\n\0:; \t"[random.Next(7)] : (char)random.Next(0, 256);
            return new string(chars);
        }
        int written = 0;
        for (int i = 0; i < 4000; i++)
        {
            // Mostly tokens and clean values, so that both outcomes are exercised.
            var name = random.Next(3) == 0 ? Noise(8) : "X-" + new string((char)('a' + random.Next(26)), random.Next(1, 5));
            var value = random.Next(2) == 0 ? Noise(20) : "v " + random.Next();
            var fields = One(name, value);
            var builders = new Func<byte[]>[]
            {
                () => pending.Accept(headers: fields).Response,
                () => HttpResponse.Create(200, fields, "ok"u8),
                () => new HandshakeRejection(503, "busy", fields).ToResponse(),
                () => ClientHandshake.Create(Server, headers: fields).Request,
            };
            foreach (var build in builders)
            {
                byte[] bytes;
                try
                {
                    bytes = build();
                }
                catch (ArgumentException)
                {
                    Assert.False(HttpSyntax.IsToken(name) && HttpSyntax.IsFieldValue(value), $"refused '{name}: {value}'");
                    continue;
                }
                written++;
                Assert.True(HttpSyntax.IsToken(name) && HttpSyntax.IsFieldValue(value), $"wrote '{name}: {value}'");
                int end = bytes.AsSpan().IndexOf("\r\n\r\n"u8) + 4;
                var head = HttpHead.Parse(bytes.AsSpan(0, end));
                Assert.True(head.IsComplete, head.Violation?.ToString());
                Assert.Equal(value.Trim(' ', '\t'), Assert.Single(head.Value.Values(name)));
                Assert.Equal(Encoding.ASCII.GetString(bytes, 0, end).Split("\r\n").Length - 3, head.Value.Fields.Count);
            }
        }
        Assert.True(written > 1000, $"only {written} written");
    }
}
