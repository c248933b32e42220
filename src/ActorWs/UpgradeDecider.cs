using Akka.Actor;

namespace ActorWs;

/// <summary>
/// The server's decision point: every request at the door — a WebSocket upgrade that passed the
/// RFC's checks, or a plain HTTP request — is put to it, and its <see cref="UpgradeDecision"/> is
/// carried out. It is given by a function or by an actor. Its time counts into
/// <c>actorws.handshake.timeout</c>; a decision that throws answers 500, one that does not come in
/// time or an actor that is not alive answers 503, each with a log line: a decider can delay a
/// connection but never hang or crash the server.
/// </summary>
public abstract class UpgradeDecider
{
    private protected UpgradeDecider()
    {
    }

    /// <summary>A decider that calls <paramref name="decide"/>; the token is cancelled when the handshake times out.</summary>
    public static UpgradeDecider FromFunction(Func<UpgradeRequest, CancellationToken, Task<UpgradeDecision>> decide) =>
        new FunctionDecider(decide ?? throw new ArgumentNullException(nameof(decide)));

    /// <summary>A decider that calls <paramref name="decide"/> on the connection's handshake actor: it must not block.</summary>
    public static UpgradeDecider FromFunction(Func<UpgradeRequest, UpgradeDecision> decide)
    {
        ArgumentNullException.ThrowIfNull(decide);
        return new FunctionDecider((request, _) => Task.FromResult(decide(request)));
    }

    /// <summary>
    /// A decider that sends each <see cref="UpgradeRequest"/> to <paramref name="actor"/>, which
    /// answers the sender with an <see cref="UpgradeDecision"/> (or a <see cref="Status.Failure"/>:
    /// 500). It may be anywhere in the cluster; it is watched while it decides, so one that stops
    /// answers 503 at once rather than at the timeout.
    /// </summary>
    public static UpgradeDecider FromActor(IActorRef actor) => new ActorDecider(actor ?? throw new ArgumentNullException(nameof(actor)));

    /// <summary>Puts the request to the decider; the answer reaches the context's actor as an
    /// <see cref="UpgradeDecision"/>, a <see cref="Status.Failure"/> or a <see cref="Terminated"/>.</summary>
    internal abstract void Begin(UpgradeRequest request, IActorContext context, CancellationToken cancellation);

    /// <summary>What the log calls it.</summary>
    internal abstract string Describe();

    private sealed class FunctionDecider(Func<UpgradeRequest, CancellationToken, Task<UpgradeDecision>> decide) : UpgradeDecider
    {
        internal override void Begin(UpgradeRequest request, IActorContext context, CancellationToken cancellation)
        {
            Task<UpgradeDecision> decision;
            try
            {
                decision = decide(request, cancellation) ?? throw new InvalidOperationException("the decision function returned no task");
            }
            catch (Exception e)
            {
                decision = Task.FromException<UpgradeDecision>(e);
            }
            decision.PipeTo(context.Self,
                success: d => d is null ? new Status.Failure(new InvalidOperationException("the decision function returned null")) : d,
                failure: e => new Status.Failure(e is AggregateException { InnerExceptions.Count: 1 } a ? a.InnerException! : e));
        }

        internal override string Describe() => "the decision function";
    }

    private sealed class ActorDecider(IActorRef actor) : UpgradeDecider
    {
        internal override void Begin(UpgradeRequest request, IActorContext context, CancellationToken cancellation)
        {
            context.Watch(actor);
            actor.Tell(request, context.Self);
        }

        internal override string Describe() => $"the decision actor {actor.Path}";
    }
}
