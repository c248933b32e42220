using Akka.Actor;

namespace ActorWs.Tests;

/// <summary>A handler actor that forwards everything it receives to a probe, and says when it starts.</summary>
public sealed class ForwardingHandler : ReceiveActor
{
    public sealed record Started(IActorRef Handler);

    public ForwardingHandler(IActorRef target)
    {
        target.Tell(new Started(Self));
        ReceiveAny(m => target.Forward(m));
    }

    public static Props Props(IActorRef target) => Akka.Actor.Props.Create(() => new ForwardingHandler(target));
}
