namespace ActorWs.Demo;

/// <summary>
/// <c>serve</c>'s door: it accepts every WebSocket upgrade (with the subprotocol the server's
/// settings choose), answers a health check, and refuses every other plain HTTP request.
/// </summary>
public static class ServeDoor
{
    public static readonly UpgradeDecider Decider = UpgradeDecider.FromFunction(Decide);

    public static UpgradeDecision Decide(UpgradeRequest request) => request switch
    {
        // No Subprotocol named: the client's most preferred of actorws.subprotocols (--subprotocol).
        { IsUpgrade: true } => new UpgradeDecision.Accept(),
        // For a load balancer or a container's probe; a HEAD gets the same head, no body.
        { Http: { Path: "/healthz", Method: "GET" or "HEAD" } } => new UpgradeDecision.Respond(200, "ok\n"),
        // The process's managed allocation so far, for bench/run.sh's bytes per echoed message.
        { Http: { Path: "/stats", Method: "GET" } } => new UpgradeDecision.Respond(200,
            $"allocated_bytes {GC.GetTotalAllocatedBytes(precise: true)}\ngen0_collections {GC.CollectionCount(0)}\n"),
        // Every path of an echo server is a WebSocket endpoint: a plain request to one is told to
        // upgrade, as a server without a door tells it (RFC 9110 §15.5.22: a 426 names the protocol).
        _ => new UpgradeDecision.Reject(426, "not a WebSocket upgrade (GET /healthz for a health check)",
            [new("Upgrade", "websocket")]),
    };
}
