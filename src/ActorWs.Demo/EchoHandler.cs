using Akka.Actor;

namespace ActorWs.Demo;

/// <summary>The echo server's handler: text back as text, binary back as binary, in whichever form
/// the connection delivers them (whole strings and arrays, lent messages, or streamed parts). An UntypedActor,
/// because there is one per connection and a ReceiveActor's handler table is per instance.</summary>
public sealed class EchoHandler : UntypedActor
{
    private IActorRef _connection = ActorRefs.Nobody;

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            // Lent (actorws.messages.lend, serve's default): the received message is sent back as
            // it is, its payload the very bytes read from the socket, with no copy and no allocation.
            case MessageReceived m:
                _connection.Tell(m);
                break;
            // A message over actorws.messages.stream-over echoes part by part, as it arrives.
            case PartReceived p:
                _connection.Tell(p);
                break;
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
