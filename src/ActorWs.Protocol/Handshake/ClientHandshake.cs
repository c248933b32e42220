using System.Collections.Immutable;
using System.Text;

namespace ActorWs.Protocol;

/// <summary>The client's side of the opening handshake: the request (RFC 6455 §4.1) and the checks
/// on the server's answer (§4.1, "the client MUST validate the server's response").</summary>
public sealed class ClientHandshake
{
    private ClientHandshake(string key, byte[] request, ImmutableArray<string> subprotocols, PerMessageDeflateOptions? deflate)
    {
        Deflate = deflate;
        Key = key;
        Request = request;
        ExpectedAccept = Handshake.ComputeAccept(key);
        Subprotocols = subprotocols;
    }

    /// <summary>
    /// The fields of the request the core writes itself and extra headers may not set: Host,
    /// Upgrade, Connection, Sec-WebSocket-Key and Sec-WebSocket-Version (§4.1 items 4–7 and 9; a
    /// second one would make the request invalid, §4.2.1, §11.3.1), Sec-WebSocket-Protocol (the
    /// offered subprotocols, so that they are checked and the answer can be validated, §4.1),
    /// Sec-WebSocket-Extensions (the core writes the permessage-deflate offer and checks the answer
    /// to it, §9.1, RFC 7692 §5), Sec-WebSocket-Accept (a response
    /// field, §11.3.3), Origin (the origin argument, §4.1 item 8) and Content-Length and
    /// Transfer-Encoding (the upgrade request has no content: bytes after its head are frames, §4.1).
    /// </summary>
    public static IReadOnlyList<string> ReservedHeaders { get; } =
    [
        "Host", "Upgrade", "Connection", "Sec-WebSocket-Key", "Sec-WebSocket-Version", ActorWs.Protocol.Subprotocols.HeaderName,
        WebSocketExtension.HeaderName, "Sec-WebSocket-Accept", "Origin", "Content-Length", "Transfer-Encoding",
    ];

    /// <summary>The Sec-WebSocket-Key sent: 16 random bytes, base64 (§4.1).</summary>
    public string Key { get; }
    /// <summary>The Sec-WebSocket-Accept the server must answer with (§4.2.2).</summary>
    public string ExpectedAccept { get; }
    /// <summary>The whole upgrade request, ready to write.</summary>
    public byte[] Request { get; }

    /// <summary>The subprotocols offered, in order of preference (§4.1 item 10); empty for none.</summary>
    public IReadOnlyList<string> Subprotocols { get; }

    /// <summary>What permessage-deflate was offered with (RFC 7692 §5.1); null when it was not offered.</summary>
    public PerMessageDeflateOptions? Deflate { get; }

    /// <summary>The Sec-WebSocket-Extensions value sent; null for none.</summary>
    public string? ExtensionOffer => Deflate is null ? null : PerMessageDeflate.ClientOffer(Deflate);

    /// <summary>
    /// A request for a ws:// or wss:// URI with a fresh random key (§4.1). Throws an <see cref="ArgumentException"/>
    /// for another scheme or a fragment (§3), a subprotocol that is not a token or is given twice
    /// (§4.1 item 10: "MUST all be unique strings"), an origin or a header value with CR, LF, NUL or
    /// another control character, a header name that is not a token, or a
    /// <see cref="ReservedHeaders">reserved</see> header.
    /// </summary>
    /// <param name="uri">The ws:// or wss:// URI (§3); the Host field omits the port when it is the
    /// scheme's default, 80 or 443 (§4.1 item 4, RFC 9110 §7.2).</param>
    /// <param name="origin">The Origin header (§4.1 item 8, §10.2); null for none.</param>
    /// <param name="subprotocols">The subprotocols to offer, most preferred first (§4.1 item 10, §1.9); null or empty for none.</param>
    /// <param name="headers">Extra header fields, in order (such as Authorization or Cookie, §4.1 item 12).</param>
    public static ClientHandshake Create(Uri uri, string? origin = null, IEnumerable<string>? subprotocols = null,
        IEnumerable<KeyValuePair<string, string>>? headers = null) => Create(uri, origin, subprotocols, headers, deflate: null);

    /// <summary>As <see cref="Create(Uri, string?, IEnumerable{string}?, IEnumerable{KeyValuePair{string, string}}?)"/>,
    /// offering permessage-deflate with <paramref name="deflate"/> (RFC 7692 §5.1, §7); null offers no extension.</summary>
    /// <param name="uri">The ws:// URI (§3).</param>
    /// <param name="origin">The Origin header (§4.1 item 8, §10.2); null for none.</param>
    /// <param name="subprotocols">The subprotocols to offer, most preferred first; null or empty for none.</param>
    /// <param name="headers">Extra header fields, in order.</param>
    /// <param name="deflate">What to offer permessage-deflate with; null for no offer.</param>
    public static ClientHandshake Create(Uri uri, string? origin, IEnumerable<string>? subprotocols,
        IEnumerable<KeyValuePair<string, string>>? headers, PerMessageDeflateOptions? deflate)
    {
        deflate?.Validate();
        // §3: "wss" is the same protocol over TLS; the TLS handshake is the transport's, before this request.
        if (uri.Scheme is not ("ws" or "wss" or "http" or "https"))
            throw new ArgumentException($"unsupported scheme '{uri.Scheme}': only ws:// and wss:// are supported", nameof(uri));
        if (!string.IsNullOrEmpty(uri.Fragment))
            throw new ArgumentException("a WebSocket URI has no fragment (RFC 6455 §3)", nameof(uri));
        if (origin is not null && !HttpSyntax.IsFieldValue(origin))
            throw new ArgumentException("the origin holds a character that may not be sent: CR, LF, NUL, another control character or non-ASCII (RFC 9110 §5.5)", nameof(origin));
        var offered = ActorWs.Protocol.Subprotocols.CheckOffer(subprotocols, nameof(subprotocols));
        var extra = HttpSyntax.CheckFields(headers, ReservedHeaders, "the handshake writes it (RFC 6455 §4.1)", nameof(headers));
        var key = Handshake.NewKey();
        var host = uri.IsDefaultPort ? uri.IdnHost : $"{uri.IdnHost}:{uri.Port}";
        if (uri.HostNameType == UriHostNameType.IPv6)
            host = uri.IsDefaultPort ? $"[{uri.IdnHost}]" : $"[{uri.IdnHost}]:{uri.Port}";
        var sb = new StringBuilder();
        sb.Append("GET ").Append(string.IsNullOrEmpty(uri.PathAndQuery) ? "/" : uri.PathAndQuery).Append(" HTTP/1.1\r\n");
        sb.Append("Host: ").Append(host).Append("\r\n");
        sb.Append("Upgrade: websocket\r\n");
        sb.Append("Connection: Upgrade\r\n");
        sb.Append("Sec-WebSocket-Key: ").Append(key).Append("\r\n");
        sb.Append("Sec-WebSocket-Version: ").Append(Handshake.Version).Append("\r\n");
        if (origin is not null)
            sb.Append("Origin: ").Append(origin).Append("\r\n");
        // §4.1 item 10, §1.9: one field, "chat, superchat".
        if (offered.Length > 0)
            sb.Append(ActorWs.Protocol.Subprotocols.HeaderName).Append(": ").Append(string.Join(", ", offered)).Append("\r\n");
        if (deflate is not null)
            sb.Append(WebSocketExtension.HeaderName).Append(": ").Append(PerMessageDeflate.ClientOffer(deflate)).Append("\r\n");
        foreach (var (name, value) in extra)
            sb.Append(name).Append(": ").Append(value).Append("\r\n");
        sb.Append("\r\n");
        return new ClientHandshake(key, Encoding.ASCII.GetBytes(sb.ToString()), offered, deflate);
    }

    /// <summary>
    /// Checks the server's response head: 101, Upgrade: websocket, Connection: Upgrade and the
    /// Accept value for our key (§4.1, items 1–4 of the client's checks), no extension we did not
    /// ask for (item 5), and a subprotocol, if any, that is exactly one of those we offered (item 6;
    /// the field at most once, §11.3.4). Complete with the parsed response and the subprotocol agreed
    /// on (null when the server chose none, which §4.2.2 allows even when some were offered);
    /// otherwise the violation for which the client fails the connection. A status other than 101 is
    /// <see cref="ViolationKind.StatusNot101"/>: <see cref="HandshakeRefusal"/> reads what the server said.
    /// </summary>
    public ProtocolResult<ValidatedResponse> Validate(ReadOnlySpan<byte> responseHead)
    {
        var parsed = HttpHead.Parse(responseHead);
        if (!parsed.IsComplete)
            return ProtocolResult<ValidatedResponse>.Fail(parsed.Violation!);
        var response = parsed.Value;
        if (!HandshakeRefusal.TryReadStatusLine(response.StartLine, out int status, out var reasonPhrase))
            return Fail(ViolationKind.MalformedHead, $"not an HTTP/1.1 status line: '{HttpHead.Printable(response.StartLine)}' (RFC 9112 §4)");
        if (status != 101)
            return Fail(ViolationKind.StatusNot101, $"server answered {status} {reasonPhrase}, not 101 Switching Protocols (RFC 6455 §4.1)".TrimEnd());
        if (!response.HasToken("Upgrade", "websocket"))
            return Fail(ViolationKind.ResponseUpgradeMissing, "response lacks 'Upgrade: websocket' (RFC 6455 §4.1)");
        if (!response.HasToken("Connection", "Upgrade"))
            return Fail(ViolationKind.ResponseConnectionUpgradeMissing, "response lacks 'Connection: Upgrade' (RFC 6455 §4.1)");
        var accept = response.Single("Sec-WebSocket-Accept", out _);
        if (accept != ExpectedAccept)
            return Fail(ViolationKind.AcceptMismatch, $"Sec-WebSocket-Accept '{accept ?? "(missing)"}' does not match the expected '{ExpectedAccept}' (RFC 6455 §4.1)");
        // §4.1 check 5, RFC 7692 §5.1: only the extension offered, with parameters that fit the offer.
        var extensions = WebSocketExtension.ParseOffers(response.Values(WebSocketExtension.HeaderName));
        if (!extensions.IsComplete)
            return Fail(ViolationKind.UnrequestedExtension, extensions.Violation!.Reason);
        var deflate = PerMessageDeflate.CheckResponse(extensions.Value!, Deflate);
        if (!deflate.IsComplete)
            return ProtocolResult<ValidatedResponse>.Fail(deflate.Violation!);
        var chosen = response.Headers.Values(ActorWs.Protocol.Subprotocols.HeaderName);
        if (chosen.Count > 0 && Subprotocols.Count == 0)
            return Fail(ViolationKind.UnrequestedSubprotocol, "server selected a subprotocol that was not requested (RFC 6455 §4.1)");
        if (chosen.Count > 1)
            return Fail(ViolationKind.UnrequestedSubprotocol, "Sec-WebSocket-Protocol appears more than once in the response (RFC 6455 §11.3.4)");
        string? subprotocol = chosen.Count == 1 ? chosen[0] : null;
        if (subprotocol is not null && !Subprotocols.Contains(subprotocol, StringComparer.Ordinal))
            return Fail(ViolationKind.UnrequestedSubprotocol,
                $"server selected subprotocol '{HttpHead.Printable(subprotocol)}', not one of those offered ({string.Join(", ", Subprotocols)}) (RFC 6455 §4.1)");
        return ProtocolResult<ValidatedResponse>.Complete(new ValidatedResponse(response, subprotocol) { Deflate = deflate.Value });
    }

    private static ProtocolResult<ValidatedResponse> Fail(ViolationKind kind, string reason) => ProtocolResult<ValidatedResponse>.Fail(kind, reason);
}

/// <summary>A server's 101 that the client validated (§4.1): the response head and the subprotocol agreed on.</summary>
/// <param name="Head">The response head.</param>
/// <param name="Subprotocol">The subprotocol the server chose from the offer; null for none (§4.1, §4.2.2).</param>
public sealed record ValidatedResponse(HttpHead Head, string? Subprotocol)
{
    /// <summary>The permessage-deflate agreement (RFC 7692 §7.1); null when the server accepted no extension.</summary>
    public DeflateParameters? Deflate { get; init; }
}
