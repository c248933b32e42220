using System.Text;

namespace ActorWs.Protocol;

/// <summary>
/// A plain HTTP/1.1 response, for a request at the door that is no WebSocket upgrade (a health
/// check, a page, a HEAD): status, headers and body in one array, ready to write before the
/// connection is closed. Header names and values are checked (<see cref="HttpSyntax"/>): an
/// application cannot inject a line, nor set the fields that frame the message.
/// </summary>
public static class HttpResponse
{
    /// <summary>
    /// The fields the core writes itself in every response it builds, so that the message's framing
    /// cannot disagree with its bytes (RFC 9112 §6.1–§6.3, §11.2: a second or wrong Content-Length or
    /// a Transfer-Encoding is how responses are smuggled): Content-Length, Transfer-Encoding and
    /// Connection (always <c>close</c>: the door answers one request, RFC 9112 §9.6).
    /// </summary>
    public static IReadOnlyList<string> ReservedHeaders { get; } = ["Content-Length", "Transfer-Encoding", "Connection"];

    /// <summary>
    /// The response to <paramref name="request"/>: with its body, or, for a <c>HEAD</c>, the same
    /// head with no body (RFC 9110 §9.3.2; its Content-Length is the body's, §8.6).
    /// </summary>
    /// <param name="request">The request answered.</param>
    /// <param name="statusCode">The status, 200–599.</param>
    /// <param name="headers">Extra header fields, in order (Content-Type among them: none is added).</param>
    /// <param name="body">The content.</param>
    public static byte[] Create(HttpRequestView request, int statusCode, IEnumerable<KeyValuePair<string, string>>? headers = null,
        ReadOnlySpan<byte> body = default) =>
        Create(statusCode, headers, body, omitBody: request.Method == "HEAD");

    /// <summary>
    /// A response with <c>Connection: close</c> and a Content-Length (none for 204 and 304, which
    /// have no content, RFC 9110 §8.6, §15.3.5, §15.4.5). Throws an <see cref="ArgumentException"/>
    /// for a status outside 200–599 (1xx are interim responses, and 101 is the handshake's, §4.2.2),
    /// a body with 204 or 304, a header name that is not a token, a value with CR, LF, NUL or another
    /// control character, or a <see cref="ReservedHeaders">reserved</see> name.
    /// </summary>
    /// <param name="statusCode">The status, 200–599.</param>
    /// <param name="headers">Extra header fields, in order (Content-Type among them: none is added).</param>
    /// <param name="body">The content.</param>
    /// <param name="omitBody">Leave the body out but keep its Content-Length: the answer to a HEAD (RFC 9110 §9.3.2).</param>
    public static byte[] Create(int statusCode, IEnumerable<KeyValuePair<string, string>>? headers = null,
        ReadOnlySpan<byte> body = default, bool omitBody = false)
    {
        if (statusCode is < 200 or > 599)
            throw new ArgumentOutOfRangeException(nameof(statusCode), statusCode, "a plain HTTP response has a final status, 200–599 (RFC 9110 §15)");
        bool noContent = statusCode is 204 or 304;
        if (noContent && !body.IsEmpty)
            throw new ArgumentException($"a {statusCode} response has no content (RFC 9110 §15.3.5, §15.4.5)", nameof(body));
        var fields = HttpSyntax.CheckFields(headers, ReservedHeaders, "the core frames the response itself (RFC 9112 §6.3, §9.6)", nameof(headers));
        return Write(statusCode, Framing(body.Length, contentLength: !noContent), fields, omitBody ? default : body);
    }

    /// <summary>Connection: close and, where the status has content, its length.</summary>
    internal static KeyValuePair<string, string>[] Framing(int bodyLength, bool contentLength = true) => contentLength
        ? [new("Connection", "close"), new("Content-Length", bodyLength.ToString(System.Globalization.CultureInfo.InvariantCulture))]
        : [new("Connection", "close")];

    /// <summary>Status line, the core's fields, the checked fields, the empty line, the body.</summary>
    internal static byte[] Write(int statusCode, IEnumerable<KeyValuePair<string, string>> ownFields,
        IEnumerable<KeyValuePair<string, string>> checkedFields, ReadOnlySpan<byte> body)
    {
        var sb = new StringBuilder();
        sb.Append("HTTP/1.1 ").Append(statusCode).Append(' ').Append(HandshakeRejection.StatusText(statusCode)).Append("\r\n");
        foreach (var (name, value) in ownFields.Concat(checkedFields))
            sb.Append(name).Append(": ").Append(value).Append("\r\n");
        sb.Append("\r\n");
        var head = Encoding.ASCII.GetBytes(sb.ToString());
        var response = new byte[head.Length + body.Length];
        head.CopyTo(response, 0);
        body.CopyTo(response.AsSpan(head.Length));
        return response;
    }
}
