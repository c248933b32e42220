using Akka.Actor;

namespace ActorWs.Hardening.Tests.Support;

/// <summary>An echo handler for thousands of connections: it keeps counts instead of telling a probe
/// (which is why it is not ActorWs.Testing's EchoHandler: a probe per event would be the load's
/// bottleneck, and the counts span connections). With an <c>echoGate</c>, connections after the first <c>ungated</c> hold their messages (stashed,
/// in order) until the gate's task completes: a peer that waits for its echoes keeps its
/// connection open meanwhile.</summary>
public sealed class CountingEchoHandler : ReceiveActor, IWithUnboundedStash
{
    private sealed record GateOpen
    {
        public static readonly GateOpen Instance = new();
    }

    private IActorRef _connection = ActorRefs.Nobody;

    public IStash Stash { get; set; } = null!;

    public CountingEchoHandler(HandlerCounts counts, Task? echoGate, long ungated)
    {
        Receive<Opened>(o =>
        {
            _connection = o.Connection;
            long ordinal = counts.OnOpened();
            if (echoGate is { IsCompleted: false } && ordinal > ungated)
            {
                echoGate.PipeTo(Self, success: () => GateOpen.Instance, failure: _ => GateOpen.Instance);
                Become(() =>
                {
                    Receive<GateOpen>(_ =>
                    {
                        Become(() => Echoing(counts));
                        Stash.UnstashAll();
                    });
                    Receive<Closed>(counts.OnClosed);
                    ReceiveAny(_ => Stash.Stash());
                });
            }
            else
            {
                Become(() => Echoing(counts));
            }
        });
        Receive<Closed>(counts.OnClosed);
        ReceiveAny(_ => { });
    }

    private void Echoing(HandlerCounts counts)
    {
        Receive<TextReceived>(m => _connection.Tell(new SendText(m.Text)));
        Receive<BinaryReceived>(m => _connection.Tell(new SendBinary(m.Data)));
        Receive<Closed>(counts.OnClosed);
        ReceiveAny(_ => { });
    }

    public static Props Props(HandlerCounts counts, Task? echoGate = null, long ungated = 0) =>
        Akka.Actor.Props.Create(() => new CountingEchoHandler(counts, echoGate, ungated));
}
