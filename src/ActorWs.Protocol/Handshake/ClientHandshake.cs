using System.Text;

namespace ActorWs.Protocol;

/// <summary>The client's side of the opening handshake: the request (RFC 6455 §4.1) and the checks
/// on the server's answer (§4.1, "the client MUST validate the server's response").</summary>
public sealed class ClientHandshake
{
    private ClientHandshake(string key, byte[] request)
    {
        Key = key;
        Request = request;
        ExpectedAccept = Handshake.ComputeAccept(key);
    }

    /// <summary>The Sec-WebSocket-Key sent: 16 random bytes, base64 (§4.1).</summary>
    public string Key { get; }
    /// <summary>The Sec-WebSocket-Accept the server must answer with (§4.2.2).</summary>
    public string ExpectedAccept { get; }
    /// <summary>The whole upgrade request, ready to write.</summary>
    public byte[] Request { get; }

    /// <summary>A request for a ws:// URI with a fresh random key.</summary>
    public static ClientHandshake Create(Uri uri, string? origin = null)
    {
        if (uri.Scheme is not ("ws" or "http"))
            throw new ArgumentException($"unsupported scheme '{uri.Scheme}': only ws:// is supported", nameof(uri));
        if (!string.IsNullOrEmpty(uri.Fragment))
            throw new ArgumentException("a WebSocket URI has no fragment (RFC 6455 §3)", nameof(uri));
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
        sb.Append("\r\n");
        return new ClientHandshake(key, Encoding.ASCII.GetBytes(sb.ToString()));
    }

    /// <summary>Checks the server's response head: 101, Upgrade: websocket, Connection: Upgrade and
    /// the Accept value for our key (§4.1, items 1–4 of the client's checks), and no extension or
    /// subprotocol we did not ask for (items 5 and 6). Complete with the parsed response; otherwise
    /// the violation for which the client fails the connection.</summary>
    public ProtocolResult<HttpHead> Validate(ReadOnlySpan<byte> responseHead)
    {
        var parsed = HttpHead.Parse(responseHead);
        if (!parsed.IsComplete)
            return parsed;
        var response = parsed.Value;
        var parts = response.StartLine.Split(' ', 3);
        if (parts.Length < 2 || !parts[0].StartsWith("HTTP/1.", StringComparison.Ordinal))
            return Fail(ViolationKind.MalformedHead, $"not an HTTP/1.1 status line: '{HttpHead.Printable(response.StartLine)}'");
        if (parts[1] != "101")
            return Fail(ViolationKind.StatusNot101, $"server answered {parts[1]} {(parts.Length > 2 ? parts[2] : "")}, not 101 Switching Protocols (RFC 6455 §4.1)".TrimEnd());
        if (!response.HasToken("Upgrade", "websocket"))
            return Fail(ViolationKind.ResponseUpgradeMissing, "response lacks 'Upgrade: websocket' (RFC 6455 §4.1)");
        if (!response.HasToken("Connection", "Upgrade"))
            return Fail(ViolationKind.ResponseConnectionUpgradeMissing, "response lacks 'Connection: Upgrade' (RFC 6455 §4.1)");
        var accept = response.Single("Sec-WebSocket-Accept", out _);
        if (accept != ExpectedAccept)
            return Fail(ViolationKind.AcceptMismatch, $"Sec-WebSocket-Accept '{accept ?? "(missing)"}' does not match the expected '{ExpectedAccept}' (RFC 6455 §4.1)");
        if (response.Values("Sec-WebSocket-Extensions").Any())
            return Fail(ViolationKind.UnrequestedExtension, "server selected an extension that was not requested (RFC 6455 §4.1)");
        if (response.Values("Sec-WebSocket-Protocol").Any())
            return Fail(ViolationKind.UnrequestedSubprotocol, "server selected a subprotocol that was not requested (RFC 6455 §4.1)");
        return parsed;
    }

    private static ProtocolResult<HttpHead> Fail(ViolationKind kind, string reason) => ProtocolResult<HttpHead>.Fail(kind, reason);
}
