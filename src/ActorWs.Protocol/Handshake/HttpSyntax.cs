using System.Buffers;

namespace ActorWs.Protocol;

/// <summary>
/// The pieces of HTTP syntax the handshake checks: tokens (RFC 9110 §5.6.2, formerly RFC 7230
/// §3.2.6) and field values (RFC 9110 §5.5). What the application hands the core to put into a
/// request or a response is checked here, so that no CR, LF or NUL of its (or its users') making
/// can end a header line early and start one of an attacker's choosing (RFC 9112 §2.2, §11.1).
/// </summary>
public static class HttpSyntax
{
    private const string TokenCharacters = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    /// <summary>tchar (RFC 9110 §5.6.2) as characters.</summary>
    private static readonly SearchValues<char> TokenChars = SearchValues.Create(TokenCharacters);

    /// <summary>tchar (RFC 9110 §5.6.2) as bytes, for the head reader.</summary>
    internal static readonly SearchValues<byte> TokenBytes = SearchValues.Create(System.Text.Encoding.ASCII.GetBytes(TokenCharacters));

    /// <summary>
    /// Whether <paramref name="value"/> is a token: one or more of the visible ASCII characters that
    /// are not delimiters (RFC 9110 §5.6.2: <c>token = 1*tchar</c>). Header names, methods,
    /// subprotocol names (RFC 6455 §4.1, §11.3.4) and extension names (§9.1) are tokens.
    /// </summary>
    public static bool IsToken(ReadOnlySpan<char> value) => !value.IsEmpty && !value.ContainsAnyExcept(TokenChars);

    /// <summary>
    /// Whether <paramref name="value"/> may be sent as a header field value: visible US-ASCII,
    /// space and horizontal tab only (RFC 9110 §5.5: field-vchar, SP, HTAB; non-ASCII obs-text is
    /// refused, as §5.5 advises new values to be US-ASCII). So no CR, LF or NUL, nor any other
    /// control character that a strict recipient (this core's <see cref="HttpHead.Parse"/>
    /// among them) would refuse the whole head for.
    /// </summary>
    public static bool IsFieldValue(ReadOnlySpan<char> value)
    {
        foreach (char c in value)
        {
            if (c is not ('\t' or (>= ' ' and <= '~')))
                return false;
        }
        return true;
    }

    /// <summary>
    /// Checks header fields the application asks the core to send; the application's mistake, so an
    /// exception rather than a violation: an <see cref="ArgumentException"/> for a name that is not a
    /// token, a value with CR, LF, NUL, another control character or non-ASCII (no header injection),
    /// or a reserved name. Returns them as an array the caller may keep (the caller's collection is
    /// not kept, so changing it later changes nothing).
    /// </summary>
    /// <param name="headers">The fields, in order; null for none.</param>
    /// <param name="reserved">Names the core writes itself, compared case-insensitively (RFC 9110 §5.1).</param>
    /// <param name="why">Why the reserved names may not be given, for the exception's message.</param>
    /// <param name="paramName">The parameter the fields came in.</param>
    public static KeyValuePair<string, string>[] CheckFields(IEnumerable<KeyValuePair<string, string>>? headers,
        IReadOnlyCollection<string> reserved, string why, string paramName)
    {
        if (headers is null)
            return [];
        var checkedFields = headers.ToArray();
        foreach (var (name, value) in checkedFields)
        {
            if (name is null || !IsToken(name))
                throw new ArgumentException($"header name '{Visible(name)}' is not an HTTP token (RFC 9110 §5.6.2)", paramName);
            if (value is null || !IsFieldValue(value))
                throw new ArgumentException(
                    $"the value of header '{name}' holds a character that may not be sent: CR, LF, NUL, another control character or non-ASCII (RFC 9110 §5.5)", paramName);
            if (reserved.Contains(name, StringComparer.OrdinalIgnoreCase))
                throw new ArgumentException($"header '{name}' cannot be set here: {why}", paramName);
        }
        return checkedFields;
    }

    /// <summary>A string for an error message, with control characters shown as escapes.</summary>
    internal static string Visible(string? s) =>
        s is null ? "(null)" : string.Concat(s.Take(60).Select(c => c is < ' ' or '\x7F' ? $"\\x{(int)c:X2}" : c.ToString()));
}
