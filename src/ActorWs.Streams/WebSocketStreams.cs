using Akka;
using Akka.Actor;
using Akka.Streams.Dsl;

namespace ActorWs.Streams;

/// <summary>
/// ActorWs as Akka.Streams: a connection is a <see cref="Flow{TIn, TOut, TMat}"/> of
/// <see cref="Message"/>s, as Akka HTTP's <c>handleWebSocketMessages</c> takes, beside the actor
/// handler API. Back-pressure runs end to end: a received message is asked of the connection
/// (<see cref="RequestMessages"/>, explicit demand) only when the stream pulls one, so a slow
/// consumer stops the connection reading and the peer's sends wait in TCP; a message to send is
/// pulled only while the bytes sent and not yet acked by the writer stay below
/// <c>actorws.write.high-watermark</c>.
/// </summary>
/// <remarks>
/// <para>Completion. The flow's output completing closes the connection with 1000, once everything
/// sent before has been written; its input being cancelled does the same; its output failing closes
/// with 1011. The connection's <see cref="Closed"/> ends the input: it completes after a closing
/// handshake with 1000, 1001 or 1005, and fails with <see cref="WebSocketClosedException"/> (carrying
/// the code) for anything else — 1006 when TCP was lost, 1011, 1002, a peer's 4xxx.</para>
/// <para>A streamed message's source must be run to its end or cancelled before the next message
/// can come, whichever the direction: parts share the one connection with the messages around them.</para>
/// </remarks>
public static class WebSocketStreams
{
    private static int _clients;

    /// <summary>
    /// The handler props for <see cref="WebSocketServer.StartAsync"/>: each accepted connection
    /// materializes <paramref name="flow"/> once, its input the messages received, its output the
    /// messages to send. The server must run with <c>actorws.messages.demand = explicit</c> (as
    /// <see cref="StartServerAsync"/> sets it): a message the handler did not ask for fails the
    /// connection with 1011. <paramref name="settings"/> (for the write high watermark) default to
    /// the system's configuration.
    /// </summary>
    public static Props Handler(Flow<Message, Message, NotUsed> flow, WebSocketSettings? settings = null) =>
        StreamHandlerActor.Props(flow, settings?.WriteHighWatermark);

    /// <summary>
    /// Starts a server whose every connection runs <paramref name="flow"/>
    /// (<see cref="Handler"/>), with <paramref name="settings"/> (default: the system's
    /// <c>actorws</c> section) set to explicit demand. Otherwise as <see cref="WebSocketServer.StartAsync"/>.
    /// </summary>
    public static Task<WebSocketServer> StartServerAsync(ActorSystem system, Flow<Message, Message, NotUsed> flow,
        WebSocketSettings? settings = null, string name = "ws-server", UpgradeDecider? decider = null)
    {
        settings = (settings ?? WebSocketSettings.Create(system.Settings.Config)) with { Demand = DemandMode.Explicit };
        return WebSocketServer.StartAsync(system, Handler(flow, settings), settings, name, decider);
    }

    /// <summary>
    /// A client connection to <paramref name="uri"/> (ws:// or wss://) as a flow: its input is sent,
    /// its output is what the server sends. Each materialization connects once; the materialized task
    /// completes with the <see cref="Opened"/> of the connection, or fails with a
    /// <see cref="WebSocketClosedException"/> when it cannot be opened (a refused handshake or TLS
    /// failure as its inner exception). Reconnect is off whatever <paramref name="settings"/> say: a
    /// flow's life is one connection, and a new one would start in the middle of its messages
    /// (materialize the flow again, or wrap it in a <c>RestartFlow</c>, to reconnect). Demand is set
    /// to explicit. Throws <see cref="ArgumentException"/> for a URI that is not ws:// or wss://.
    /// </summary>
    public static Flow<Message, Message, Task<Opened>> ClientFlow(Uri uri, WebSocketClientOptions? options = null, WebSocketSettings? settings = null)
    {
        if (uri.Scheme is not ("ws" or "wss"))
            throw new ArgumentException($"'{uri}' is not a ws:// or wss:// URI", nameof(uri));
        return Flow.FromGraph(new ConnectionStage((stage, system) =>
        {
            var configured = (settings ?? WebSocketSettings.Create(system.Settings.Config))
                with { Demand = DemandMode.Explicit, ReconnectEnabled = false };
            var name = $"ws-stream-client-{Interlocked.Increment(ref _clients)}";
            return WebSocketClient.Connect(system, uri, stage, configured, name, options);
        }, settings?.WriteHighWatermark));
    }
}
