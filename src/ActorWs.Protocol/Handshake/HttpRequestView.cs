using System.Collections.Immutable;
using System.Text;

namespace ActorWs.Protocol;

/// <summary>
/// A request as the application sees it at the door, whether a WebSocket upgrade or plain HTTP
/// (<c>GET /healthz</c>, <c>HEAD /</c>): method, target, path and query (percent-decoded), headers,
/// cookies, and the subprotocols and extensions the client offers (RFC 6455 §4.2.1 items 8 and 9).
/// Immutable and made only of strings and read-only collections that copy nothing out of a buffer,
/// so it may be handed to untrusted code: nothing it returns can change it or the connection.
/// </summary>
public sealed class HttpRequestView
{
    private HttpRequestView(string method, string target, string httpVersion, string rawPath, string rawQuery,
        ReadOnlyMultiMap headers, IReadOnlyList<string> subprotocols, IReadOnlyList<WebSocketExtension> extensions)
    {
        Method = method;
        Target = target;
        HttpVersion = httpVersion;
        RawPath = rawPath;
        RawQuery = rawQuery;
        Path = PercentDecode(rawPath, plusIsSpace: false);
        Query = new ReadOnlyMultiMap(ParseQuery(rawQuery), ignoreCase: false);
        Headers = headers;
        Cookies = new ReadOnlyMultiMap(ParseCookies(headers.Values("Cookie")), ignoreCase: false);
        Subprotocols = subprotocols;
        Extensions = extensions;
    }

    /// <summary>The method, case-sensitive (RFC 9110 §9.1): <c>GET</c>, <c>HEAD</c>, ….</summary>
    public string Method { get; }

    /// <summary>The request-target exactly as sent (RFC 9112 §3.2), such as <c>/chat?room=a%20b</c>.</summary>
    public string Target { get; }

    /// <summary>The protocol of the request line, such as <c>HTTP/1.1</c>.</summary>
    public string HttpVersion { get; }

    /// <summary>
    /// The path as sent, percent-encoded: the target before its <c>?</c>; for an absolute-form target
    /// (<c>http://host/chat</c>, RFC 9112 §3.2.2) the path after the authority, <c>/</c> when it is empty.
    /// This is what RFC 6455 §3 calls the resource name's path, and what <see cref="ServerHandshakePolicy.Path"/> is compared with.
    /// </summary>
    public string RawPath { get; }

    /// <summary>The path percent-decoded as UTF-8 (RFC 3986 §2.1); a bad escape is kept as it came
    /// and bytes that are not UTF-8 become U+FFFD (as the WHATWG URL standard does). <c>+</c> stays <c>+</c>.</summary>
    public string Path { get; }

    /// <summary>The query as sent, without its <c>?</c>; empty when there is none.</summary>
    public string RawQuery { get; }

    /// <summary>
    /// The query's parameters in order, names case-sensitive, a name possibly repeated: the query is
    /// read as <c>application/x-www-form-urlencoded</c> (the WHATWG URL standard, what browsers'
    /// URLSearchParams write): split at <c>&amp;</c>, each at its first <c>=</c> (none: the value is
    /// empty), <c>+</c> is a space, then percent-decoded as UTF-8.
    /// </summary>
    public ReadOnlyMultiMap Query { get; }

    /// <summary>The header fields in order, names case-insensitive, repeated ones kept (RFC 9110 §5.1, §5.3).</summary>
    public ReadOnlyMultiMap Headers { get; }

    /// <summary>
    /// The cookies of the Cookie header (RFC 6265 §5.4: <c>name=value; name=value</c>), in order,
    /// names case-sensitive; the same name may come more than once (cookies of other paths or
    /// domains, RFC 6265 §4.2.2). A value is given as sent (RFC 6265 assigns it no encoding: quotes
    /// and %-escapes are the application's). A pair with no <c>=</c> or a name that is not a token
    /// is skipped: a malformed cookie is no reason to refuse a request.
    /// </summary>
    public ReadOnlyMultiMap Cookies { get; }

    /// <summary>The subprotocols the client offers, in its order of preference (§4.1, §11.3.4); empty for none.</summary>
    public IReadOnlyList<string> Subprotocols { get; }

    /// <summary>The extensions the client offers, in order, with their parameters (§9.1); empty for none.</summary>
    public IReadOnlyList<WebSocketExtension> Extensions { get; }

    /// <summary>
    /// Whether the client asks for a WebSocket at all: its Upgrade header lists <c>websocket</c>, in
    /// any case (§4.2.1 item 3). False for plain HTTP (<c>GET /healthz</c>, a <c>HEAD</c>, an
    /// <c>Upgrade: h2c</c>, which RFC 9110 §7.8 lets a server ignore), which may be answered as HTTP.
    /// True does not mean the upgrade is valid: <see cref="ServerHandshake.Validate"/> checks the rest.
    /// </summary>
    public bool IsWebSocketUpgrade => Headers.HasToken("Upgrade", "websocket");

    /// <summary>The Host header when it appears exactly once; null otherwise.</summary>
    public string? Host => Headers["Host"];

    /// <summary>The Origin header when it appears exactly once; null otherwise (§4.2.1 item 7, §10.2).</summary>
    public string? Origin => Headers["Origin"];

    /// <summary>Reads a request head that ends with CRLFCRLF, as <see cref="HttpHeadReader"/> collects it.</summary>
    public static ProtocolResult<HttpRequestView> Parse(ReadOnlySpan<byte> head)
    {
        var parsed = HttpHead.Parse(head);
        return parsed.IsComplete ? FromHead(parsed.Value) : Fail(parsed.Violation!);
    }

    /// <summary>
    /// The view of a parsed request head. A request line that is not <c>method SP target SP version</c>
    /// with a token for the method (RFC 9112 §3) is <see cref="ViolationKind.MalformedHead"/>; a
    /// malformed Sec-WebSocket-Protocol or Sec-WebSocket-Extensions is a violation too (400, §4.2.1:
    /// a request that does not match the description of items 8 and 9), whatever the method.
    /// </summary>
    public static ProtocolResult<HttpRequestView> FromHead(HttpHead head)
    {
        var parts = head.StartLine.Split(' ');
        if (parts.Length != 3 || !HttpSyntax.IsToken(parts[0]) || parts[1].Length == 0 || parts[2].Length == 0)
            return Fail(ViolationKind.MalformedHead, $"malformed request line '{HttpHead.Printable(head.StartLine)}' (RFC 9112 §3)");
        var (method, target, version) = (parts[0], parts[1], parts[2]);
        var subprotocols = global::ActorWs.Protocol.Subprotocols.ParseOffer(head.Values(global::ActorWs.Protocol.Subprotocols.HeaderName));
        if (!subprotocols.IsComplete)
            return Fail(subprotocols.Violation!);
        var extensions = WebSocketExtension.ParseOffers(head.Values(WebSocketExtension.HeaderName));
        if (!extensions.IsComplete)
            return Fail(extensions.Violation!);
        var (rawPath, rawQuery) = SplitTarget(target);
        return ProtocolResult<HttpRequestView>.Complete(
            new HttpRequestView(method, target, version, rawPath, rawQuery, head.Headers, subprotocols.Value, extensions.Value));
    }

    /// <summary>The path and the query of a request-target (RFC 9112 §3.2).</summary>
    private static (string Path, string Query) SplitTarget(string target)
    {
        var pathAndQuery = target;
        // absolute-form, RFC 9112 §3.2.2: scheme "://" authority, then the path; a server MUST accept it.
        int scheme = target.IndexOf("://", StringComparison.Ordinal);
        if (!target.StartsWith('/') && scheme > 0 && target[..scheme].All(char.IsAsciiLetter))
        {
            int pathStart = target.IndexOfAny(['/', '?'], scheme + 3);
            pathAndQuery = pathStart < 0 ? "/" : target[pathStart] == '?' ? "/" + target[pathStart..] : target[pathStart..];
        }
        int query = pathAndQuery.IndexOf('?');
        return query < 0 ? (pathAndQuery, "") : (pathAndQuery[..query], pathAndQuery[(query + 1)..]);
    }

    /// <summary>application/x-www-form-urlencoded parsing (WHATWG URL §5.1): empty pieces skipped.</summary>
    private static IEnumerable<KeyValuePair<string, string>> ParseQuery(string query)
    {
        foreach (var piece in query.Split('&'))
        {
            if (piece.Length == 0)
                continue;
            int equals = piece.IndexOf('=');
            var name = equals < 0 ? piece : piece[..equals];
            var value = equals < 0 ? "" : piece[(equals + 1)..];
            yield return new(PercentDecode(name, plusIsSpace: true), PercentDecode(value, plusIsSpace: true));
        }
    }

    /// <summary>RFC 6265 §4.2.1, §5.4: <c>cookie-pair *( ";" SP cookie-pair )</c>, read leniently
    /// (any whitespace around a pair; every Cookie line, though §5.4 sends only one).</summary>
    private static IEnumerable<KeyValuePair<string, string>> ParseCookies(IEnumerable<string> fieldValues)
    {
        foreach (var value in fieldValues)
        {
            foreach (var pair in value.Split(';'))
            {
                int equals = pair.IndexOf('=');
                if (equals < 0)
                    continue;
                var name = pair[..equals].Trim(' ', '\t');
                if (!HttpSyntax.IsToken(name)) // cookie-name = token (RFC 6265 §4.1.1)
                    continue;
                yield return new(name, pair[(equals + 1)..].Trim(' ', '\t'));
            }
        }
    }

    /// <summary>
    /// Percent-decoding (RFC 3986 §2.1) into UTF-8 bytes, then text: a <c>%</c> not followed by two
    /// hex digits is kept, bytes that are not UTF-8 become U+FFFD. The head was read as Latin-1, so
    /// each character of <paramref name="s"/> is one byte of the wire: a client that sent raw UTF-8
    /// gets it back decoded too.
    /// </summary>
    private static string PercentDecode(string s, bool plusIsSpace)
    {
        if (s.IndexOfAny(['%', '+']) < 0 && !s.AsSpan().ContainsAnyExceptInRange('\0', '\x7F'))
            return s;
        var bytes = new byte[s.Length];
        int n = 0;
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (c == '%' && i + 2 < s.Length && IsHex(s[i + 1]) && IsHex(s[i + 2]))
            {
                bytes[n++] = (byte)((HexValue(s[i + 1]) << 4) | HexValue(s[i + 2]));
                i += 2;
            }
            else
            {
                bytes[n++] = c == '+' && plusIsSpace ? (byte)' ' : (byte)c;
            }
        }
        return Encoding.UTF8.GetString(bytes, 0, n);
    }

    private static bool IsHex(char c) => char.IsAsciiHexDigit(c);

    private static int HexValue(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;

    private static ProtocolResult<HttpRequestView> Fail(ViolationKind kind, string reason) => ProtocolResult<HttpRequestView>.Fail(kind, reason);

    private static ProtocolResult<HttpRequestView> Fail(ProtocolViolation violation) => ProtocolResult<HttpRequestView>.Fail(violation);
}
