using System.Globalization;

namespace ActorWs.Protocol;

/// <summary>
/// A server's refusal of the upgrade as the client sees it: a status other than 101, its headers
/// and its body (RFC 6455 §4.1: "If the status code received from the server is not 101, the client
/// handles the response per HTTP [RFC2616] procedures"), so that an application can tell a 401 it
/// can answer with credentials from a 503 to retry later (its Retry-After) or a 3xx to follow
/// (its Location). Immutable.
/// </summary>
public sealed class HandshakeRefusal
{
    private HandshakeRefusal(int statusCode, string reasonPhrase, ReadOnlyMultiMap headers, HttpBody body)
    {
        StatusCode = statusCode;
        ReasonPhrase = reasonPhrase;
        Headers = headers;
        Body = body;
    }

    /// <summary>The status, never 101.</summary>
    public int StatusCode { get; }

    /// <summary>The reason phrase of the status line, as sent (possibly empty, RFC 9112 §4).</summary>
    public string ReasonPhrase { get; }

    /// <summary>The response's header fields, names case-insensitive, repeated ones kept.</summary>
    public ReadOnlyMultiMap Headers { get; }

    /// <summary>The body, as much as was read (<see cref="HttpBodyReader"/>).</summary>
    public HttpBody Body { get; }

    /// <summary>
    /// The refusal in a response head that <see cref="ClientHandshake.Validate"/> reported as
    /// <see cref="ViolationKind.StatusNot101"/>, with the body read after it (<see cref="HttpBody.Empty"/>
    /// when none was). Throws an <see cref="ArgumentException"/> for a head that is no status line or is a 101.
    /// </summary>
    public static HandshakeRefusal Create(HttpHead responseHead, HttpBody body)
    {
        if (!TryReadStatusLine(responseHead.StartLine, out int status, out var reasonPhrase))
            throw new ArgumentException($"not a response head: '{HttpHead.Printable(responseHead.StartLine)}'", nameof(responseHead));
        if (status == 101)
            throw new ArgumentException("a 101 Switching Protocols is no refusal", nameof(responseHead));
        return new HandshakeRefusal(status, reasonPhrase, responseHead.Headers, body);
    }

    /// <summary>
    /// How long the server asks the client to wait before trying again: a Retry-After in
    /// delay-seconds (RFC 9110 §10.2.3), as a 503 or a 429 carries it; null when there is none, it
    /// appears more than once, or it is an HTTP-date (which would need the client's clock to agree
    /// with the server's).
    /// </summary>
    public TimeSpan? RetryAfter =>
        Headers.Single("Retry-After", out _) is { Length: > 0 and <= 9 } value && !value.AsSpan().ContainsAnyExceptInRange('0', '9')
            ? TimeSpan.FromSeconds(int.Parse(value, NumberStyles.None, CultureInfo.InvariantCulture))
            : null;

    /// <summary>The status, its phrase and the start of the body.</summary>
    public override string ToString()
    {
        var text = Body.Text.Trim();
        return text.Length == 0 ? $"{StatusCode} {ReasonPhrase}".TrimEnd() : $"{StatusCode} {ReasonPhrase}: {HttpHead.Printable(text)}";
    }

    /// <summary>status-line = HTTP-version SP status-code SP [ reason-phrase ] (RFC 9112 §4), an
    /// HTTP/1.x version and a status code of three digits.</summary>
    internal static bool TryReadStatusLine(string line, out int status, out string reasonPhrase)
    {
        status = 0;
        reasonPhrase = "";
        var parts = line.Split(' ', 3);
        if (parts.Length < 2 || !parts[0].StartsWith("HTTP/1.", StringComparison.Ordinal)
            || parts[1].Length != 3 || parts[1].AsSpan().ContainsAnyExceptInRange('0', '9'))
            return false;
        status = int.Parse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture);
        reasonPhrase = parts.Length > 2 ? parts[2] : "";
        return true;
    }
}
