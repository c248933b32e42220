using Akka.Actor;
using ActorWs.Dispatch;
using Akka.Pattern;
using ActorWs.Protocol;

namespace ActorWs;

/// <summary>
/// Starts client connections. With reconnect enabled the connection runs under Akka's
/// <see cref="BackoffSupervisor"/>: an abnormal close makes the connection actor fail with
/// <see cref="ConnectionLostException"/> and the supervisor starts a new one after a delay that
/// starts random (RFC 6455 §7.2.3: "a random amount of time" before the first reconnect, so that
/// clients dropped together do not come back together) and then doubles, with jitter, up to a cap.
/// A clean close stops the connection and with it the supervisor.
/// </summary>
public static class WebSocketClient
{
    /// <summary>Connects to a ws:// URI; <paramref name="handler"/> receives <see cref="Opened"/>,
    /// the messages and <see cref="Closed"/> of each connection. Returns the client's actor, to
    /// which the handler may also send its commands.</summary>
    public static IActorRef Connect(ActorSystem system, Uri uri, IActorRef handler,
        WebSocketSettings? settings = null, string name = "ws-client")
    {
        if (uri.Scheme != "ws")
            throw new ArgumentException($"'{uri}' is not a ws:// URI (wss:// needs TLS, which ActorWs does not do)", nameof(uri));
        settings ??= WebSocketSettings.Create(system.Settings.Config);
        Transport.Preload.Once();
        var connection = ConnectionActor.ForClient(settings, uri, handler, name).UseLeanMailbox(system);
        if (!settings.ReconnectEnabled)
            return system.ActorOf(connection, name);

        var trace = new Trace(system, Role.Client, name, settings.TraceLifecycle);
        var firstDelay = TimeSpan.FromMilliseconds(Random.Shared.NextDouble() *
            (settings.ReconnectFirstDelayMax - settings.ReconnectMinBackoff).TotalMilliseconds) + settings.ReconnectMinBackoff;
        int attempt = 0;
        var lastStart = DateTime.UtcNow;
        var decider = new OneForOneStrategy(failure =>
        {
            if (failure is not ConnectionLostException lost)
                return Directive.Stop;
            if (DateTime.UtcNow - lastStart >= settings.ReconnectResetAfter)
                attempt = 0;
            var low = TimeSpan.FromTicks((long)Math.Min(settings.ReconnectMaxBackoff.Ticks, firstDelay.Ticks * Math.Pow(2, Math.Min(attempt, 30))));
            trace.Emit(Direction.Error, "ACTOR", $"{lost.Closed}: the BackoffSupervisor restarts the connection");
            trace.Emit(Direction.Local, "RETRY", $"reconnect #{attempt + 1} in {low.TotalSeconds:0.00}–{low.TotalSeconds * (1 + settings.ReconnectRandomFactor):0.00} s (random first delay, then doubling with jitter up to {settings.ReconnectMaxBackoff.TotalSeconds:0} s; RFC 6455 §7.2.3)");
            attempt++;
            lastStart = DateTime.UtcNow;
            return Directive.Restart;
        }, loggingEnabled: false);

        var options = Backoff.OnFailure(connection, "conn", firstDelay, settings.ReconnectMaxBackoff, settings.ReconnectRandomFactor, maxNrOfRetries: -1)
            .WithAutoReset(settings.ReconnectResetAfter)
            .WithSupervisorStrategy(decider);
        return system.ActorOf(BackoffSupervisor.Props(options), name);
    }
}
