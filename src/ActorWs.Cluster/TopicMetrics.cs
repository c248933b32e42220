using System.Diagnostics.Metrics;

namespace ActorWs.Cluster;

/// <summary>
/// The pub/sub instruments, in the meter <c>ActorWs.Cluster</c> (beside the core's <c>ActorWs</c>
/// meter): counters only, so that with no listener each costs a check and nothing more.
/// </summary>
public static class TopicMetrics
{
    /// <summary>The meter's name, for <c>AddMeter</c> in OpenTelemetry or a <see cref="MeterListener"/>.</summary>
    public const string MeterName = "ActorWs.Cluster";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>actorws.topic.published: messages published by handlers on this node.</summary>
    internal static readonly Counter<long> Published = Meter.CreateCounter<long>("actorws.topic.published", "{message}",
        "Messages published to topics by the handlers of this node");

    /// <summary>actorws.topic.delivered: topic messages handed to a connection of this node to send.</summary>
    internal static readonly Counter<long> Delivered = Meter.CreateCounter<long>("actorws.topic.delivered", "{message}",
        "Topic messages handed to a connection of this node to send");

    /// <summary>actorws.topic.dropped: topic messages not sent to a connection, by reason
    /// (slow-consumer: its send buffer was high; closed: it had closed or was closing).</summary>
    internal static readonly Counter<long> Dropped = Meter.CreateCounter<long>("actorws.topic.dropped", "{message}",
        "Topic messages not sent to a connection of this node, by reason");

    /// <summary>actorws.topic.slow_consumer_closes: connections closed with 1008 by the close policy.</summary>
    internal static readonly Counter<long> SlowConsumerCloses = Meter.CreateCounter<long>("actorws.topic.slow_consumer_closes", "{connection}",
        "Connections closed with 1008 because their send buffer was high when a topic message came");

    // Tags made once: a KeyValuePair made per call would box its value on the hot path.
    internal static readonly KeyValuePair<string, object?> SlowConsumer = new("reason", "slow-consumer");
    internal static readonly KeyValuePair<string, object?> Closed = new("reason", "closed");
}
