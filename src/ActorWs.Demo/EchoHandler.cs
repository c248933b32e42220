using Akka.Actor;

namespace ActorWs.Demo;

/// <summary>The echo server's handler: text back as text, binary back as binary.</summary>
public sealed class EchoHandler : ReceiveActor
{
    private IActorRef _connection = ActorRefs.Nobody;

    public EchoHandler()
    {
        Receive<Opened>(o => _connection = o.Connection);
        Receive<TextReceived>(m => _connection.Tell(new SendText(m.Text)));
        Receive<BinaryReceived>(m => _connection.Tell(new SendBinary(m.Data)));
        Receive<Closed>(_ => Context.Stop(Self));
        ReceiveAny(_ => { });
    }

    public static Props Props() => Akka.Actor.Props.Create<EchoHandler>();
}
