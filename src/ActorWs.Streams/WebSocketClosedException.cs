using ActorWs.Protocol;

namespace ActorWs.Streams;

/// <summary>
/// The connection under a stream closed abnormally: the incoming messages (and a streamed message
/// under way) fail with it, and a client flow's materialized task with it when the connection never
/// opened. A close with 1000 (normal), 1001 (going away) or 1005 (no code) after a complete closing
/// handshake completes the stream instead.
/// </summary>
public sealed class WebSocketClosedException : Exception
{
    /// <summary>For <paramref name="closed"/>; its handshake or TLS failure, if any, is the inner exception.</summary>
    public WebSocketClosedException(Closed closed)
        : base($"the WebSocket connection closed with {closed.Code} {CloseCodes.Describe(closed.Code)}"
            + (closed.Reason.Length > 0 ? $" '{closed.Reason}'" : "") + (closed.WasClean ? "" : " without a closing handshake"),
            (Exception?)closed.HandshakeFailure ?? closed.TlsFailure)
    {
        Closed = closed;
    }

    /// <summary>The connection's last event.</summary>
    public Closed Closed { get; }

    /// <summary>The close code (RFC 6455 §7.4): 1006 when TCP was lost or the connection never opened.</summary>
    public ushort Code => Closed.Code;

    /// <summary>Whether a close ends a stream normally rather than failing it.</summary>
    internal static bool IsNormal(Closed closed) =>
        closed.WasClean && closed.Code is CloseCodes.NormalClosure or CloseCodes.GoingAway or CloseCodes.NoStatusReceived;
}
