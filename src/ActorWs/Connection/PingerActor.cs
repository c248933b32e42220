using System.Buffers.Binary;
using Akka.Actor;
using ActorWs.Logging;
using ActorWs.Protocol;

namespace ActorWs.Connection;

/// <summary>
/// Keep-alive (RFC 6455 §5.5.2, §5.5.3): the connection times the interval and starts this actor
/// when a ping is due; it sends the ping, and its pong ends its work, so it stops (an idle
/// connection holds no pinger between pings). A <see cref="Tick"/> while it waits sends another
/// ping under the first one's deadline. No pong within the timeout throws
/// <see cref="KeepAliveTimeoutException"/>, which the connection's supervisor turns into a 1011
/// close followed by a TCP abort if the peer stays silent.
/// </summary>
internal sealed class PingerActor : UntypedActor, IWithTimers
{
    /// <summary>From the connection: the next interval has passed and the pong is still awaited.</summary>
    public sealed record Tick
    {
        public static readonly Tick Instance = new();
    }
    private sealed record PongDue
    {
        public static readonly PongDue Instance = new();
    }

    private readonly WebSocketSettings _settings;
    private readonly IActorRef _writer;
    private readonly LifecycleTrace _trace;
    // Each pinger sends from 1: a log matches a pong to its ping within one pinger's life.
    private long _sequence;

    public ITimerScheduler Timers { get; set; } = null!;

    public PingerActor(WebSocketSettings settings, IActorRef writer, LifecycleTrace trace)
    {
        _settings = settings;
        _writer = writer;
        _trace = trace;
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Tick:
                SendPing();
                break;
            case PongReceived pong:
                Timers.Cancel(PongDue.Instance);
                _trace.PongReceived(pong.Payload);
                Context.Stop(Self); // its work is done until the next interval
                break;
            case PongDue:
                throw new KeepAliveTimeoutException(_settings.PongTimeout);
            default:
                Unhandled(message);
                break;
        }
    }

    public static Props Props(WebSocketSettings settings, IActorRef writer, LifecycleTrace trace) =>
        Akka.Actor.Props.Create(() => new PingerActor(settings, writer, trace));

    protected override void PreStart() => SendPing();

    private void SendPing()
    {
        // A sequence number as payload lets a log match each pong to its ping.
        var payload = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(payload, ++_sequence);
        _writer.Tell(new WriterActor.SendKeepAlivePing(payload));
        _trace.PingSent(_sequence, _settings.PongTimeout);
        // An unanswered earlier ping keeps its deadline: a pong must come within the timeout of it.
        if (!Timers.IsTimerActive(PongDue.Instance))
            Timers.StartSingleTimer(PongDue.Instance, PongDue.Instance, _settings.PongTimeout);
    }
}
