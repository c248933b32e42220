using Akka.Actor;

namespace ActorWs.Testing;

/// <summary>
/// Waits for an actor to have handled everything sent to it before: an Identify goes through its
/// mailbox behind those messages, so its answer is the positive signal that they were handled.
/// The wait is bounded in real time (a limit for a failure) rather than by Ask's own timeout, which
/// runs on the actor system's scheduler and never fires when a test stops time (TestScheduler).
/// </summary>
public static class ActorSync
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The actor at <paramref name="path"/> once it has answered, or null when there is none.</summary>
    public static async Task<IActorRef?> IdentifyAsync(this ActorSystem system, ActorPath path, TimeSpan? timeout = null) =>
        (await AskIdentity(system.ActorSelection(path), timeout).ConfigureAwait(false)).Subject;

    /// <summary>As <see cref="IdentifyAsync"/>, failing when there is no actor at the path.</summary>
    public static async Task<IActorRef> SyncAsync(this ActorSystem system, ActorPath path, TimeSpan? timeout = null) =>
        await system.IdentifyAsync(path, timeout).ConfigureAwait(false) ?? throw new InvalidOperationException($"no actor at {path}");

    /// <summary>Returns once <paramref name="actor"/> has handled every message sent to it before.</summary>
    public static Task SyncAsync(this IActorRef actor, TimeSpan? timeout = null) => AskIdentity(actor, timeout);

    // The blocking forms, for tests in Akka.TestKit's synchronous style. They wait on the Ask itself
    // (no async continuation that a test framework's synchronization context would have to run).

    /// <summary><see cref="IdentifyAsync"/>, blocking.</summary>
    public static IActorRef? Identify(this ActorSystem system, ActorPath path, TimeSpan? timeout = null) =>
        AskIdentity(system.ActorSelection(path), timeout).GetAwaiter().GetResult().Subject;

    /// <summary><see cref="SyncAsync(ActorSystem, ActorPath, TimeSpan?)"/>, blocking.</summary>
    public static IActorRef Sync(this ActorSystem system, ActorPath path, TimeSpan? timeout = null) =>
        system.Identify(path, timeout) ?? throw new InvalidOperationException($"no actor at {path}");

    /// <summary><see cref="SyncAsync(IActorRef, TimeSpan?)"/>, blocking.</summary>
    public static void Sync(this IActorRef actor, TimeSpan? timeout = null) => AskIdentity(actor, timeout).GetAwaiter().GetResult();

    private static Task<ActorIdentity> AskIdentity(ICanTell target, TimeSpan? timeout) =>
        target.Ask<ActorIdentity>(new Identify(null)).WaitAsync(timeout ?? DefaultTimeout);
}
