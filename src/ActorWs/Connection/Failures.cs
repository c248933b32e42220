using ActorWs.Logging;
using ActorWs.Protocol;

namespace ActorWs.Connection;

/// <summary>
/// The failures a connection's children throw. The connection actor's supervisor strategy is the
/// one place that turns them into close codes (docs/ARCHITECTURE.md, "Close-code policy").
/// </summary>
internal static class FailureCodes
{
    public static (ushort Code, string Reason) For(Exception failure) => failure switch
    {
        WebSocketProtocolException p => (p.Violation.CloseCode, p.Violation.Reason),
        KeepAliveTimeoutException k => (CloseCodes.InternalError, k.Message),
        SendBufferOverflowException o => (CloseCodes.PolicyViolation, o.Message),
        _ => (CloseCodes.InternalError, "internal error"),
    };
}

/// <summary>No pong came within the pong timeout (RFC 6455 §5.5.2): the peer is gone or stuck.</summary>
internal sealed class KeepAliveTimeoutException(TimeSpan timeout)
    : Exception($"no pong within {timeout.TotalSeconds:0.###} s");

/// <summary>The peer does not read fast enough and the bytes waiting for it passed the hard limit,
/// or it sent pings faster than it reads their pongs.</summary>
internal sealed class SendBufferOverflowException(string message) : Exception(message);

/// <summary>Thrown by a client connection after an abnormal close, so that its
/// <see cref="Client.ReconnectSupervisor"/> reconnects (RFC 6455 §7.2.3).</summary>
internal sealed class ConnectionLostException(Closed closed)
    : Exception($"connection lost: {closed}")
{
    public Closed Closed { get; } = closed;

    /// <summary>None: this is the expected way to ask the supervisor for a reconnect, not a bug, and
    /// a log that prints it should not make it look like one.</summary>
    public override string? StackTrace => null;
}
