using Akka.Actor;
using ActorWs.Cluster;

namespace ActorWs.Cluster.Tests;

/// <summary>A handler that keeps a <see cref="ConnectionTopics"/> and does what a test tells it.</summary>
internal sealed class TopicTestHandler : ReceiveActor
{
    public sealed record Sub(string Topic);
    public sealed record Unsub(string Topic);
    public sealed record Pub(string Topic, string Text);
    public sealed record Refused(string Why);
    public sealed record SubscribedTo(string Topic);

    private readonly ConnectionTopics _topics;

    public TopicTestHandler(IActorRef reporter, TopicSettings? settings)
    {
        _topics = new ConnectionTopics(Context, topic => reporter.Tell(new SubscribedTo(topic)), settings);
        ReceiveAny(m =>
        {
            if (_topics.Handle(m))
                return;
            switch (m)
            {
                case Sub s:
                    try
                    {
                        _topics.Subscribe(s.Topic);
                    }
                    catch (TopicNameException e)
                    {
                        reporter.Tell(new Refused(e.Message));
                    }
                    break;
                case Unsub u:
                    _topics.Unsubscribe(u.Topic);
                    break;
                case Pub p:
                    _topics.Publish(p.Topic, p.Text);
                    break;
            }
        });
    }

    public static Props Props(IActorRef reporter, TopicSettings? settings = null) =>
        Akka.Actor.Props.Create(() => new TopicTestHandler(reporter, settings));
}

/// <summary>
/// A server-side handler: subscribes its connection to the topic named by the request's path
/// ("/room-a": room-a) and says "subscribed" on the connection when that has taken effect; every
/// text it receives it publishes to that topic.
/// </summary>
internal sealed class RoomHandler : ReceiveActor
{
    private readonly ConnectionTopics _topics;
    private IActorRef _connection = ActorRefs.Nobody;
    private string _room = "";

    public RoomHandler()
    {
        _topics = new ConnectionTopics(Context, topic => _connection.Tell(new SendText("subscribed " + topic)));
        ReceiveAny(m =>
        {
            if (_topics.Handle(m))
                return;
            switch (m)
            {
                case Opened o:
                    _connection = o.Connection;
                    _room = o.Path.TrimStart('/');
                    _topics.Subscribe(_room);
                    break;
                case TextReceived t:
                    _topics.Publish(_room, t.Text);
                    break;
            }
        });
    }

    public static Props Props() => Akka.Actor.Props.Create<RoomHandler>();
}
