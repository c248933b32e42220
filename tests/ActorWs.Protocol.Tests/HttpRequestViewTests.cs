using System.Collections;
using System.Reflection;
using System.Text;
using static ActorWs.Protocol.Tests.DoorRequests;

namespace ActorWs.Protocol.Tests;

/// <summary>The request as the application sees it at the door: an immutable view of the head
/// (RFC 6455 §4.2.1; RFC 9112 §3; RFC 3986 §2.1; RFC 6265 §5.4).</summary>
public class HttpRequestViewTests
{
    [Fact]
    public void Rfc_sample_request_is_read_into_method_target_headers_and_offer()
    {
        // The sample handshake of §1.3.
        var view = View(Upgrade("/chat", "Sec-WebSocket-Protocol: chat, superchat"));
        Assert.Equal("GET", view.Method);
        Assert.Equal("/chat", view.Target);
        Assert.Equal("HTTP/1.1", view.HttpVersion);
        Assert.Equal("/chat", view.RawPath);
        Assert.Equal("/chat", view.Path);
        Assert.Equal("", view.RawQuery);
        Assert.Empty(view.Query);
        Assert.Equal("server.example.com", view.Host);
        Assert.Equal("http://example.com", view.Origin);
        Assert.Equal(SampleKey, view.Headers["sec-websocket-key"]);
        Assert.Equal(["chat", "superchat"], view.Subprotocols);
        Assert.Empty(view.Extensions);
        Assert.Empty(view.Cookies);
        Assert.True(view.IsWebSocketUpgrade);
    }

    [Theory]
    [InlineData("GET /healthz HTTP/1.1", "Host: a")]
    [InlineData("HEAD / HTTP/1.1", "Host: a")]
    [InlineData("GET / HTTP/1.1", "Upgrade: h2c")]                // RFC 9110 §7.8: a server may ignore it
    [InlineData("GET / HTTP/1.1", "Connection: Upgrade")]         // no Upgrade field at all
    [InlineData("OPTIONS * HTTP/1.1", "Host: a")]
    public void Plain_http_requests_are_not_upgrades(string startLine, string line)
    {
        var view = View(Head(startLine, line));
        Assert.False(view.IsWebSocketUpgrade);
    }

    [Theory]
    [InlineData("Upgrade: websocket")]
    [InlineData("Upgrade: WebSocket")]
    [InlineData("Upgrade: h2c, websocket")]
    public void A_request_that_names_websocket_in_upgrade_is_an_upgrade_even_if_invalid(string line)
    {
        // §4.2.1 item 3, any case. A POST asking for it is an upgrade, a bad one: Validate answers 405.
        var view = View(Head("POST /chat HTTP/1.1", "Host: a", line));
        Assert.True(view.IsWebSocketUpgrade);
        var validated = ServerHandshake.Validate(view, new ServerHandshakePolicy());
        Assert.Equal(ViolationKind.MethodNotGet, validated.Violation?.Kind);
    }

    [Theory]
    [InlineData("/caf%C3%A9/a%20b+c", "/café/a b+c")]     // UTF-8 escapes; + is no space in a path
    [InlineData("/a%2Fb", "/a/b")]                        // RawPath keeps the difference
    [InlineData("/bad%zz/%4/%", "/bad%zz/%4/%")]          // escapes that are not two hex digits are kept
    [InlineData("/%FF%C3", "/\uFFFD\uFFFD")]              // bytes that are not UTF-8 become U+FFFD
    [InlineData("/%e2%82%ac", "/€")]                      // lower-case hex
    public void Path_is_percent_decoded_and_the_raw_path_kept(string rawPath, string path)
    {
        var view = View(Head($"GET {rawPath}?q=1 HTTP/1.1", "Host: a"));
        Assert.Equal(rawPath, view.RawPath);
        Assert.Equal(path, view.Path);
        Assert.Equal("q=1", view.RawQuery);
    }

    [Fact]
    public void Raw_utf8_in_the_target_is_decoded_too()
    {
        // The head is read byte for byte; a client that sends raw UTF-8 (against RFC 3986) gets it back as text.
        var head = Encoding.UTF8.GetBytes("GET /café HTTP/1.1\r\nHost: a\r\n\r\n");
        Assert.Equal("/café", View(head).Path);
    }

    [Fact]
    public void Query_is_a_case_sensitive_multi_map_read_as_form_data()
    {
        var view = View(Head("GET /chat?a=1&A=2&a=3&flag&&=x&c=%20+d&e=%C3%A9&f=a=b HTTP/1.1", "Host: a"));
        Assert.Equal(["1", "3"], view.Query.Values("a"));
        Assert.Equal(["2"], view.Query.Values("A"));
        Assert.Null(view.Query["a"]);                 // repeated: ambiguous, never resolved silently
        Assert.Equal("2", view.Query["A"]);
        Assert.Equal("", view.Query["flag"]);         // no '=': an empty value
        Assert.Equal("x", view.Query[""]);
        Assert.Equal("  d", view.Query["c"]);         // '+' is a space in a query
        Assert.Equal("é", view.Query["e"]);
        Assert.Equal("a=b", view.Query["f"]);         // split at the first '='
        Assert.False(view.Query.Contains("missing"));
        Assert.Empty(view.Query.Values("missing"));
        Assert.Equal(
            ["a", "A", "a", "flag", "", "c", "e", "f"],
            view.Query.Select(p => p.Key));
        Assert.False(view.Query.IgnoresCase);
    }

    [Fact]
    public void Headers_are_case_insensitive_and_repeated_ones_kept_in_order()
    {
        var view = View(Head("GET / HTTP/1.1", "Host: a", "X-Tag: one", "x-tag: two", "X-TAG:three"));
        Assert.Equal(["one", "two", "three"], view.Headers.Values("X-Tag"));
        Assert.Null(view.Headers["x-tag"]);
        Assert.True(view.Headers.Contains("X-TAG"));
        Assert.Equal(["Host", "X-Tag"], view.Headers.Names);
        Assert.Equal(4, view.Headers.Count);
        Assert.True(view.Headers.IgnoresCase);
    }

    [Theory]
    [InlineData("http://example.com/chat?x=1", "/chat", "x=1")]
    [InlineData("ws://example.com:8080/a/b", "/a/b", "")]
    [InlineData("http://example.com", "/", "")]
    [InlineData("http://example.com?x", "/", "x")]
    public void Absolute_form_target_gives_the_path_after_the_authority(string target, string rawPath, string rawQuery)
    {
        // RFC 9112 §3.2.2: a server MUST accept the absolute-form.
        var view = View(Upgrade(target));
        Assert.Equal(target, view.Target);
        Assert.Equal(rawPath, view.RawPath);
        Assert.Equal(rawQuery, view.RawQuery);
        Assert.True(ServerHandshake.Validate(view, new ServerHandshakePolicy(Path: rawPath)).IsComplete);
    }

    [Theory]
    [InlineData("chat")]
    [InlineData("*")]
    [InlineData("example.com:80")]
    public void Upgrade_whose_target_is_no_path_is_a_400(string target)
    {
        // RFC 9112 §3.2: a GET's target is origin-form or absolute-form; RFC 6455 §3: a resource name is a path.
        var view = View(Upgrade(target));
        var validated = ServerHandshake.Validate(view, new ServerHandshakePolicy());
        Assert.Equal(ViolationKind.MalformedHead, validated.Violation?.Kind);
        Assert.Equal(400, validated.Violation?.HttpStatus);
    }

    [Fact]
    public void Cookies_are_the_name_value_pairs_of_the_cookie_header_in_order()
    {
        // RFC 6265 §5.4: "cookie-name=cookie-value" pairs joined by "; ".
        var view = View(Head("GET / HTTP/1.1", "Host: a",
            "Cookie: session=abc123; theme=dark; b64=eA==; quoted=\"q v\"; session=older; Id=1"));
        Assert.Equal(["abc123", "older"], view.Cookies.Values("session"));
        Assert.Null(view.Cookies["session"]);
        Assert.Equal("dark", view.Cookies["theme"]);
        Assert.Equal("eA==", view.Cookies["b64"]);          // split at the first '='
        Assert.Equal("\"q v\"", view.Cookies["quoted"]);    // as sent: RFC 6265 gives values no encoding
        Assert.Equal("1", view.Cookies["Id"]);
        Assert.Null(view.Cookies["id"]);                    // names are case-sensitive
        Assert.Equal(["session", "theme", "b64", "quoted", "Id"], view.Cookies.Names);
    }

    [Fact]
    public void Malformed_cookie_pairs_are_skipped_not_refused()
    {
        var view = View(Head("GET / HTTP/1.1", "Host: a", "Cookie: novalue; =anon; bad name=1; ;; ok=1", "Cookie: second=2"));
        Assert.Equal(["ok", "second"], view.Cookies.Names);
        Assert.Equal("1", view.Cookies["ok"]);
        Assert.Equal("2", view.Cookies["second"]);
    }

    [Theory]
    [InlineData("GET /chat")]
    [InlineData("GET  /chat HTTP/1.1")]
    [InlineData("GET /chat HTTP/1.1 extra")]
    [InlineData("G(T /chat HTTP/1.1")]
    public void Malformed_request_line_is_a_400_violation(string startLine)
    {
        var violation = ViewViolation(Head(startLine, "Host: a"));
        Assert.Equal(ViolationKind.MalformedHead, violation.Kind);
        Assert.Equal(400, violation.HttpStatus);
    }

    [Fact]
    public void A_head_that_is_not_http_is_the_head_parsers_violation()
    {
        Assert.Equal(ViolationKind.MalformedHead, ViewViolation("GET / HTTP/1.1\r\nbroken\r\n\r\n"u8.ToArray()).Kind);
        Assert.Equal(ViolationKind.MalformedHead, ViewViolation("GET / HTTP/1.1\r\nX: a\0b\r\n\r\n"u8.ToArray()).Kind);
    }

    [Fact]
    public void View_exposes_only_strings_booleans_and_read_only_collections()
    {
        // Safe for untrusted code: no setter, no array, no buffer, no mutable collection.
        foreach (var property in typeof(HttpRequestView).GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            Assert.Null(property.SetMethod);
            var type = property.PropertyType;
            Assert.True(type == typeof(string) || type == typeof(bool) || type == typeof(ReadOnlyMultiMap)
                || type == typeof(IReadOnlyList<string>) || type == typeof(IReadOnlyList<WebSocketExtension>),
                $"{property.Name} is a {type}");
        }
        foreach (var type in new[] { typeof(ReadOnlyMultiMap), typeof(WebSocketExtension) })
            Assert.All(type.GetProperties(BindingFlags.Public | BindingFlags.Instance), p => Assert.Null(p.SetMethod));
    }

    [Fact]
    public void Collections_of_the_view_cannot_be_changed_through_a_cast()
    {
        var view = View(Upgrade("/chat?a=1", "Sec-WebSocket-Protocol: chat", "Sec-WebSocket-Extensions: foo; bar=1", "Cookie: c=1"));
        var collections = new IEnumerable[]
        {
            view.Subprotocols, view.Extensions, view.Extensions[0].Parameters, view.Headers.Values("Host"),
            view.Query.Values("a"), view.Cookies.Names,
        };
        foreach (var collection in collections)
        {
            Assert.False(collection is string[]);
            if (collection is IList list)
            {
                Assert.True(list.IsReadOnly);
                Assert.Throws<NotSupportedException>(() => list.Clear());
            }
        }
        Assert.False((object)view.Headers is IList);
        // The head's own fields no longer leak a List<> either.
        var head = HttpHead.Parse(Upgrade()).Value!;
        Assert.False(head.Fields is IList { IsReadOnly: false });
    }

    [Fact]
    public void Random_heads_give_a_view_or_a_violation_and_never_throw()
    {
        // Property: whatever printable bytes a client sends, building the view never throws.
        var random = new Random(6455);
        const string alphabet = "azAZ09 %+=&;,\"\\/?:#@!*()é\t";
        for (int i = 0; i < 3000; i++)
        {
            string Noise(int max) => new(Enumerable.Range(0, random.Next(max)).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray());
            var target = "/" + Noise(30).Replace(" ", "");
            var head = Head($"GET {target} HTTP/1.1",
                "Host: a",
                $"Cookie: {Noise(30)}",
                $"Sec-WebSocket-Protocol: {Noise(20)}",
                $"Sec-WebSocket-Extensions: {Noise(30)}");
            var view = HttpRequestView.Parse(head);
            Assert.True(view.IsComplete || view.Violation!.Kind is ViolationKind.SubprotocolMalformed
                or ViolationKind.SubprotocolDuplicated or ViolationKind.ExtensionsMalformed, view.ToString());
            if (view.IsComplete)
            {
                Assert.Equal(target, view.Value.Target);
                Assert.All(view.Value.Subprotocols, name => Assert.True(HttpSyntax.IsToken(name)));
                Assert.All(view.Value.Extensions, e => Assert.True(HttpSyntax.IsToken(e.Name)));
            }
        }
    }
}
