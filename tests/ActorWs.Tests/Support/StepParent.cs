using Akka.Actor;

namespace ActorWs.Tests;

/// <summary>A parent for a lone child under test: everything the child sends to its parent goes
/// to the probe, and a failing child is reported to the probe and stopped.</summary>
public sealed class StepParent : ReceiveActor
{
    public sealed record ChildFailed(Exception Cause);

    private readonly IActorRef _probe;

    public StepParent(Props child, string name, IActorRef probe)
    {
        _probe = probe;
        var c = Context.ActorOf(child, name);
        probe.Tell(c);
        ReceiveAny(m => probe.Forward(m));
    }

    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(e =>
    {
        _probe.Tell(new ChildFailed(e));
        return Directive.Stop;
    });

    public static Props Props(Props child, string name, IActorRef probe) =>
        Akka.Actor.Props.Create(() => new StepParent(child, name, probe));
}
