using System.Text;
using Akka.Actor;

namespace ActorWs.Conformance.Tests.Support;

/// <summary>
/// The application handler used by every test in this project, on both roles. It speaks the
/// command protocol of the interop peers (tests/interop/node-echo-server.js):
/// <list type="bullet">
/// <item>a text or binary message is echoed back whole, with its type;</item>
/// <item><c>close:&lt;code&gt;:&lt;reason&gt;</c> starts the closing handshake with that code and reason;</item>
/// <item><c>fragmented:&lt;text&gt;</c> sends &lt;text&gt; back — whole: ActorWs has no API to send a
/// fragmented message, so this is NOT a fragmented send, and the peers' "fragmented-receive" case
/// is not applicable to our server (the interop tests leave it out where the peer can select cases);</item>
/// <item><c>ping:&lt;payload&gt;</c> sends a ping with the payload's UTF-8 bytes; when the matching pong
/// arrives it sends the text <c>pong:&lt;payload&gt;</c>.</item>
/// </list>
/// Every event it receives is also told to <c>observer</c> (when given), so a test can see exactly
/// what the application was handed.
/// </summary>
public sealed class InteropHandler : ReceiveActor
{
    private readonly IActorRef? _observer;
    private readonly List<string> _pendingPings = new();
    private IActorRef _connection = ActorRefs.Nobody;

    public InteropHandler(IActorRef? observer)
    {
        _observer = observer;
        Receive<Opened>(o =>
        {
            _connection = o.Connection;
            Observe(o);
        });
        Receive<TextReceived>(m =>
        {
            Observe(m);
            OnText(m.Text);
        });
        Receive<BinaryReceived>(m =>
        {
            Observe(m);
            _connection.Tell(new SendBinary(m.Data));
        });
        Receive<PongReceived>(p =>
        {
            Observe(p);
            var payload = Encoding.UTF8.GetString(p.Payload);
            // Unsolicited pongs (RFC 6455 §5.5.3) and pongs of keep-alive pings match nothing: ignored.
            if (_pendingPings.Remove(payload))
                _connection.Tell(new SendText("pong:" + payload));
        });
        // Closed does not stop it: a second Closed, which must never come, would then be seen.
        ReceiveAny(Observe);
    }

    protected override void PostStop() => Observe(HandlerEvents.HandlerStopped.Instance);

    public static Props Props(IActorRef? observer = null) => Akka.Actor.Props.Create(() => new InteropHandler(observer));

    private void OnText(string text)
    {
        if (text.StartsWith("close:", StringComparison.Ordinal))
        {
            var rest = text["close:".Length..];
            int sep = rest.IndexOf(':');
            var code = ushort.Parse(sep >= 0 ? rest[..sep] : rest, System.Globalization.CultureInfo.InvariantCulture);
            _connection.Tell(new Close(code, sep >= 0 ? rest[(sep + 1)..] : ""));
            return;
        }
        if (text.StartsWith("fragmented:", StringComparison.Ordinal))
        {
            // Whole, not fragmented: see the class comment.
            _connection.Tell(new SendText(text["fragmented:".Length..]));
            return;
        }
        if (text.StartsWith("ping:", StringComparison.Ordinal))
        {
            var payload = text["ping:".Length..];
            _pendingPings.Add(payload);
            _connection.Tell(new SendPing(Encoding.UTF8.GetBytes(payload)));
            return;
        }
        _connection.Tell(new SendText(text));
    }

    private void Observe(object message) => _observer?.Tell(message);
}
