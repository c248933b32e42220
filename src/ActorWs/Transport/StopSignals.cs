using Akka.Event;

namespace ActorWs.Transport;

/// <summary>
/// What a socket actor (<see cref="SocketConnection"/>, <see cref="TlsConnection"/>) and its
/// registered handler (the connection actor) tell each other when one of them stops, in place of
/// death watch both ways: a watch costs each side Akka's full actor state (two dictionaries, a set,
/// a behaviour stack: about 0.5 KB per idle connection, bench/RESULTS.md). Both are told from
/// <c>PostStop</c>, which runs however the actor stops (its own decision, a parent's or the actor
/// system's stop, a failure), so nothing is lost against a watch; either may find the other gone
/// already, which is no news for the dead-letter log.
/// </summary>
internal static class StopSignals
{
    /// <summary>To the socket actor: its handler has stopped, so the socket is dropped (Akka.IO's
    /// contract). Being an ordinary message, it comes behind the writes and the close that the
    /// handler and its children queued before they stopped (children stop before their parent's
    /// PostStop), so a handshake's error response still goes out.</summary>
    public sealed record HandlerStopped : IDeadLetterSuppression
    {
        public static readonly HandlerStopped Instance = new();
    }

    /// <summary>To the handler: the socket actor stopped without having said why (it was stopped from
    /// outside); the TCP connection is gone.</summary>
    public sealed record SocketStopped : IDeadLetterSuppression
    {
        public static readonly SocketStopped Instance = new();
    }
}
