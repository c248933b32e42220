using Akka.Actor;
using ActorWs.Logging;

namespace ActorWs.Testing;

/// <summary>Hands every lifecycle event of an actor system (settings with trace-lifecycle on) to a
/// callback, from an actor of its own (so one event at a time, in order): to print the trace into a test's output, write it to a
/// file, or pass the events a test waits for to a probe.</summary>
public static class LifecycleTap
{
    /// <summary>Subscribes <paramref name="onEvent"/>; stop the returned actor to end it.</summary>
    public static IActorRef Subscribe(ActorSystem system, Action<LifecycleEvent> onEvent)
    {
        var tap = system.ActorOf(Props.Create(() => new Tap(onEvent)));
        system.EventStream.Subscribe(tap, typeof(LifecycleEvent));
        return tap;
    }

    private sealed class Tap : ReceiveActor
    {
        public Tap(Action<LifecycleEvent> onEvent) => Receive(onEvent);
    }
}
