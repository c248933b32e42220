namespace ActorWs.Protocol;

/// <summary>What the server requires of a client's opening handshake.</summary>
/// <param name="Path">The resource name that upgrades (compared with <see cref="HttpRequestView.RawPath"/>); null accepts any path.</param>
/// <param name="AllowedOrigins">When set, the Origin header must be one of these (§4.2.2, §10.2).</param>
/// <param name="Subprotocols">The subprotocols the server speaks, for <see cref="ServerHandshake.Accept(ReadOnlySpan{byte}, ServerHandshakePolicy)"/>
/// to choose from by <see cref="ActorWs.Protocol.Subprotocols.SelectFirstSupported"/> (§4.2.2); null or empty chooses none.</param>
public sealed record ServerHandshakePolicy(string? Path = null, IReadOnlySet<string>? AllowedOrigins = null, IReadOnlyList<string>? Subprotocols = null);

/// <summary>The server's reading of the client's opening handshake (RFC 6455 §4.2.1) and its
/// answer (§4.2.2).</summary>
public static class ServerHandshake
{
    /// <summary>
    /// The fields of a 101 the core writes itself and an application may not add: Upgrade,
    /// Connection and Sec-WebSocket-Accept (§4.2.2 step 5), Sec-WebSocket-Protocol (only through
    /// the chosen subprotocol, which must be one the client offered, §4.2.2 /subprotocol/),
    /// Sec-WebSocket-Extensions (only the core negotiates, RFC 7692 §5: an extension the frames do not
    /// follow would break them) and Content-Length and Transfer-Encoding (a 101 has no content, RFC 9110 §8.6).
    /// </summary>
    public static IReadOnlyList<string> ReservedHeaders { get; } =
        ["Upgrade", "Connection", "Sec-WebSocket-Accept", Subprotocols.HeaderName, WebSocketExtension.HeaderName, "Content-Length", "Transfer-Encoding"];

    /// <summary>Checks a request head and accepts it, choosing the subprotocol by the policy's list
    /// (none when it has none). Complete with the 101 response and the client's key; otherwise the
    /// violation, from which <see cref="HandshakeRejection"/> builds the answer to send before closing.</summary>
    public static ProtocolResult<AcceptedHandshake> Accept(ReadOnlySpan<byte> head, ServerHandshakePolicy policy)
    {
        var request = HttpRequestView.Parse(head);
        if (!request.IsComplete)
            return ProtocolResult<AcceptedHandshake>.Fail(request.Violation!);
        var upgrade = Validate(request.Value, policy);
        if (!upgrade.IsComplete)
            return ProtocolResult<AcceptedHandshake>.Fail(upgrade.Violation!);
        var subprotocol = policy.Subprotocols is { Count: > 0 } supported ? upgrade.Value.SelectSubprotocol(supported) : null;
        return ProtocolResult<AcceptedHandshake>.Complete(upgrade.Value.Accept(subprotocol));
    }

    /// <summary>
    /// Checks that a request is a valid opening handshake (§4.2.1) that the policy admits (§4.2.2
    /// item 4). Complete with the upgrade, which the server then accepts (choosing a subprotocol,
    /// adding headers) or refuses with a <see cref="HandshakeRejection"/>; otherwise the violation.
    /// </summary>
    public static ProtocolResult<PendingUpgrade> Validate(HttpRequestView request, ServerHandshakePolicy policy)
    {
        // §4.1 item 2 and §4.2.1 item 1: an HTTP/1.1 (or later) GET.
        if (request.Method != "GET")
            return Reject(ViolationKind.MethodNotGet, $"method {request.Method} is not GET (RFC 6455 §4.2.1)");
        if (!IsHttp11OrLater(request.HttpVersion))
            return Reject(ViolationKind.HttpVersionTooOld, $"{request.HttpVersion} is not HTTP/1.1 or later (RFC 6455 §4.2.1)");
        // §4.2.1 item 1 and §3: the resource name is a path; RFC 9112 §3.2: a GET's target is origin-form or absolute-form.
        if (!request.RawPath.StartsWith('/'))
            return Reject(ViolationKind.MalformedHead, $"request-target '{HttpHead.Printable(request.Target)}' is not a path (RFC 9112 §3.2, RFC 6455 §3)");
        var headers = request.Headers;
        // §4.2.1 item 2: a Host header field, and only one (RFC 9112 §3.2).
        if (headers.Single("Host", out int hosts) is null)
            return hosts == 0
                ? Reject(ViolationKind.HostMissing, "no Host header (RFC 6455 §4.2.1)")
                : Reject(ViolationKind.HostDuplicated, "more than one Host header (RFC 9112 §3.2)");
        // §4.2.1 items 3 and 4.
        if (!request.IsWebSocketUpgrade)
            return Reject(ViolationKind.UpgradeMissing, "no 'Upgrade: websocket' header (RFC 6455 §4.2.1)");
        if (!headers.HasToken("Connection", "Upgrade"))
            return Reject(ViolationKind.ConnectionUpgradeMissing, "Connection header lacks the 'Upgrade' token (RFC 6455 §4.2.1)");
        // §4.2.1 item 6 and §4.4: the version; answer 426 naming the one we speak.
        var versionValue = headers["Sec-WebSocket-Version"];
        if (versionValue != Handshake.Version)
            return Reject(ViolationKind.UnsupportedVersion,
                $"Sec-WebSocket-Version '{versionValue ?? "(missing)"}' is not supported; this server speaks 13 (RFC 6455 §4.4)");
        // §4.2.1 item 5: exactly one key, the base64 of 16 bytes.
        var key = headers.Single("Sec-WebSocket-Key", out int keys);
        if (keys == 0)
            return Reject(ViolationKind.KeyMissing, "no Sec-WebSocket-Key header (RFC 6455 §4.2.1)");
        if (keys > 1)
            return Reject(ViolationKind.KeyDuplicated, "more than one Sec-WebSocket-Key header (RFC 6455 §11.3.1)");
        if (!Handshake.IsValidKey(key))
            return Reject(ViolationKind.KeyInvalid, "Sec-WebSocket-Key is not the base64 of 16 bytes (RFC 6455 §4.2.1)");

        // §4.2.2 item 4: the resource name and the origin, as the policy allows.
        if (policy.Path is not null && request.RawPath != policy.Path)
            return Reject(ViolationKind.PathNotFound, $"no WebSocket endpoint at '{HttpHead.Printable(request.RawPath)}' (RFC 6455 §4.2.2)");
        var origin = request.Origin;
        if (policy.AllowedOrigins is not null && (origin is null || !policy.AllowedOrigins.Contains(origin)))
            return Reject(ViolationKind.OriginNotAllowed, $"origin '{origin ?? "(none)"}' is not allowed (RFC 6455 §10.2)");
        return ProtocolResult<PendingUpgrade>.Complete(new PendingUpgrade(request, key!));
    }

    private static bool IsHttp11OrLater(string version) =>
        version.StartsWith("HTTP/", StringComparison.Ordinal)
        && Version.TryParse(version[5..], out var v) && v >= new Version(1, 1);

    private static ProtocolResult<PendingUpgrade> Reject(ViolationKind kind, string reason) => ProtocolResult<PendingUpgrade>.Fail(kind, reason);
}

/// <summary>
/// A valid opening handshake (§4.2.1) waiting for the server's answer: <see cref="Accept(string?, IEnumerable{KeyValuePair{string, string}}?, PerMessageDeflateOptions?)"/> with
/// the subprotocol chosen and any extra headers, or a <see cref="HandshakeRejection"/> (§4.2.2 item
/// 4: the server may refuse for its own reasons, answering with an HTTP error).
/// </summary>
public sealed class PendingUpgrade
{
    internal PendingUpgrade(HttpRequestView request, string key)
    {
        Request = request;
        Key = key;
        AcceptValue = Handshake.ComputeAccept(key);
    }

    /// <summary>The request.</summary>
    public HttpRequestView Request { get; }

    /// <summary>The client's Sec-WebSocket-Key (§4.2.1 item 5).</summary>
    public string Key { get; }

    /// <summary>The Sec-WebSocket-Accept for the key (§4.2.2 step 5.4).</summary>
    public string AcceptValue { get; }

    /// <summary>The default choice (§4.2.2 /subprotocol/): the client's most preferred subprotocol
    /// among <paramref name="supported"/>, or null; see <see cref="Subprotocols.SelectFirstSupported"/>.</summary>
    public string? SelectSubprotocol(IEnumerable<string> supported) => Subprotocols.SelectFirstSupported(Request.Subprotocols, supported);

    /// <summary>
    /// The 101 Switching Protocols that accepts the upgrade (§4.2.2 step 5), with the subprotocol
    /// (§4.2.2 /subprotocol/: "MUST be derived from the client's handshake, specifically by selecting
    /// one of the values from the |Sec-WebSocket-Protocol| field"; null for none) and extra header
    /// fields, such as Set-Cookie. Throws an <see cref="ArgumentException"/> for a subprotocol the
    /// client did not offer (exact match, case included), a header name that is not a token, a value
    /// with CR, LF, NUL or another control character, or a <see cref="ServerHandshake.ReservedHeaders">reserved</see> name.
    /// </summary>
    public AcceptedHandshake Accept(string? subprotocol = null, IEnumerable<KeyValuePair<string, string>>? headers = null) =>
        Accept(subprotocol, headers, deflate: null);

    /// <summary>
    /// As <see cref="Accept(string?, IEnumerable{KeyValuePair{string, string}}?)"/>, and with
    /// <paramref name="deflate"/> the first permessage-deflate offer of the client it can accept
    /// (RFC 7692 §5.1, <see cref="PerMessageDeflate.Accept"/>), answered in Sec-WebSocket-Extensions;
    /// when none can be, or <paramref name="deflate"/> is null, no extension (the offers are declined).
    /// </summary>
    /// <param name="subprotocol">The subprotocol chosen from the client's offer; null for none.</param>
    /// <param name="headers">Extra header fields.</param>
    /// <param name="deflate">What the server agrees to for permessage-deflate; null declines every offer.</param>
    public AcceptedHandshake Accept(string? subprotocol, IEnumerable<KeyValuePair<string, string>>? headers, PerMessageDeflateOptions? deflate)
    {
        IReadOnlyList<string> declined = [];
        var agreed = deflate is null ? null : PerMessageDeflate.Accept(Request.Extensions, deflate.Validate(), out declined);
        if (subprotocol is not null && !Request.Subprotocols.Contains(subprotocol, StringComparer.Ordinal))
            throw new ArgumentException(Request.Subprotocols.Count == 0
                ? $"subprotocol '{HttpSyntax.Visible(subprotocol)}' chosen but the client offered none (RFC 6455 §4.2.2)"
                : $"subprotocol '{HttpSyntax.Visible(subprotocol)}' is not one the client offered ({string.Join(", ", Request.Subprotocols)}) (RFC 6455 §4.2.2)",
                nameof(subprotocol));
        var extra = HttpSyntax.CheckFields(headers, ServerHandshake.ReservedHeaders, "the handshake writes it (RFC 6455 §4.2.2)", nameof(headers));
        KeyValuePair<string, string>[] own = subprotocol is null
            ? [new("Upgrade", "websocket"), new("Connection", "Upgrade"), new("Sec-WebSocket-Accept", AcceptValue)]
            : [new("Upgrade", "websocket"), new("Connection", "Upgrade"), new("Sec-WebSocket-Accept", AcceptValue), new(Subprotocols.HeaderName, subprotocol)];
        if (agreed is not null)
            own = [.. own, new(WebSocketExtension.HeaderName, agreed.ToString())];
        var response = HttpResponse.Write(101, own, extra, default);
        return new AcceptedHandshake(Request.Target, Key, AcceptValue, Request.Origin, response)
        {
            Subprotocol = subprotocol,
            Deflate = agreed,
            DeclinedOffers = declined,
        };
    }
}

/// <summary>A request the server accepted, with the 101 response to send (§4.2.2).</summary>
public sealed record AcceptedHandshake(string Target, string Key, string Accept, string? Origin, byte[] Response)
{
    /// <summary>The subprotocol agreed on, sent in the response's Sec-WebSocket-Protocol; null for none (§4.2.2).</summary>
    public string? Subprotocol { get; init; }

    /// <summary>The permessage-deflate agreement sent in Sec-WebSocket-Extensions (RFC 7692 §7.1); null for none.</summary>
    public DeflateParameters? Deflate { get; init; }

    /// <summary>Why permessage-deflate offers were declined, one line each (for the log); empty when none was.</summary>
    public IReadOnlyList<string> DeclinedOffers { get; init; } = [];
}
