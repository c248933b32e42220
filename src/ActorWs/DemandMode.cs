namespace ActorWs;

/// <summary>How a connection paces what it hands its handler (<c>actorws.messages.demand</c>).</summary>
public enum DemandMode
{
    /// <summary>Messages are handed over unasked, at most <c>limits.max-handler-backlog</c> of them
    /// not yet handled; the connection finds out how many are handled by an Identify behind them.</summary>
    Automatic,

    /// <summary>Nothing is handed over without <see cref="WebSocket.RequestMessages"/>.</summary>
    Explicit,
}
