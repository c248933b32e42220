namespace ActorWs.Protocol;

/// <summary>
/// Something the peer sent that the RFC forbids: which rule (<see cref="Kind"/>, what code matches
/// on) and a reason a person can read, citing the section (for logs). The protocol core never
/// throws for bad input: it returns one of these, and the layer above decides how to fail the
/// connection (§7.1.7).
/// </summary>
public sealed record ProtocolViolation(ViolationKind Kind, string Reason)
{
    /// <summary>The close code the endpoint must answer with (§7.4.1).</summary>
    public ushort CloseCode => Kind.CloseCode();

    /// <summary>For a bad opening handshake, the HTTP status a server answers with; otherwise null.</summary>
    public int? HttpStatus => Kind.HttpStatus();

    /// <summary>The close code and the reason.</summary>
    public override string ToString() => $"{CloseCode} {Reason}";
}

/// <summary>The exception form of a <see cref="ProtocolViolation"/>, for layers (such as actors under a
/// supervisor) where failing is done by throwing.</summary>
public sealed class WebSocketProtocolException(ProtocolViolation violation)
    : Exception($"WebSocket protocol violation: {violation.Reason} (close code {violation.CloseCode})")
{
    /// <summary>What the peer did wrong.</summary>
    public ProtocolViolation Violation { get; } = violation;
}
