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
    /// <summary>Checks a request head. On success returns the 101 response and the client's key;
    /// otherwise the rejection to send before closing.</summary>
    public static bool TryAccept(ReadOnlySpan<byte> head, ServerHandshakePolicy policy,
        out AcceptedHandshake? accepted, out HandshakeRejection? rejection)
    {
        accepted = null;
        if (!HttpHead.TryParse(head, out var request, out var error))
            return Reject(out rejection, 400, error!);
        var parts = request!.StartLine.Split(' ');
        if (parts.Length != 3)
            return Reject(out rejection, 400, $"malformed request line '{HttpHead.Printable(request.StartLine)}'");
        var (method, target, version) = (parts[0], parts[1], parts[2]);

        // §4.1 item 2 and §4.2.1 item 1: an HTTP/1.1 (or later) GET.
        if (method != "GET")
            return Reject(out rejection, 405, $"method {method} is not GET (RFC 6455 §4.2.1)", ("Allow", "GET"));
        if (!IsHttp11OrLater(version))
            return Reject(out rejection, 400, $"{version} is not HTTP/1.1 or later (RFC 6455 §4.2.1)");
        // §4.2.1 item 2: a Host header field.
        if (request.Single("Host", out int hosts) is null)
            return Reject(out rejection, 400, hosts == 0 ? "no Host header (RFC 6455 §4.2.1)" : "more than one Host header");
        // §4.2.1 items 3 and 4.
        if (!request.HasToken("Upgrade", "websocket"))
            return Reject(out rejection, 426, "no 'Upgrade: websocket' header (RFC 6455 §4.2.1)", ("Upgrade", "websocket"), ("Connection", "Upgrade"));
        if (!request.HasToken("Connection", "Upgrade"))
            return Reject(out rejection, 400, "Connection header lacks the 'Upgrade' token (RFC 6455 §4.2.1)");
        // §4.2.1 item 6 and §4.4: the version; answer 426 naming the one we speak.
        var versionValue = request.Single("Sec-WebSocket-Version", out _);
        if (versionValue != Handshake.Version)
            return Reject(out rejection, 426,
                $"Sec-WebSocket-Version '{versionValue ?? "(missing)"}' is not supported; this server speaks 13 (RFC 6455 §4.4)",
                ("Sec-WebSocket-Version", Handshake.Version));
        // §4.2.1 item 5: exactly one key, the base64 of 16 bytes.
        var key = request.Single("Sec-WebSocket-Key", out int keys);
        if (keys != 1)
            return Reject(out rejection, 400, keys == 0 ? "no Sec-WebSocket-Key header (RFC 6455 §4.2.1)" : "more than one Sec-WebSocket-Key header (RFC 6455 §11.3.1)");
        if (!Handshake.IsValidKey(key))
            return Reject(out rejection, 400, "Sec-WebSocket-Key is not the base64 of 16 bytes (RFC 6455 §4.2.1)");

        var path = target;
        int query = path.IndexOf('?');
        if (query >= 0)
            path = path[..query];
        if (policy.Path is not null && path != policy.Path)
            return Reject(out rejection, 404, $"no WebSocket endpoint at '{HttpHead.Printable(path)}'");
        var origin = request["Origin"];
        if (policy.AllowedOrigins is not null && (origin is null || !policy.AllowedOrigins.Contains(origin)))
            return Reject(out rejection, 403, $"origin '{origin ?? "(none)"}' is not allowed (RFC 6455 §10.2)");

        var acceptValue = Handshake.ComputeAccept(key!);
        var response = Encoding.ASCII.GetBytes(
            "HTTP/1.1 101 Switching Protocols\r\n" +
            "Upgrade: websocket\r\n" +
            "Connection: Upgrade\r\n" +
            $"Sec-WebSocket-Accept: {acceptValue}\r\n\r\n");
        accepted = new AcceptedHandshake(target, key!, acceptValue, origin, response);
        rejection = null;
        return true;
    }

    private static bool IsHttp11OrLater(string version) =>
        version.StartsWith("HTTP/", StringComparison.Ordinal)
        && Version.TryParse(version[5..], out var v) && v >= new Version(1, 1);

    private static bool Reject(out HandshakeRejection rejection, int status, string reason, params (string Name, string Value)[] headers)
    {
        rejection = new HandshakeRejection(status, reason, headers.Select(h => KeyValuePair.Create(h.Name, h.Value)).ToList());
        return false;
    }
}

/// <summary>A request the server accepted, with the 101 response to send (§4.2.2).</summary>
public sealed record AcceptedHandshake(string Target, string Key, string Accept, string? Origin, byte[] Response);
