using System.Net;
using Akka.Actor;
using Akka.Event;
using Akka.IO;
using ActorWs.Protocol;

namespace ActorWs;

/// <summary>
/// Binds the listening socket with Akka.IO and spawns one <see cref="ConnectionActor"/> per accepted
/// connection. A failure in one connection stays in that connection's tree.
/// </summary>
public sealed class ServerActor : ReceiveActor
{
    /// <summary>Close every connection with 1001 (going away, §7.4.1) and stop listening.</summary>
    public sealed record Shutdown
    {
        public static readonly Shutdown Instance = new();
    }

    private readonly WebSocketSettings _settings;
    private readonly IPEndPoint _endpoint;
    private readonly Props _handlerProps;
    private readonly TaskCompletionSource<IPEndPoint> _bound;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Trace _trace;
    private IActorRef? _listener;
    private long _accepted;

    public ServerActor(WebSocketSettings settings, IPEndPoint endpoint, Props handlerProps, TaskCompletionSource<IPEndPoint> bound)
    {
        _settings = settings;
        _endpoint = endpoint;
        _handlerProps = handlerProps;
        _bound = bound;
        _trace = new Trace(Context.System, Role.Server, "server", settings.TraceLifecycle);

        Receive<Tcp.Bound>(b =>
        {
            _listener = Sender;
            var local = (IPEndPoint)b.LocalAddress;
            _trace.Emit(Direction.Local, "TCP", $"listening on {local}");
            _log.Info("WebSocket server listening on ws://{Endpoint}{Path}", local, settings.Path ?? "/");
            _bound.TrySetResult(local);
        });
        Receive<Tcp.CommandFailed>(f =>
        {
            _bound.TrySetException(new InvalidOperationException($"cannot listen on {_endpoint}: {f.CauseString}"));
            Context.Stop(Self);
        });
        Receive<Tcp.Connected>(c =>
        {
            var id = $"conn-{++_accepted}";
            Context.ActorOf(ConnectionActor.ForServer(_settings, Sender, c.RemoteAddress, _handlerProps, id), id);
        });
        Receive<Shutdown>(_ =>
        {
            _listener?.Tell(Tcp.Unbind.Instance);
            foreach (var connection in Context.GetChildren())
                connection.Tell(new Close(CloseCodes.GoingAway, "server shutting down"));
            Sender.Tell(Shutdown.Instance);
        });
        Receive<Tcp.Unbound>(_ => _trace.Emit(Direction.Local, "TCP", "stopped listening"));
    }

    /// <summary>Each connection is its own failure domain: whatever escapes one stops only it.</summary>
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Stop);

    protected override void PreStart() => Context.System.Tcp().Tell(new Tcp.Bind(Self, _endpoint, backlog: 1024));

    protected override void PostStop() => _bound.TrySetException(new InvalidOperationException("server stopped before it was bound"));
}
