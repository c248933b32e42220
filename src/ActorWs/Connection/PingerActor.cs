using System.Buffers.Binary;
using Akka.Actor;
using ActorWs.Logging;
using ActorWs.Protocol;

namespace ActorWs.Connection;

/// <summary>
/// Keep-alive (RFC 6455 §5.5.2, §5.5.3): a ping every interval; a pong clears the deadline; no
/// pong within the timeout throws <see cref="KeepAliveTimeoutException"/>, which the connection's
/// supervisor turns into a 1011 close followed by a TCP abort if the peer stays silent.
/// </summary>
internal sealed class PingerActor : UntypedActor, IWithTimers
{
    private sealed record Tick
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

    protected override void PreStart()
    {
        if (_settings.PingInterval > TimeSpan.Zero)
            Timers.StartPeriodicTimer(Tick.Instance, Tick.Instance, _settings.PingInterval);
    }

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
