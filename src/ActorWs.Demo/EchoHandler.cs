using Akka.Actor;

namespace ActorWs.Demo;

/// <summary>The echo server's handler: text back as text, binary back as binary. An UntypedActor,
/// because there is one per connection and a ReceiveActor's handler table is per instance.</summary>
public sealed class EchoHandler : UntypedActor
{
    private IActorRef _connection = ActorRefs.Nobody;

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case TextReceived m:
                _connection.Tell(new SendText(m.Text));
                break;
            case BinaryReceived m:
                _connection.Tell(new SendBinary(m.Data));
                break;
            case Opened o:
                _connection = o.Connection;
                break;
            case Closed:
                Context.Stop(Self);
                break;
        }
    }

    public static Props Props() => Akka.Actor.Props.Create<EchoHandler>();
}
