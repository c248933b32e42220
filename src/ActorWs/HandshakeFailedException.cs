using ActorWs.Protocol;

namespace ActorWs;

/// <summary>
/// Why a client's opening handshake failed, when the server answered: it refused (a status other
/// than 101, with its headers and body in <see cref="Refusal"/>), or its 101 broke a rule of RFC 6455
/// §4.1 (a subprotocol or an extension the client did not offer, a wrong Sec-WebSocket-Accept).
/// It reaches the handler in <see cref="Closed.HandshakeFailure"/>, so that an application can tell
/// a 401 it can answer with credentials from a 503 to retry later.
/// </summary>
public sealed class HandshakeFailedException : Exception
{
    /// <summary>A failure for <paramref name="violation"/>, with the server's refusal when it refused.</summary>
    public HandshakeFailedException(ProtocolViolation violation, HandshakeRefusal? refusal = null)
        : base(refusal is null ? violation.Reason : $"server refused the upgrade: {refusal}")
    {
        Kind = violation.Kind;
        Refusal = refusal;
    }

    /// <summary>The rule broken; <see cref="ViolationKind.StatusNot101"/> for a refusal.</summary>
    public ViolationKind Kind { get; }

    /// <summary>The server's refusal (status, headers, body); null when it answered 101 but broke a rule.</summary>
    public HandshakeRefusal? Refusal { get; }

    /// <summary>The refusal's status; null when there was none.</summary>
    public int? StatusCode => Refusal?.StatusCode;
}
