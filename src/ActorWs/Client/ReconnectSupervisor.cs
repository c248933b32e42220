using Akka.Actor;
using Akka.Event;
using ActorWs.Connection;
using ActorWs.Dispatch;
using ActorWs.Logging;
using ActorWs.Protocol;

namespace ActorWs.Client;

/// <summary>
/// The client's actor when reconnect is on, parent of one <see cref="ConnectionActor"/> at a time
/// ("conn"). A connection that fails with <see cref="ConnectionLostException"/> is stopped and, after
/// the <see cref="ReconnectBackoff"/> delay, replaced by a new one (RFC 6455 §7.2.3); the handler is
/// told <see cref="Reconnecting"/> when the delay starts. A connection that stays OPEN for
/// reconnect.reset-after makes the next delay a first one again. Both times are Akka timers, so a
/// test scheduler drives them. A connection that stops (a clean close, or a close the application
/// asked for) stops the client.
/// <para>Commands (<see cref="SendText"/>, <see cref="SendBinary"/>, <see cref="SendPing"/>,
/// <see cref="Close"/>, <see cref="Abort"/>) go to the current connection. While there is none, a
/// send goes to dead letters, as it would through the <see cref="Opened.Connection"/> of a closed
/// connection; <see cref="Close"/> or <see cref="Abort"/> stops the client instead of reconnecting.</para>
/// <para>With several endpoints (the nodes of a cluster, say), each reconnect goes to the next one in
/// the list, round and round, with the same backoff: a node that is gone is left at once for the next,
/// and a whole list that is down is tried at the backoff's pace, not in a tight loop.</para>
/// </summary>
internal sealed class ReconnectSupervisor : UntypedActor, IWithTimers
{
    private sealed record Reconnect
    {
        public static readonly Reconnect Instance = new();
    }
    private sealed record Stable
    {
        public static readonly Stable Instance = new();
    }

    private readonly WebSocketSettings _settings;
    private readonly Props[] _connectionProps;  // one per endpoint
    private int _endpoint;                      // the index of the endpoint the current or next connection goes to
    private readonly IActorRef _handler;
    private readonly ReconnectBackoff _backoff;
    private readonly LifecycleTrace _trace;
    private readonly ILoggingAdapter _log = Context.GetLogger();

    private IActorRef? _connection;  // null while waiting to reconnect
    private bool _lost;              // _connection failed with ConnectionLostException and is stopping
    private TimeSpan? _retryAfter;   // the Retry-After of the refusal that ended it, if any

    public ITimerScheduler Timers { get; set; } = null!;

    public ReconnectSupervisor(WebSocketSettings settings, IReadOnlyList<Uri> endpoints, WebSocketClientOptions options, IActorRef handler, string name)
    {
        _settings = settings;
        _handler = handler;
        _connectionProps = endpoints.Select(uri => ConnectionActor.ForClient(settings, uri, options, handler, name).UseLeanMailbox(Context.System)).ToArray();
        _backoff = new ReconnectBackoff(settings, new Random());
        _trace = new LifecycleTrace(Context.System, Role.Client, name, settings.TraceLifecycle);
    }

    public static Props Props(WebSocketSettings settings, Uri uri, WebSocketClientOptions options, IActorRef handler, string name) =>
        Props(settings, [uri], options, handler, name);

    public static Props Props(WebSocketSettings settings, IReadOnlyList<Uri> endpoints, WebSocketClientOptions options, IActorRef handler, string name) =>
        Akka.Actor.Props.Create(() => new ReconnectSupervisor(settings, endpoints, options, handler, name));

    protected override void PreStart() => StartConnection();

    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(OnConnectionFailure, loggingEnabled: false);

    private Directive OnConnectionFailure(Exception failure)
    {
        Timers.Cancel(Stable.Instance);
        if (failure is ConnectionLostException lost)
        {
            _lost = true;
            _retryAfter = lost.Closed.HandshakeFailure?.Refusal?.RetryAfter;
            _trace.ConnectionLost(lost.Closed);
        }
        else
        {
            _log.Error(failure, "WebSocket client {Path}: the connection actor failed: not reconnecting", Self.Path);
            _trace.ConnectionActorFailed(failure);
        }
        return Directive.Stop;
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case SendText or SendBinary or SendPing or Close or Abort when _connection is not null && !_lost:
                _connection.Forward(message);
                break;
            case Close or Abort:
                StopWhileDisconnected(message);
                break;
            case SendText or SendBinary or SendPing:
                Context.System.DeadLetters.Tell(new DeadLetter(message, Sender, Self), Sender);
                break;
            case ConnectionActor.ReachedOpen when Sender.Equals(_connection) && !_lost:
                Timers.StartSingleTimer(Stable.Instance, Stable.Instance, _settings.ReconnectResetAfter);
                break;
            case Stable:
                _backoff.Reset();
                _trace.ConnectionStable(_settings.ReconnectResetAfter);
                break;
            case Reconnect:
                StartConnection();
                break;
            case Terminated t when t.ActorRef.Equals(_connection):
                _connection = null;
                if (_lost)
                    ScheduleReconnect();
                else
                    Context.Stop(Self);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void StartConnection()
    {
        _lost = false;
        _connection = Context.ActorOf(_connectionProps[_endpoint], "conn");
        Context.Watch(_connection);
    }

    /// <summary>Only once the lost connection has stopped: its name is free for the next, and the
    /// handler hears <see cref="Reconnecting"/> after that connection's <see cref="Closed"/>.
    /// A server that refused with a Retry-After (a 503 or a 429) is not asked again sooner, up to
    /// reconnect.max-backoff: the longest this client is configured to wait.</summary>
    private void ScheduleReconnect()
    {
        _endpoint = (_endpoint + 1) % _connectionProps.Length;
        var delay = _backoff.Next();
        if (_retryAfter is { } asked && asked > delay)
            delay = asked < _settings.ReconnectMaxBackoff ? asked : _settings.ReconnectMaxBackoff;
        _trace.ReconnectScheduled(_backoff.Attempt, delay, _backoff.FirstDelay, _settings);
        Timers.StartSingleTimer(Reconnect.Instance, Reconnect.Instance, delay);
        _handler.Tell(new Reconnecting(_backoff.Attempt, delay));
    }

    /// <summary>The application ends the client while no connection is up. If a reconnect was
    /// announced, that connection ends here, so the handler hears its <see cref="Closed"/>: 1006 like
    /// any connection closed before it opened. If the lost connection is still stopping, its own
    /// <see cref="Closed"/> was the last event.</summary>
    private void StopWhileDisconnected(object command)
    {
        if (Timers.IsTimerActive(Reconnect.Instance))
        {
            var why = $"{(command is Close ? "closed" : "aborted")} by the application before reconnect #{_backoff.Attempt}";
            _trace.ClientStopsWhileWaiting(why);
            _handler.Tell(new Closed(CloseCodes.AbnormalClosure, why, false));
        }
        Context.Stop(Self);
    }
}
