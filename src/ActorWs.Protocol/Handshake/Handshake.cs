using System.Security.Cryptography;
using System.Text;

namespace ActorWs.Protocol;

/// <summary>What the opening handshake (RFC 6455 §4) shares between the two roles.</summary>
public static class Handshake
{
    /// <summary>The GUID of §1.3, the same in every implementation.</summary>
    public const string Guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    /// <summary>The protocol version of this RFC (§4.1, §11.6).</summary>
    public const string Version = "13";

    /// <summary>Sec-WebSocket-Accept: base64(SHA-1(key + GUID)) (§4.2.2 step 5.4).</summary>
    public static string ComputeAccept(string key)
    {
        Span<byte> hash = stackalloc byte[SHA1.HashSizeInBytes];
        SHA1.HashData(Encoding.ASCII.GetBytes(key + Guid), hash);
        return Convert.ToBase64String(hash);
    }

    /// <summary>A fresh Sec-WebSocket-Key: 16 random bytes in base64 (§4.1 item 7).</summary>
    public static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));

    /// <summary>Whether a key is the base64 form of exactly 16 bytes (§4.2.1 item 5).</summary>
    public static bool IsValidKey(string? key)
    {
        if (key is null || key.Length != 24)
            return false;
        Span<byte> decoded = stackalloc byte[18];
        return Convert.TryFromBase64String(key, decoded, out int written) && written == 16;
    }
}

/// <summary>
/// A refusal of the opening handshake: the HTTP status, a reason a person can read, any header the
/// status calls for (such as Sec-WebSocket-Version with 426, §4.4, or the application's
/// WWW-Authenticate with 401) and a short body (the reason, unless another is given). Built from a
/// violation (§4.2.1: "an appropriate error code") or by the application deciding an upgrade.
/// </summary>
public sealed record HandshakeRejection
{
    /// <summary>
    /// A refusal the server decides. Throws an <see cref="ArgumentException"/> for a status outside
    /// 300–599 (a refusal is no success, and a 3xx may send the client elsewhere, §4.1: "MAY redirect"),
    /// a header name that is not a token, a value with CR, LF, NUL or another control character, or
    /// a name the core writes itself (<see cref="HttpResponse.ReservedHeaders"/>).
    /// </summary>
    /// <param name="statusCode">The status, 300–599.</param>
    /// <param name="reason">Why, for people and logs; the body when <paramref name="body"/> is null.</param>
    /// <param name="headers">Extra header fields, in order; a Content-Type replaces the default text/plain.</param>
    /// <param name="body">The body, sent as UTF-8; null sends the reason and a newline.</param>
    public HandshakeRejection(int statusCode, string reason, IReadOnlyList<KeyValuePair<string, string>>? headers = null, string? body = null)
        : this(CheckStatus(statusCode), reason,
            HttpSyntax.CheckFields(headers, HttpResponse.ReservedHeaders, "the core frames the response itself (RFC 9112 §6.3, §9.6)", nameof(headers)),
            body, kind: null)
    {
    }

    /// <summary>The answer to a bad opening handshake (§4.2.1, §4.2.2): the status and the headers
    /// follow from the violation's kind.</summary>
    public HandshakeRejection(ProtocolViolation violation)
        : this(violation.HttpStatus ?? 400, violation.Reason, HeadersFor(violation.Kind), body: null, violation.Kind)
    {
    }

    private HandshakeRejection(int statusCode, string reason, KeyValuePair<string, string>[] headers, string? body, ViolationKind? kind)
    {
        StatusCode = statusCode;
        Reason = reason ?? throw new ArgumentNullException(nameof(reason));
        Headers = Array.AsReadOnly(headers);
        Body = body ?? reason + "\n";
        Kind = kind;
    }

    /// <summary>The HTTP status.</summary>
    public int StatusCode { get; }

    /// <summary>Why, for people and logs.</summary>
    public string Reason { get; }

    /// <summary>The header fields sent besides the core's own (Connection, Content-Type, Content-Length).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; }

    /// <summary>The body, sent as UTF-8.</summary>
    public string Body { get; }

    /// <summary>The rule the client broke; null for a refusal that is no violation (such as a timeout, or the application's).</summary>
    public ViolationKind? Kind { get; }

    private static int CheckStatus(int statusCode) => statusCode is >= 300 and <= 599
        ? statusCode
        : throw new ArgumentOutOfRangeException(nameof(statusCode), statusCode, "a refusal has a 3xx, 4xx or 5xx status (RFC 6455 §4.1, §4.2.1)");

    private static KeyValuePair<string, string>[] HeadersFor(ViolationKind kind) => kind switch
    {
        // RFC 9110 §15.5.6: a 405 lists the methods the resource allows.
        ViolationKind.MethodNotGet => [new("Allow", "GET")],
        // RFC 9110 §15.5.22: a 426 names the protocol to upgrade to (and §7.8: Upgrade goes with the
        // upgrade connection option, listed beside the close one).
        ViolationKind.UpgradeMissing => [new("Upgrade", "websocket"), new("Connection", "Upgrade")],
        // §4.4: the versions this server speaks; a 426 all the same (RFC 9110 §15.5.22).
        ViolationKind.UnsupportedVersion => [new("Upgrade", "websocket"), new("Connection", "Upgrade"), new("Sec-WebSocket-Version", Handshake.Version)],
        _ => [],
    };

    /// <summary>The HTTP response that refuses the upgrade: the status, <c>Connection: close</c>, a
    /// Content-Type (text/plain unless the headers name one), the Content-Length, the headers and the body.</summary>
    public byte[] ToResponse()
    {
        var body = Encoding.UTF8.GetBytes(Body);
        var framing = HttpResponse.Framing(body.Length);
        KeyValuePair<string, string>[] ownFields = Headers.Any(h => h.Key.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
            ? framing
            : [framing[0], new("Content-Type", "text/plain; charset=utf-8"), framing[1]];
        return HttpResponse.Write(StatusCode, ownFields, Headers, body);
    }

    /// <summary>The reason phrase for an HTTP status (RFC 9110 §15, RFC 6585); "Error" for another
    /// 4xx or 5xx, and empty for another status (a reason phrase may be empty, RFC 9112 §4).</summary>
    public static string StatusText(int status) => status switch
    {
        101 => "Switching Protocols",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        413 => "Content Too Large",
        414 => "URI Too Long",
        426 => "Upgrade Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        >= 400 and <= 599 => "Error",
        _ => "",
    };

    /// <summary>The status, its phrase and the reason.</summary>
    public override string ToString() => $"{StatusCode} {StatusText(StatusCode)}: {Reason}";
}
