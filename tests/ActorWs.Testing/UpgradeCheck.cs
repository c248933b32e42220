namespace ActorWs.Testing;

/// <summary>
/// The opening handshake's checks (§4.1, §4.2.1), on an HTTP head as text, written apart from
/// ActorWs's ClientHandshake and HttpHead so that a raw peer judges ActorWs's side of the handshake
/// with code that is not the code under test. Each returns what is wrong, or null.
/// </summary>
public static class UpgradeCheck
{
    /// <summary>A server's answer to a request with <paramref name="key"/>, as §4.1 tells the client to
    /// check it: 101, Upgrade: websocket, Connection: Upgrade, the Accept for the key, and no
    /// extension or subprotocol that was not asked for.</summary>
    public static string? Response(string head, string key)
    {
        var (startLine, fields) = Parse(head);
        var status = startLine.Split(' ', 3);
        if (status.Length < 2 || status[0] != "HTTP/1.1" || status[1] != "101")
            return $"the status line is '{startLine}', not 'HTTP/1.1 101 ...'";
        if (!HasToken(fields, "Upgrade", "websocket"))
            return "no 'Upgrade: websocket'";
        if (!HasToken(fields, "Connection", "Upgrade"))
            return "no 'Connection: Upgrade'";
        var accept = Values(fields, "Sec-WebSocket-Accept");
        if (accept is not [var value] || value != Wire.Accept(key))
            return $"Sec-WebSocket-Accept is '{string.Join(", ", accept)}', not '{Wire.Accept(key)}' for the key '{key}'";
        if (Values(fields, "Sec-WebSocket-Extensions").Count > 0)
            return "an extension that was not asked for";
        if (Values(fields, "Sec-WebSocket-Protocol").Count > 0)
            return "a subprotocol that was not asked for";
        return null;
    }

    /// <summary>A client's upgrade request as §4.1 says a client must send it (the server's checks of
    /// §4.2.1): GET of <paramref name="path"/> (any, when null) over HTTP/1.1, a Host, Upgrade:
    /// websocket, Connection: Upgrade, one Sec-WebSocket-Key of 16 bytes in base64, and
    /// Sec-WebSocket-Version: 13. The key is returned for the answer.</summary>
    public static (string? Problem, string? Key) Request(string head, string? path = null)
    {
        var (startLine, fields) = Parse(head);
        var request = startLine.Split(' ');
        if (request.Length != 3 || request[0] != "GET" || request[2] != "HTTP/1.1")
            return ($"the request line is '{startLine}', not 'GET <path> HTTP/1.1'", null);
        if (path is not null && request[1] != path)
            return ($"the request is for '{request[1]}', not '{path}'", null);
        if (Values(fields, "Host") is not [_])
            return ("not exactly one Host", null);
        if (!HasToken(fields, "Upgrade", "websocket"))
            return ("no 'Upgrade: websocket'", null);
        if (!HasToken(fields, "Connection", "Upgrade"))
            return ("no 'Connection: Upgrade'", null);
        if (Values(fields, "Sec-WebSocket-Version") is not ["13"])
            return ("not 'Sec-WebSocket-Version: 13'", null);
        var keys = Values(fields, "Sec-WebSocket-Key");
        if (keys is not [var key])
            return ($"{keys.Count} Sec-WebSocket-Key headers, not one", null);
        var decoded = new byte[24];
        if (!Convert.TryFromBase64String(key, decoded, out int length) || length != 16)
            return ($"the key '{key}' is not 16 bytes in base64", null);
        return (null, key);
    }

    /// <summary>The start line and the header fields of a head (RFC 9112 §2.1: CRLF-separated,
    /// "name: value", names compared without case).</summary>
    private static (string StartLine, List<(string Name, string Value)> Fields) Parse(string head)
    {
        var lines = head.Split("\r\n");
        var fields = new List<(string, string)>();
        foreach (var line in lines.Skip(1).TakeWhile(l => l.Length > 0))
        {
            int colon = line.IndexOf(':');
            fields.Add(colon < 0 ? (line, "") : (line[..colon].Trim(), line[(colon + 1)..].Trim()));
        }
        return (lines[0], fields);
    }

    private static List<string> Values(List<(string Name, string Value)> fields, string name) =>
        fields.Where(f => f.Name.Equals(name, StringComparison.OrdinalIgnoreCase)).Select(f => f.Value).ToList();

    /// <summary>Whether a comma-separated header holds a token, without case (RFC 9110 §5.6.1).</summary>
    private static bool HasToken(List<(string Name, string Value)> fields, string name, string token) =>
        Values(fields, name).SelectMany(v => v.Split(',')).Any(t => t.Trim().Equals(token, StringComparison.OrdinalIgnoreCase));
}
