using System.Net;
using ActorWs.Protocol;

namespace ActorWs.Logging;

/// <summary>Direction of a lifecycle event, as the demo's log shows it.</summary>
public enum Direction
{
    /// <summary><c>-&gt;</c> sent to the peer.</summary>
    Sent,
    /// <summary><c>&lt;-</c> received from the peer.</summary>
    Received,
    /// <summary><c>·</c> a local event.</summary>
    Local,
    /// <summary><c>!</c> an error.</summary>
    Error,
}

/// <summary>What a lifecycle event is about; the log shows it as a tag in brackets.</summary>
public enum TraceCategory
{
    /// <summary><c>[TCP]</c> the connection underneath: accept, connect, FIN, reset, drain, capacity.</summary>
    Tcp,
    /// <summary><c>[HTTP]</c> the upgrade request and response (RFC 6455 §4).</summary>
    Http,
    /// <summary><c>[HAND]</c> the handshake's key and accept values (§4.1, §4.2.2).</summary>
    Handshake,
    /// <summary><c>[STATE]</c> CONNECTING, OPEN, CLOSING, CLOSED.</summary>
    State,
    /// <summary><c>[FRAME]</c> frames on the wire (§5).</summary>
    Frame,
    /// <summary><c>[APP]</c> messages to and from the application.</summary>
    App,
    /// <summary><c>[PING]</c> keep-alive pings and pongs (§5.5.2, §5.5.3).</summary>
    Ping,
    /// <summary><c>[ACTOR]</c> the actor tree and its supervision.</summary>
    Actor,
    /// <summary><c>[RETRY]</c> the client's reconnects (§7.2.3).</summary>
    Retry,
    /// <summary><c>[TLS]</c> wss://: the TLS handshake under the opening handshake (RFC 6455 §4.1, RFC 8446).</summary>
    Tls,
}

/// <summary>
/// One step in a connection's life (docs/ARCHITECTURE.md, "Observability"): the side, the direction,
/// what it is about and a message. Published to the actor system's event stream when
/// <c>actorws.trace-lifecycle = on</c>; the demo prints them, tests subscribe to them.
/// </summary>
/// <param name="Timestamp">When it happened (UTC).</param>
/// <param name="Side">The role of the endpoint it happened on.</param>
/// <param name="Direction">Sent, received, local or an error.</param>
/// <param name="Category">What it is about.</param>
/// <param name="Message">What happened, for people.</param>
/// <param name="Connection">The connection (or server, or client) it belongs to.</param>
public sealed record LifecycleEvent(DateTime Timestamp, Role Side, Direction Direction, TraceCategory Category, string Message, string Connection)
{
    /// <summary>
    /// The same step as data, for a program that draws it rather than prints it (the demo's web page):
    /// e.g. <c>state</c>, <c>path</c>, <c>children</c>, <c>opcode</c>, <c>fin</c>, <c>rsv</c>,
    /// <c>masked</c>, <c>length</c>, <c>code</c>, <c>directive</c>, <c>delayMs</c>. Null when the
    /// sentence is all there is. The values are strings, numbers, booleans or string arrays.
    /// </summary>
    public IReadOnlyDictionary<string, object>? Facts { get; init; }

    /// <summary>An address as people write it: a dual-mode socket reports an IPv4 peer as
    /// <c>[::ffff:127.0.0.1]:8765</c>, which is <c>127.0.0.1:8765</c> (RFC 4291 §2.5.5.2).</summary>
    public static string Address(EndPoint? endpoint) => endpoint switch
    {
        IPEndPoint { Address.IsIPv4MappedToIPv6: true } ip => new IPEndPoint(ip.Address.MapToIPv4(), ip.Port).ToString(),
        null => "(unknown)",
        _ => endpoint.ToString() ?? "",
    };

    /// <summary>A frame as the log shows it: <c>opcode=TEXT fin=1 masked=1 len=22 payload=b'…'</c>.</summary>
    public static string DescribeFrame(in FrameHeader header, ReadOnlySpan<byte> payload) => LifecycleTrace.DescribeFrame(header, payload);

    /// <summary>SERVER or CLIENT.</summary>
    public string SideName => Side == Role.Server ? "SERVER" : "CLIENT";

    /// <summary>The log's tag for a category: TCP, HTTP, HAND, STATE, FRAME, APP, PING, ACTOR, RETRY, TLS.</summary>
    public static string Tag(TraceCategory category) => category switch
    {
        TraceCategory.Handshake => "HAND",
        _ => category.ToString().ToUpperInvariant(),
    };

    /// <summary>The log's arrow for a direction.</summary>
    public static string Arrow(Direction d) => d switch
    {
        Direction.Sent => "->",
        Direction.Received => "<-",
        Direction.Local => "· ",
        _ => "! ",
    };

    /// <summary>The demo's log line: <c>[time] SIDE arrow [TAG] message</c>.</summary>
    public override string ToString() =>
        $"[{Timestamp.ToLocalTime():HH:mm:ss.fff}] {SideName} {Arrow(Direction)} [{Tag(Category)}] {Message}";
}
