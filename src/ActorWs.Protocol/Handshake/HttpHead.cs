using System.Text;

namespace ActorWs.Protocol;

/// <summary>
/// A parsed HTTP/1.1 head: the start line and the header fields, names case-insensitive, repeated
/// fields kept in order (RFC 9110 §5.3). Parsing is strict and never throws for bad input.
/// </summary>
public sealed class HttpHead
{
    private readonly ReadOnlyMultiMap _fields;

    private HttpHead(string startLine, List<KeyValuePair<string, string>> fields)
    {
        StartLine = startLine;
        _fields = new ReadOnlyMultiMap(fields, ignoreCase: true);
    }

    /// <summary>The request line or status line.</summary>
    public string StartLine { get; }

    /// <summary>The header fields in order, repeated ones kept; immutable.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Fields => _fields;

    /// <summary>The header fields in order, repeated ones kept, names case-insensitive (RFC 9110 §5.1).</summary>
    public ReadOnlyMultiMap Headers => _fields;

    /// <summary>All values of a field, in order.</summary>
    public IEnumerable<string> Values(string name) => _fields.Values(name);

    /// <summary>The field's value if it appears exactly once; null if absent.</summary>
    public string? Single(string name, out int count) => _fields.Single(name, out count);

    /// <summary>The field's value if it appears exactly once; null otherwise.</summary>
    public string? this[string name] => _fields[name];

    /// <summary>Whether a comma-separated field (such as Connection or Upgrade) holds a token,
    /// compared case-insensitively (RFC 6455 §4.2.1).</summary>
    public bool HasToken(string name, string token) => _fields.HasToken(name, token);

    /// <summary>Parses a head that ends with CRLFCRLF, as <see cref="HttpHeadReader"/> yields it.</summary>
    public static ProtocolResult<HttpHead> Parse(ReadOnlySpan<byte> head)
    {
        foreach (byte b in head)
        {
            // Field values are visible ASCII, space and tab; obs-text is allowed but never needed here.
            if (b == 0 || (b < 0x20 && b != (byte)'\r' && b != (byte)'\n' && b != (byte)'\t') || b == 0x7F)
                return Malformed("control characters in the HTTP head");
        }
        var text = Encoding.Latin1.GetString(head);
        var lines = text.Split("\r\n");
        if (lines.Length < 3 || lines[^1].Length != 0 || lines[^2].Length != 0)
            return Malformed("the HTTP head does not end with an empty line");
        var fields = new List<KeyValuePair<string, string>>();
        for (int i = 1; i < lines.Length - 2; i++)
        {
            var line = lines[i];
            int colon = line.IndexOf(':');
            // A bare CR or LF inside a line is how request smuggling starts (RFC 9112 §2.2): refuse it.
            if (colon <= 0 || line[..colon].Any(c => c is ' ' or '\t') || line.Contains('\n') || line.Contains('\r'))
                return Malformed($"malformed header line '{Printable(line)}'");
            fields.Add(new(line[..colon], line[(colon + 1)..].Trim(' ', '\t')));
        }
        if (lines[0].Length == 0 || lines[0].Contains('\n') || lines[0].Contains('\r'))
            return Malformed("missing start line");
        return ProtocolResult<HttpHead>.Complete(new HttpHead(lines[0], fields));
    }

    private static ProtocolResult<HttpHead> Malformed(string reason) => ProtocolResult<HttpHead>.Fail(ViolationKind.MalformedHead, reason);

    /// <summary>A text from a head shortened for a log line or an error message: at most 60 characters
    /// (a head may hold lines of kilobytes).</summary>
    public static string Printable(string s) => s.Length > 60 ? s[..60] + "…" : s;
}
