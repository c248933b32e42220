using Akka.Actor;

namespace ActorWs.Hardening.Tests.Support;

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
