using System.Text;

namespace ActorWs.Protocol;

/// <summary>What the server requires of a client's opening handshake.</summary>
/// <param name="Path">The resource name that upgrades; null accepts any path.</param>
/// <param name="AllowedOrigins">When set, the Origin header must be one of these (§4.2.2, §10.2).</param>
public sealed record ServerHandshakePolicy(string? Path = null, IReadOnlySet<string>? AllowedOrigins = null);

/// <summary>The server's reading of the client's opening handshake (RFC 6455 §4.2.1) and its
/// answer (§4.2.2).</summary>
public static class ServerHandshake
{
    /// <summary>Checks a request head. Complete with the 101 response and the client's key; otherwise
    /// the violation, from which <see cref="HandshakeRejection"/> builds the answer to send before closing.</summary>
    public static ProtocolResult<AcceptedHandshake> Accept(ReadOnlySpan<byte> head, ServerHandshakePolicy policy)
    {
        var parsed = HttpHead.Parse(head);
        if (!parsed.IsComplete)
            return Reject(parsed.Violation!);
        var request = parsed.Value;
        var parts = request.StartLine.Split(' ');
        if (parts.Length != 3)
            return Reject(ViolationKind.MalformedHead, $"malformed request line '{HttpHead.Printable(request.StartLine)}'");
        var (method, target, version) = (parts[0], parts[1], parts[2]);

        // §4.1 item 2 and §4.2.1 item 1: an HTTP/1.1 (or later) GET.
        if (method != "GET")
            return Reject(ViolationKind.MethodNotGet, $"method {method} is not GET (RFC 6455 §4.2.1)");
        if (!IsHttp11OrLater(version))
            return Reject(ViolationKind.HttpVersionTooOld, $"{version} is not HTTP/1.1 or later (RFC 6455 §4.2.1)");
        // §4.2.1 item 2: a Host header field, and only one (RFC 9112 §3.2).
        if (request.Single("Host", out int hosts) is null)
            return hosts == 0
                ? Reject(ViolationKind.HostMissing, "no Host header (RFC 6455 §4.2.1)")
                : Reject(ViolationKind.HostDuplicated, "more than one Host header (RFC 9112 §3.2)");
        // §4.2.1 items 3 and 4.
        if (!request.HasToken("Upgrade", "websocket"))
            return Reject(ViolationKind.UpgradeMissing, "no 'Upgrade: websocket' header (RFC 6455 §4.2.1)");
        if (!request.HasToken("Connection", "Upgrade"))
            return Reject(ViolationKind.ConnectionUpgradeMissing, "Connection header lacks the 'Upgrade' token (RFC 6455 §4.2.1)");
        // §4.2.1 item 6 and §4.4: the version; answer 426 naming the one we speak.
        var versionValue = request.Single("Sec-WebSocket-Version", out _);
        if (versionValue != Handshake.Version)
            return Reject(ViolationKind.UnsupportedVersion,
                $"Sec-WebSocket-Version '{versionValue ?? "(missing)"}' is not supported; this server speaks 13 (RFC 6455 §4.4)");
        // §4.2.1 item 5: exactly one key, the base64 of 16 bytes.
        var key = request.Single("Sec-WebSocket-Key", out int keys);
        if (keys == 0)
            return Reject(ViolationKind.KeyMissing, "no Sec-WebSocket-Key header (RFC 6455 §4.2.1)");
        if (keys > 1)
            return Reject(ViolationKind.KeyDuplicated, "more than one Sec-WebSocket-Key header (RFC 6455 §11.3.1)");
        if (!Handshake.IsValidKey(key))
            return Reject(ViolationKind.KeyInvalid, "Sec-WebSocket-Key is not the base64 of 16 bytes (RFC 6455 §4.2.1)");

        // §4.2.2 item 4: the resource name and the origin, as the policy allows.
        var path = target;
        int query = path.IndexOf('?');
        if (query >= 0)
            path = path[..query];
        if (policy.Path is not null && path != policy.Path)
            return Reject(ViolationKind.PathNotFound, $"no WebSocket endpoint at '{HttpHead.Printable(path)}' (RFC 6455 §4.2.2)");
        var origin = request["Origin"];
        if (policy.AllowedOrigins is not null && (origin is null || !policy.AllowedOrigins.Contains(origin)))
            return Reject(ViolationKind.OriginNotAllowed, $"origin '{origin ?? "(none)"}' is not allowed (RFC 6455 §10.2)");

        var acceptValue = Handshake.ComputeAccept(key!);
        var response = Encoding.ASCII.GetBytes(
            "HTTP/1.1 101 Switching Protocols\r\n" +
            "Upgrade: websocket\r\n" +
            "Connection: Upgrade\r\n" +
            $"Sec-WebSocket-Accept: {acceptValue}\r\n\r\n");
        return ProtocolResult<AcceptedHandshake>.Complete(new AcceptedHandshake(target, key!, acceptValue, origin, response));
    }

    private static bool IsHttp11OrLater(string version) =>
        version.StartsWith("HTTP/", StringComparison.Ordinal)
        && Version.TryParse(version[5..], out var v) && v >= new Version(1, 1);

    private static ProtocolResult<AcceptedHandshake> Reject(ViolationKind kind, string reason) => ProtocolResult<AcceptedHandshake>.Fail(kind, reason);

    private static ProtocolResult<AcceptedHandshake> Reject(ProtocolViolation violation) => ProtocolResult<AcceptedHandshake>.Fail(violation);
}

/// <summary>A request the server accepted, with the 101 response to send (§4.2.2).</summary>
public sealed record AcceptedHandshake(string Target, string Key, string Accept, string? Origin, byte[] Response);
