namespace ActorWs.Protocol;

/// <summary>
/// Something the peer sent that the RFC forbids, with the close code that the endpoint must
/// answer with (RFC 6455 §7.4.1). The protocol core never throws for bad input: it returns one of
/// these, and the layer above decides how to fail the connection (§7.1.7).
/// </summary>
public sealed record ProtocolViolation(ushort CloseCode, string Reason)
{
    /// <summary>1002: the peer broke a framing or sequencing rule.</summary>
    public static ProtocolViolation ProtocolError(string reason) => new(CloseCodes.ProtocolError, reason);

    /// <summary>1007: a text message or close reason that is not UTF-8 (§8.1).</summary>
    public static ProtocolViolation InvalidPayload(string reason) => new(CloseCodes.InvalidPayloadData, reason);

    /// <summary>1009: a frame or message over the configured limit (§10.4).</summary>
    public static ProtocolViolation TooBig(string reason) => new(CloseCodes.MessageTooBig, reason);

    public override string ToString() => $"{CloseCode} {Reason}";
}

/// <summary>The exception form of a <see cref="ProtocolViolation"/>, for layers (such as actors under a
/// supervisor) where failing is done by throwing.</summary>
public sealed class WebSocketProtocolException(ProtocolViolation violation)
    : Exception($"WebSocket protocol violation: {violation.Reason} (close code {violation.CloseCode})")
{
    public ProtocolViolation Violation { get; } = violation;
}
