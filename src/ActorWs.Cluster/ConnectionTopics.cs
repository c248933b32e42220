using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using ActorWs.Protocol;

namespace ActorWs.Cluster;

/// <summary>
/// One connection's topics, held by its handler: subscribe, unsubscribe, publish, over the
/// cluster's DistributedPubSub. The handler itself is the subscriber (no actor more per
/// connection); it passes every message it receives to <see cref="Handle"/> first. A message
/// published to a topic on any node reaches every subscribed connection on every node as the
/// <see cref="SendText"/> or <see cref="SendBinary"/> it carries, sent straight to the connection.
/// Guarantee: at most once, in order per publisher and subscriber (see <see cref="ClusterTopics"/>).
/// </summary>
/// <example>
/// <code>
/// public sealed class RoomHandler : ReceiveActor
/// {
///     readonly ConnectionTopics _topics = new(Context);
///     public RoomHandler()
///     {
///         ReceiveAny(m =&gt; { if (!_topics.Handle(m)) OnMessage(m); });
///     }
///     void OnMessage(object m)
///     {
///         if (m is Opened) _topics.Subscribe("lobby");
///         if (m is TextReceived t) _topics.Publish("lobby", t.Text);
///     }
/// }
/// </code>
/// </example>
/// <remarks>
/// Slow consumers: once the connection has told its handler <see cref="SendBufferHigh"/>, and until
/// <see cref="SendBufferDrained"/>, a topic message is dropped for it and counted, or the
/// connection is closed with 1008, by <see cref="TopicSettings.SlowConsumer"/>. When the handler
/// stops, DistributedPubSub drops its subscriptions (it watches its subscribers).
/// Not thread-safe: use it from its handler's receive only, as the handler's own state.
/// </remarks>
public sealed class ConnectionTopics
{
    private readonly IActorRef _self;
    private readonly IActorRef _mediator;
    private readonly TopicSettings _settings;
    private readonly Action<string>? _subscribed;
    private readonly HashSet<string> _topics = new(StringComparer.Ordinal);
    private IActorRef? _connection;
    private bool _sendBufferHigh;
    private bool _closing;

    /// <summary>The topics of the handler whose context this is. <paramref name="subscribed"/> is
    /// called (on the handler's thread) when a subscription has taken effect on this node, with its
    /// topic; <paramref name="settings"/> default to the system's (<see cref="ClusterTopics.Settings"/>).</summary>
    public ConnectionTopics(IActorContext handler, Action<string>? subscribed = null, TopicSettings? settings = null)
    {
        var topics = ClusterTopics.Get(handler.System);
        _self = handler.Self;
        _mediator = topics.Mediator;
        _settings = settings ?? topics.Settings;
        _subscribed = subscribed;
    }

    /// <summary>The topics subscribed to (asked for: the subscription may still be on its way).</summary>
    public IReadOnlyCollection<string> Topics => _topics;

    /// <summary>Subscribes the connection to <paramref name="topic"/>; does nothing when it is
    /// already. Throws a <see cref="TopicNameException"/> for a name that may not be a topic.</summary>
    public void Subscribe(string topic)
    {
        TopicName.Validate(topic, _settings.MaxNameLength);
        if (_topics.Add(topic))
            _mediator.Tell(new Subscribe(topic, _self), _self);
    }

    /// <summary>Unsubscribes the connection from <paramref name="topic"/>; messages of the topic
    /// already on their way are not sent to the connection.</summary>
    public void Unsubscribe(string topic)
    {
        if (_topics.Remove(topic))
            _mediator.Tell(new Unsubscribe(topic, _self), _self);
    }

    /// <summary>Publishes a text message to every connection subscribed to <paramref name="topic"/>,
    /// on every node, this one included when it is subscribed. Throws a <see cref="TopicNameException"/>
    /// for a name that may not be a topic.</summary>
    public void Publish(string topic, string text) => Publish(new TopicMessage(TopicName.Validate(topic, _settings.MaxNameLength), text));

    /// <summary>Publishes a binary message; the array must not change afterwards.</summary>
    public void Publish(string topic, byte[] data) => Publish(new TopicMessage(TopicName.Validate(topic, _settings.MaxNameLength), data));

    private void Publish(TopicMessage message)
    {
        _mediator.Tell(new Publish(message.Topic, message), _self);
        TopicMetrics.Published.Add(1);
    }

    /// <summary>
    /// Takes what belongs to the topics: a <see cref="TopicMessage"/> (sent to the connection, or
    /// dropped by the slow-consumer policy) and DistributedPubSub's acknowledgements: true for those,
    /// which the handler then leaves alone. It also watches <see cref="Opened"/>,
    /// <see cref="SendBufferHigh"/>, <see cref="SendBufferDrained"/> and <see cref="Closed"/>, and
    /// returns false for them, so that the handler sees them too.
    /// </summary>
    public bool Handle(object message)
    {
        switch (message)
        {
            case TopicMessage m:
                Deliver(m);
                return true;
            case SubscribeAck ack:
                if (_topics.Contains(ack.Subscribe.Topic))
                    _subscribed?.Invoke(ack.Subscribe.Topic);
                return true;
            case UnsubscribeAck:
                return true;
            case Opened o:
                _connection = o.Connection;
                _closing = false;
                _sendBufferHigh = false;
                return false;
            case SendBufferHigh:
                _sendBufferHigh = true;
                return false;
            case SendBufferDrained:
                _sendBufferHigh = false;
                return false;
            case Closed:
                _connection = null;
                return false;
            default:
                return false;
        }
    }

    private void Deliver(TopicMessage m)
    {
        // Unsubscribed while it was on its way: the application no longer wants it.
        if (!_topics.Contains(m.Topic))
            return;
        if (_connection is null || _closing)
        {
            TopicMetrics.Dropped.Add(1, TopicMetrics.Closed);
            return;
        }
        if (_sendBufferHigh)
        {
            TopicMetrics.Dropped.Add(1, TopicMetrics.SlowConsumer);
            if (_settings.SlowConsumer == SlowConsumerPolicy.Close)
            {
                _closing = true;
                TopicMetrics.SlowConsumerCloses.Add(1);
                _connection.Tell(new Close(CloseCodes.PolicyViolation, "slow consumer: send buffer over its high watermark"), _self);
            }
            return;
        }
        _connection.Tell(m.ToCommand(), _self);
        TopicMetrics.Delivered.Add(1);
    }
}
