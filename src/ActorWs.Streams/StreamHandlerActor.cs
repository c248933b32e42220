using Akka;
using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;

namespace ActorWs.Streams;

/// <summary>
/// A server connection's handler that runs <c>flow</c> joined to a <see cref="ConnectionStage"/>,
/// materialized under this actor so that the stream ends with it (the connection stops it after
/// <see cref="Closed"/>). Events reach the stage actor forwarded; the stage sends its commands, and
/// receives their acks, itself.
/// </summary>
internal sealed class StreamHandlerActor : UntypedActor, IWithUnboundedStash
{
    private readonly Flow<Message, Message, NotUsed> _flow;
    private readonly long? _unackedBudget;
    private IActorRef _stage = ActorRefs.Nobody;

    public StreamHandlerActor(Flow<Message, Message, NotUsed> flow, long? unackedBudget)
    {
        _flow = flow;
        _unackedBudget = unackedBudget;
    }

    public IStash Stash { get; set; } = null!;

    public static Props Props(Flow<Message, Message, NotUsed> flow, long? unackedBudget) =>
        Akka.Actor.Props.Create(() => new StreamHandlerActor(flow, unackedBudget));

    protected override void PreStart()
    {
        var self = Self;
        var stage = new ConnectionStage((stageActor, _) =>
        {
            self.Tell(new Attached(stageActor));
            return null;
        }, _unackedBudget);
        Flow.FromGraph(stage).Join(_flow).Run(Context.Materializer());
    }

    protected override void OnReceive(object message)
    {
        // Opened (and anything after it) may come before the stream has started its stage.
        if (message is Attached attached)
        {
            _stage = attached.Stage;
            Become(Forwarding);
            Stash.UnstashAll();
        }
        else
        {
            Stash.Stash();
        }
    }

    private void Forwarding(object message) => _stage.Forward(message);

    private sealed record Attached(IActorRef Stage);
}
