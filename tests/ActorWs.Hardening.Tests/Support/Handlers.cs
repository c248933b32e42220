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

/// <summary>Counts of a server's handler events across all its connections.</summary>
public sealed class HandlerCounts
{
    private long _opened, _closed, _unclean;
    public long Opened => Interlocked.Read(ref _opened);
    public long Closed => Interlocked.Read(ref _closed);
    public long Unclean => Interlocked.Read(ref _unclean);
    public void OnOpened() => Interlocked.Increment(ref _opened);
    public void OnClosed(Closed c)
    {
        Interlocked.Increment(ref _closed);
        if (!c.WasClean)
            Interlocked.Increment(ref _unclean);
    }
}

/// <summary>An echo handler for thousands of connections: it keeps counts instead of telling a probe.</summary>
public sealed class CountingEchoHandler : ReceiveActor
{
    private IActorRef _connection = ActorRefs.Nobody;

    public CountingEchoHandler(HandlerCounts counts)
    {
        Receive<Opened>(o =>
        {
            _connection = o.Connection;
            counts.OnOpened();
        });
        Receive<TextReceived>(m => _connection.Tell(new SendText(m.Text)));
        Receive<BinaryReceived>(m => _connection.Tell(new SendBinary(m.Data)));
        Receive<Closed>(counts.OnClosed);
        ReceiveAny(_ => { });
    }

    public static Props Props(HandlerCounts counts) => Akka.Actor.Props.Create(() => new CountingEchoHandler(counts));
}
