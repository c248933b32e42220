using Akka.Actor;

namespace ActorWs.Tests;

/// <summary>
/// A handler reference with no local cell behind it, as a remote actor's is: nothing can measure
/// its mailbox, and it answers <see cref="Identify"/> only when the test says so. Everything told
/// to it reaches <c>probe</c> as <see cref="Got"/>, with its sender.
/// </summary>
internal sealed class RemoteLikeRef(IActorRef probe, IActorRefProvider provider) : MinimalActorRef
{
    public sealed record Got(object Message, IActorRef Sender);

    public override ActorPath Path { get; } = new RootActorPath(new Address("akka.tcp", "elsewhere", "remote-host", 2552)) / "user" / "handler";
    public override IActorRefProvider Provider => provider;
    protected override void TellInternal(object message, IActorRef sender) => probe.Tell(new Got(message, sender));
}
