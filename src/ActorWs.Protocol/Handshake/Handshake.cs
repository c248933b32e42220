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

/// <summary>A refusal of the opening handshake: the HTTP status, a reason a person can read, and
/// any header the status calls for (such as Sec-WebSocket-Version with 426, §4.4).</summary>
public sealed record HandshakeRejection(int StatusCode, string Reason, IReadOnlyList<KeyValuePair<string, string>>? Headers = null)
{
    /// <summary>The answer to a bad opening handshake (§4.2.1, §4.2.2): the status and the headers
    /// follow from the violation's kind.</summary>
    public HandshakeRejection(ProtocolViolation violation)
        : this(violation.HttpStatus ?? 400, violation.Reason, HeadersFor(violation.Kind))
    {
        Kind = violation.Kind;
    }

    /// <summary>The rule the client broke; null for a refusal that is no violation (such as a timeout).</summary>
    public ViolationKind? Kind { get; }

    private static KeyValuePair<string, string>[] HeadersFor(ViolationKind kind) => kind switch
    {
        // RFC 9110 §15.5.6: a 405 lists the methods the resource allows.
        ViolationKind.MethodNotGet => [new("Allow", "GET")],
        // RFC 9110 §15.5.22: a 426 names the protocol to upgrade to.
        ViolationKind.UpgradeMissing => [new("Upgrade", "websocket"), new("Connection", "Upgrade")],
        // §4.4: the versions this server speaks.
        ViolationKind.UnsupportedVersion => [new("Sec-WebSocket-Version", Handshake.Version)],
        _ => [],
    };

    /// <summary>The HTTP response that refuses the upgrade, with its headers and the reason as a short body.</summary>
    public byte[] ToResponse()
    {
        var body = Reason + "\n";
        var sb = new StringBuilder();
        sb.Append("HTTP/1.1 ").Append(StatusCode).Append(' ').Append(StatusText(StatusCode)).Append("\r\n");
        sb.Append("Connection: close\r\n");
        sb.Append("Content-Type: text/plain; charset=utf-8\r\n");
        sb.Append("Content-Length: ").Append(Encoding.UTF8.GetByteCount(body)).Append("\r\n");
        foreach (var (name, value) in Headers ?? [])
            sb.Append(name).Append(": ").Append(value).Append("\r\n");
        sb.Append("\r\n").Append(body);
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    /// <summary>The reason phrase for an HTTP status.</summary>
    public static string StatusText(int status) => status switch
    {
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        426 => "Upgrade Required",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "Error",
    };

    /// <summary>The status, its phrase and the reason.</summary>
    public override string ToString() => $"{StatusCode} {StatusText(StatusCode)}: {Reason}";
}
