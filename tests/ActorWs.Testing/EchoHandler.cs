using System.Globalization;
using System.Text;
using Akka.Actor;

namespace ActorWs.Testing;

/// <summary>
/// The application handler the suites put behind an ActorWs server or client. It echoes every text
/// and binary message whole, with its type, and obeys the command protocol of the interop peers
/// (tests/interop/node-echo-server.js) and two commands of its own:
/// <list type="bullet">
/// <item><c>close:&lt;code&gt;[:&lt;reason&gt;]</c> starts the closing handshake with that code and reason;</item>
/// <item><c>fragmented:&lt;text&gt;</c> sends &lt;text&gt; back — whole: ActorWs has no API to send a
/// fragmented message, so this is not a fragmented send (the interop peers' "fragmented-receive"
/// case does not apply to ActorWs);</item>
/// <item><c>ping:&lt;payload&gt;</c> sends a ping with the payload's UTF-8 bytes and, when the matching
/// pong arrives, the text <c>pong:&lt;payload&gt;</c> (an unsolicited pong, §5.5.3, matches nothing);</item>
/// <item><c>stop</c> stops the handler (the connection closes with 1001);</item>
/// <item><c>throw</c> throws (the connection closes with 1011).</item>
/// </list>
/// What it is handed is told to the observer, when there is one: always Opened, Closed, pongs and
/// every other event (SendBufferHigh, Reconnecting, ...); the messages too, before their echo, with
/// <c>reportMessages</c>; and <see cref="Stopped"/> as it stops, with <c>reportStop</c>. Closed does
/// not stop it: a second Closed, which must never come, would then be seen.
/// </summary>
public sealed class EchoHandler : ReceiveActor
{
    /// <summary>Told to the observer as the handler stops (<c>reportStop</c>): after it, the handler
    /// has been handed everything it ever will be.</summary>
    public sealed record Stopped
    {
        public static readonly Stopped Instance = new();
    }

    private readonly IActorRef? _observer;
    private readonly bool _reportStop;
    private readonly List<string> _pendingPings = new();
    private IActorRef _connection = ActorRefs.Nobody;

    public EchoHandler(IActorRef? observer, bool reportMessages, bool reportStop)
    {
        _observer = observer;
        _reportStop = reportStop;
        Receive<Opened>(o =>
        {
            _connection = o.Connection;
            Observe(o);
        });
        Receive<TextReceived>(m =>
        {
            if (reportMessages)
                Observe(m);
            OnText(m.Text);
        });
        Receive<BinaryReceived>(m =>
        {
            if (reportMessages)
                Observe(m);
            _connection.Tell(new SendBinary(m.Data));
        });
        Receive<PongReceived>(p =>
        {
            Observe(p);
            var payload = Encoding.UTF8.GetString(p.Payload);
            if (_pendingPings.Remove(payload))
                _connection.Tell(new SendText("pong:" + payload));
        });
        ReceiveAny(Observe);
    }

    public static Props Props(IActorRef? observer = null, bool reportMessages = false, bool reportStop = false) =>
        Akka.Actor.Props.Create(() => new EchoHandler(observer, reportMessages, reportStop));

    protected override void PostStop()
    {
        if (_reportStop)
            Observe(Stopped.Instance);
    }

    private void OnText(string text)
    {
        if (text.StartsWith("close:", StringComparison.Ordinal))
        {
            var rest = text["close:".Length..];
            int colon = rest.IndexOf(':');
            var code = ushort.Parse(colon >= 0 ? rest[..colon] : rest, CultureInfo.InvariantCulture);
            _connection.Tell(new Close(code, colon >= 0 ? rest[(colon + 1)..] : ""));
        }
        else if (text.StartsWith("fragmented:", StringComparison.Ordinal))
        {
            _connection.Tell(new SendText(text["fragmented:".Length..])); // whole: see the class comment
        }
        else if (text.StartsWith("ping:", StringComparison.Ordinal))
        {
            var payload = text["ping:".Length..];
            _pendingPings.Add(payload);
            _connection.Tell(new SendPing(Encoding.UTF8.GetBytes(payload)));
        }
        else if (text == "stop")
        {
            Context.Stop(Self);
        }
        else if (text == "throw")
        {
            throw new InvalidOperationException("handler failed on purpose");
        }
        else
        {
            _connection.Tell(new SendText(text));
        }
    }

    private void Observe(object message) => _observer?.Tell(message);
}
