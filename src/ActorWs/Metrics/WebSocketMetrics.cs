using System.Diagnostics.Metrics;
using ActorWs.Protocol;

namespace ActorWs;

/// <summary>
/// The instruments of the meter <c>ActorWs</c> (System.Diagnostics.Metrics), for OpenTelemetry's
/// <c>AddMeter(WebSocketMetrics.MeterName)</c>, <c>dotnet-counters</c> or a <see cref="MeterListener"/>.
/// Every one is tagged <c>role</c> (server or client). Counters only, each counted where the
/// connection already does the work — no message is added for them — so that with no listener a
/// count costs a check of a flag.
/// <list type="table">
/// <item><term>actorws.connections.open</term><description>up-down: connections OPEN now</description></item>
/// <item><term>actorws.handshakes</term><description>opening handshakes ended, by <c>outcome</c>
/// (accepted, refused, answered — a plain HTTP request answered by the door —, failed) and <c>status</c> (101, 401, 503, …; 0 for none)</description></item>
/// <item><term>actorws.messages.received / actorws.messages.sent</term><description>whole messages, text or binary</description></item>
/// <item><term>actorws.bytes.received / actorws.bytes.sent</term><description>their payload bytes (text as UTF-8), framing not included</description></item>
/// <item><term>actorws.closes</term><description>connections that were OPEN and closed, by <c>code</c> (1000, 1001, 1006, …)</description></item>
/// <item><term>actorws.send_buffer.high</term><description>times a connection's send buffer went over its high watermark (<see cref="SendBufferHigh"/>)</description></item>
/// </list>
/// The pub/sub instruments are in ActorWs.Cluster's meter (<c>ActorWs.Cluster.TopicMetrics</c>).
/// </summary>
public static class WebSocketMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "ActorWs";

    private static readonly Meter Meter = new(MeterName);

    private static readonly UpDownCounter<long> Open = Meter.CreateUpDownCounter<long>("actorws.connections.open", "{connection}", "WebSocket connections OPEN now");
    private static readonly Counter<long> Handshakes = Meter.CreateCounter<long>("actorws.handshakes", "{handshake}", "Opening handshakes ended, by outcome and HTTP status");
    private static readonly Counter<long> MessagesReceived = Meter.CreateCounter<long>("actorws.messages.received", "{message}", "Whole messages received");
    private static readonly Counter<long> MessagesSent = Meter.CreateCounter<long>("actorws.messages.sent", "{message}", "Whole messages sent");
    private static readonly Counter<long> BytesReceived = Meter.CreateCounter<long>("actorws.bytes.received", "By", "Payload bytes of the messages received");
    private static readonly Counter<long> BytesSent = Meter.CreateCounter<long>("actorws.bytes.sent", "By", "Payload bytes of the messages sent");
    private static readonly Counter<long> Closes = Meter.CreateCounter<long>("actorws.closes", "{connection}", "Connections closed after they were OPEN, by close code");
    private static readonly Counter<long> SendBufferHighs = Meter.CreateCounter<long>("actorws.send_buffer.high", "{event}", "Send buffers gone over their high watermark");

    // Made once: a tag made per count would box its value on the hot path.
    private static readonly KeyValuePair<string, object?> ServerTag = new("role", "server");
    private static readonly KeyValuePair<string, object?> ClientTag = new("role", "client");

    internal static KeyValuePair<string, object?> RoleTag(Role role) => role == Role.Server ? ServerTag : ClientTag;

    internal static void Opened(Role role)
    {
        Open.Add(1, RoleTag(role));
        if (Handshakes.Enabled)
            Handshakes.Add(1, RoleTag(role), new("outcome", "accepted"), new("status", 101));
    }

    internal static void HandshakeEnded(Role role, int? status, bool plainHttp)
    {
        if (Handshakes.Enabled)
            Handshakes.Add(1, RoleTag(role), new("outcome", plainHttp ? "answered" : role == Role.Server ? "refused" : "failed"), new("status", status ?? 0));
    }

    internal static void Closed(Role role, ushort code)
    {
        Open.Add(-1, RoleTag(role));
        if (Closes.Enabled)
            Closes.Add(1, RoleTag(role), new("code", (int)code));
    }

    /// <summary>A message received, or a part of a streamed one: its bytes now, the message once,
    /// with the bytes that end it.</summary>
    internal static void Received(KeyValuePair<string, object?> role, int bytes, bool endsMessage = true)
    {
        if (endsMessage)
            MessagesReceived.Add(1, role);
        BytesReceived.Add(bytes, role);
    }

    /// <summary>A message sent, or a part of a streamed one, counted as <see cref="Received"/> is.</summary>
    internal static void Sent(KeyValuePair<string, object?> role, int bytes, bool endsMessage = true)
    {
        if (endsMessage)
            MessagesSent.Add(1, role);
        BytesSent.Add(bytes, role);
    }

    internal static void SendBufferHigh(KeyValuePair<string, object?> role) => SendBufferHighs.Add(1, role);
}
