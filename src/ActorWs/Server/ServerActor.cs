using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Event;
using ActorWs.Dispatch;
using ActorWs.Protocol;
using ActorWs.Transport;

namespace ActorWs;

/// <summary>
/// Listens, and spawns one <see cref="ConnectionActor"/> (with its <see cref="SocketConnection"/>)
/// per accepted connection. A failure in one connection stays in that connection's tree.
/// </summary>
public sealed class ServerActor : ReceiveActor
{
    /// <summary>Close every connection with 1001 (going away, §7.4.1) and stop listening.</summary>
    public sealed record Shutdown
    {
        public static readonly Shutdown Instance = new();
    }
    private sealed record Accepted(Socket Socket);
    private sealed record AcceptFailed(string Why);

    private readonly WebSocketSettings _settings;
    private readonly IPEndPoint _endpoint;
    private readonly Props _handlerProps;
    private readonly TaskCompletionSource<IPEndPoint> _bound;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Trace _trace;
    private Socket? _listener;
    private long _accepted;

    public ServerActor(WebSocketSettings settings, IPEndPoint endpoint, Props handlerProps, TaskCompletionSource<IPEndPoint> bound)
    {
        _settings = settings;
        _endpoint = endpoint;
        _handlerProps = handlerProps;
        _bound = bound;
        _trace = new Trace(Context.System, Role.Server, "server", settings.TraceLifecycle);

        Receive<Accepted>(a =>
        {
            var id = $"conn-{++_accepted}";
            var socket = SocketConnection.Spawn(Context.System, a.Socket, _settings);
            Context.ActorOf(ConnectionActor.ForServer(_settings, socket, a.Socket.RemoteEndPoint!, _handlerProps, id).UseLeanMailbox(Context.System), id);
        });
        Receive<AcceptFailed>(f => _log.Warning("WebSocket server on {Endpoint}: accept failed: {Why}", _endpoint, f.Why));
        Receive<Shutdown>(_ =>
        {
            StopListening();
            foreach (var connection in Context.GetChildren())
                connection.Tell(new Close(CloseCodes.GoingAway, "server shutting down"));
            Sender.Tell(Shutdown.Instance);
        });
    }

    /// <summary>Each connection is its own failure domain: whatever escapes one stops only it.</summary>
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Stop);

    protected override void PreStart()
    {
        try
        {
            _listener = new Socket(_endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            _listener.Bind(_endpoint);
            _listener.Listen(_settings.AcceptBacklog);
        }
        catch (SocketException e)
        {
            _listener?.Dispose();
            _listener = null; // never listened: PostStop must not report that it stopped
            _bound.TrySetException(new InvalidOperationException($"cannot listen on {_endpoint}: {e.Message}"));
            Context.Stop(Self);
            return;
        }
        var local = (IPEndPoint)_listener.LocalEndPoint!;
        _trace.Emit(Direction.Local, "TCP", $"listening on {local}");
        _log.Info("WebSocket server listening on ws://{Endpoint}{Path}", local, _settings.Path ?? "/");
        _bound.TrySetResult(local);
        _ = AcceptLoop(_listener, Self);
    }

    private static async Task AcceptLoop(Socket listener, IActorRef server)
    {
        while (true)
        {
            try
            {
                server.Tell(new Accepted(await listener.AcceptAsync()));
            }
            catch (Exception e) when (e is ObjectDisposedException || e is SocketException { SocketErrorCode: SocketError.OperationAborted })
            {
                return; // stopped listening
            }
            catch (SocketException e)
            {
                // Out of file descriptors, most likely: retrying at once would only spin.
                server.Tell(new AcceptFailed(e.Message));
                await Task.Delay(100);
            }
        }
    }

    private void StopListening()
    {
        if (_listener is null)
            return;
        _listener.Dispose();
        _listener = null;
        _trace.Emit(Direction.Local, "TCP", "stopped listening");
    }

    protected override void PostStop()
    {
        StopListening();
        _bound.TrySetException(new InvalidOperationException("server stopped before it was bound"));
    }
}
