using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Event;
using ActorWs.Connection;
using ActorWs.Dispatch;
using ActorWs.Logging;
using ActorWs.Protocol;
using ActorWs.Transport;

namespace ActorWs.Server;

/// <summary>
/// Listens, and spawns one <see cref="ConnectionActor"/> (with its <see cref="SocketConnection"/>)
/// per accepted connection, up to <c>actorws.max-connections</c>; past it, the accept loop refuses
/// with 503 (<see cref="ConnectionCapacity"/>). A failure in one connection stays in that
/// connection's tree.
/// </summary>
internal sealed class ServerActor : ReceiveActor, IWithTimers
{
    /// <summary>Close every connection with 1001 (going away, §7.4.1) and stop listening.</summary>
    public sealed record Shutdown
    {
        public static readonly Shutdown Instance = new();
    }
    /// <summary>The server listens: where, and how many connections it holds at most.</summary>
    public sealed record Listening(IPEndPoint Endpoint, int MaxConnections);
    private sealed record Accepted(Socket Socket);
    /// <summary>The first of a burst: the accept loop tells it, and counts the rest in the burst.</summary>
    private sealed record BurstBegan(Burst Burst, string Why);
    private sealed record ReportBurst(Burst Burst);

    /// <summary>
    /// Refusals, or failed accepts: events that come at a rate no log should follow. Counted from
    /// the accept loop; the first after a quiet interval is told to the server, which logs it and
    /// then once per interval how many followed, until an interval passes without any.
    /// </summary>
    private sealed class Burst(string counted, string ended)
    {
        private long _count;
        public string Counted { get; } = counted;
        public string Ended { get; } = ended;
        /// <summary>The server's own: it is reporting this burst.</summary>
        public bool Reporting { get; set; }

        /// <summary>True for the first since the last <see cref="Take"/>.</summary>
        public bool Count() => Interlocked.Increment(ref _count) == 1;
        public long Take() => Interlocked.Exchange(ref _count, 0);
    }

    private static readonly TimeSpan ReportInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MinAcceptBackoff = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan MaxAcceptBackoff = TimeSpan.FromSeconds(1);

    private readonly WebSocketSettings _settings;
    private readonly IPEndPoint _endpoint;
    private readonly Props _handlerProps;
    private readonly UpgradeDecider? _decider;
    private readonly TaskCompletionSource<Listening> _bound;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly LifecycleTrace _trace;
    private readonly Burst _refusals = new("connections refused with 503", "no connection refused");
    private readonly Burst _acceptFailures = new("failed accepts", "accepting again: no accept failed");
    private Socket? _listener;
    private IPEndPoint? _local;
    private ConnectionCapacity? _capacity;
    private long _accepted;
    private bool _draining;  // shutting down: stops once every connection has ended

    public ITimerScheduler Timers { get; set; } = null!;

    public ServerActor(WebSocketSettings settings, IPEndPoint endpoint, Props handlerProps, UpgradeDecider? decider, TaskCompletionSource<Listening> bound)
    {
        _decider = decider;
        _settings = settings;
        _endpoint = endpoint;
        _handlerProps = handlerProps;
        _bound = bound;
        _trace = new LifecycleTrace(Context.System, Role.Server, "server", settings.TraceLifecycle);

        Receive<Accepted>(a =>
        {
            var id = $"conn-{++_accepted}";
            var socket = _settings.Tls is { } tls
                ? TlsConnection.SpawnServer(Context.System, a.Socket, _settings, tls, _capacity!.Release)
                : SocketConnection.Spawn(Context.System, a.Socket, _settings, _capacity!.Release);
            Context.ActorOf(ConnectionActor.ForServer(_settings, socket, a.Socket.RemoteEndPoint!, a.Socket.LocalEndPoint, _handlerProps, _decider, id).UseLeanMailbox(Context.System), id);
        });
        Receive<BurstBegan>(b =>
        {
            if (b.Burst.Reporting)
                return; // counted: the next report has it
            b.Burst.Reporting = true;
            Warn(b.Why);
            Timers.StartPeriodicTimer(b.Burst, new ReportBurst(b.Burst), ReportInterval);
        });
        Receive<ReportBurst>(r =>
        {
            long count = r.Burst.Take();
            var state = $"{_capacity!.Connections} connections open, max-connections {_capacity.MaxConnections}";
            if (count > 0)
            {
                Warn($"{r.Burst.Counted} in the last {ReportInterval.TotalSeconds:0} s: {count} ({state})");
                return;
            }
            r.Burst.Reporting = false;
            Timers.Cancel(r.Burst);
            _trace.ServerTroubleEnded($"{r.Burst.Ended} in the last {ReportInterval.TotalSeconds:0} s ({state})");
            _log.Info("WebSocket server on {Endpoint}: {Ended} in the last {Seconds} s ({State})", _local, r.Burst.Ended, ReportInterval.TotalSeconds, state);
        });
        Receive<Shutdown>(_ =>
        {
            StopListening();
            foreach (var connection in Context.GetChildren())
            {
                Context.Watch(connection);
                connection.Tell(new ConnectionActor.ServerGoingAway(new Close(CloseCodes.GoingAway, "server shutting down")));
            }
            Sender.Tell(Shutdown.Instance);
            // Stopping now would stop the connections in the middle of their closing handshakes
            // (their peers would see TCP reset, not 1001): the server stops when the last has ended.
            _draining = true;
            StopWhenDrained();
        });
        Receive<Terminated>(_ => StopWhenDrained());
    }

    private void StopWhenDrained()
    {
        if (_draining && !Context.GetChildren().Any())
            Context.Stop(Self);
    }

    private void Warn(string why)
    {
        _trace.ServerTrouble(why);
        _log.Warning("WebSocket server on {Endpoint}: {Why}", _local, why);
    }

    /// <summary>Each connection is its own failure domain: whatever escapes one stops only it.</summary>
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Stop);

    protected override void PreStart()
    {
        // Before the descriptors are counted, and while they are free.
        Preload.Before(Context.System);
        Memory.MemoryReclaimer.Enable(_settings.ReclaimAfter);
        try
        {
            _listener = new Socket(_endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            _listener.Bind(_endpoint);
            _listener.Listen(_settings.AcceptBacklog);
            _capacity = ConnectionCapacity.Create(_settings);
        }
        catch (Exception e) when (e is SocketException or InvalidOperationException)
        {
            _listener?.Dispose();
            _listener = null; // never listened: PostStop must not report that it stopped
            _bound.TrySetException(new InvalidOperationException($"cannot listen on {_endpoint}: {e.Message}"));
            Context.Stop(Self);
            return;
        }
        _local = (IPEndPoint)_listener.LocalEndPoint!;
        _trace.Listening(_local, _capacity);
        if (_settings.Tls is { } tls)
            _trace.TlsServing(tls.Certificate, tls.Protocols);
        var scheme = _settings.Tls is null ? "ws" : "wss";
        if (_capacity.OverDescriptorLimit)
            _log.Warning("WebSocket server listening on {Scheme}://{Endpoint}{Path}, {Capacity}: connections can use up the descriptors, " +
                "and a process without one aborts when .NET next starts a thread", scheme, _local, _settings.Path ?? "/", _capacity);
        else
            _log.Info("WebSocket server listening on {Scheme}://{Endpoint}{Path}, {Capacity}", scheme, _local, _settings.Path ?? "/", _capacity);
        if (_settings.Tls is { } served)
            _log.Info("WebSocket server on {Endpoint}: TLS with {Certificate}", _local, served);
        _bound.TrySetResult(new Listening(_local, _capacity.MaxConnections));
        _ = AcceptLoop(_listener, Self, _capacity, _refusals, _acceptFailures);
    }

    /// <summary>Admits or refuses each socket as it is accepted, before it reaches a mailbox: a socket
    /// waiting there would hold a descriptor that nothing counts.</summary>
    private static async Task AcceptLoop(Socket listener, IActorRef server, ConnectionCapacity capacity, Burst refusals, Burst acceptFailures)
    {
        var backoff = MinAcceptBackoff;
        while (true)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync();
            }
            catch (Exception e) when (e is ObjectDisposedException || e is SocketException { SocketErrorCode: SocketError.OperationAborted })
            {
                return; // stopped listening
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionAborted or SocketError.ConnectionReset)
            {
                continue; // that one client gave up while it waited in the backlog (accept(2): ECONNABORTED)
            }
            catch (SocketException e)
            {
                // Out of descriptors (EMFILE, ENFILE) or of kernel memory (ENOBUFS, ENOMEM): retrying
                // at once would spin, and only time (connections closing) helps. The open
                // connections are served meanwhile.
                if (acceptFailures.Count())
                    server.Tell(new BurstBegan(acceptFailures, $"accept failed: {e.Message}; retrying from " +
                        $"{MinAcceptBackoff.TotalMilliseconds:0} ms, doubling up to {MaxAcceptBackoff.TotalSeconds:0} s; open connections are served meanwhile"));
                await Task.Delay(backoff);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxAcceptBackoff.Ticks));
                continue;
            }
            backoff = MinAcceptBackoff;
            if (capacity.TryAdmit())
            {
                server.Tell(new Accepted(socket));
                continue;
            }
            capacity.Refuse(socket);
            if (refusals.Count())
                server.Tell(new BurstBegan(refusals, $"{capacity.Connections} connections open, {capacity}: " +
                    $"new ones are refused with 503 (Retry-After {capacity.RetryAfterSeconds} s)"));
        }
    }

    private void StopListening()
    {
        if (_listener is null)
            return;
        _listener.Dispose();
        _listener = null;
        _trace.StoppedListening();
    }

    protected override void PostStop()
    {
        StopListening();
        _bound.TrySetException(new InvalidOperationException("server stopped before it was bound"));
    }
}
