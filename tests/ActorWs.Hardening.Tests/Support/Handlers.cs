using Akka.Actor;

namespace ActorWs.Hardening.Tests.Support;

/// <summary>Echoes every message with its type; tells <c>monitor</c> (when there is one) every event
/// it gets other than the messages (and those too when asked): Opened, Closed, SendBufferHigh and the rest.</summary>
public sealed class EchoHandler : ReceiveActor
{
    private IActorRef _connection = ActorRefs.Nobody;

    public EchoHandler(IActorRef? monitor, bool reportMessages = false)
    {
        Receive<Opened>(o =>
        {
            _connection = o.Connection;
            monitor?.Tell(o);
        });
        Receive<TextReceived>(m =>
        {
            if (reportMessages)
                monitor?.Tell(m);
            _connection.Tell(new SendText(m.Text));
        });
        Receive<BinaryReceived>(m =>
        {
            if (reportMessages)
                monitor?.Tell(m);
            _connection.Tell(new SendBinary(m.Data));
        });
        ReceiveAny(m => monitor?.Tell(m));
    }

    /// <summary><paramref name="reportMessages"/>: the monitor gets the messages too, before their echo.</summary>
    public static Props Props(IActorRef? monitor, bool reportMessages = false) =>
        Akka.Actor.Props.Create(() => new EchoHandler(monitor, reportMessages));
}

/// <summary>A handler that sends binary messages as fast as its mailbox turns, and goes on sending
/// after SendBufferHigh (the application misbehaves): the connection's bound must hold anyway.
/// Tells the monitor each event it gets.</summary>
public sealed class FloodHandler : ReceiveActor
{
    private sealed record Pump
    {
        public static readonly Pump Instance = new();
    }

    public FloodHandler(IActorRef monitor, int messageSize)
    {
        var message = new SendBinary(new byte[messageSize]);
        IActorRef connection = ActorRefs.Nobody;
        bool closed = false;
        Receive<Opened>(o =>
        {
            connection = o.Connection;
            monitor.Tell(o);
            Self.Tell(Pump.Instance);
        });
        Receive<Pump>(_ =>
        {
            if (closed)
                return;
            for (int i = 0; i < 4; i++)
                connection.Tell(message);
            Self.Tell(Pump.Instance);
        });
        Receive<Closed>(c =>
        {
            closed = true;
            monitor.Tell(c);
        });
        ReceiveAny(m => monitor.Tell(m));
    }

    public static Props Props(IActorRef monitor, int messageSize) => Akka.Actor.Props.Create(() => new FloodHandler(monitor, messageSize));
}

/// <summary>Counts of a server's handler events across all its connections, and how many were open
/// at once.</summary>
public sealed class HandlerCounts
{
    private long _opened, _closed, _unclean, _live;
    private long _liveTarget = long.MaxValue;
    private readonly TaskCompletionSource _liveReached = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public long Opened => Interlocked.Read(ref _opened);
    public long Closed => Interlocked.Read(ref _closed);
    public long Unclean => Interlocked.Read(ref _unclean);

    /// <summary>Completes when <paramref name="count"/> connections are open at once (one target per instance).</summary>
    public Task WhenOpenAtOnce(long count)
    {
        Interlocked.Exchange(ref _liveTarget, count);
        if (Interlocked.Read(ref _live) >= count)
            _liveReached.TrySetResult();
        return _liveReached.Task;
    }

    /// <summary>Counts an Opened; returns its ordinal (1 for the server's first connection).</summary>
    public long OnOpened()
    {
        if (Interlocked.Increment(ref _live) >= Interlocked.Read(ref _liveTarget))
            _liveReached.TrySetResult();
        return Interlocked.Increment(ref _opened);
    }

    public void OnClosed(Closed c)
    {
        Interlocked.Decrement(ref _live);
        Interlocked.Increment(ref _closed);
        if (!c.WasClean)
            Interlocked.Increment(ref _unclean);
    }
}

/// <summary>An echo handler for thousands of connections: it keeps counts instead of telling a probe.
/// With an <c>echoGate</c>, connections after the first <c>ungated</c> hold their messages (stashed,
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
