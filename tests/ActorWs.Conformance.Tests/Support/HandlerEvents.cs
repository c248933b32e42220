using System.Threading.Channels;
using Akka.Actor;

namespace ActorWs.Conformance.Tests.Support;

/// <summary>Collects what an <see cref="EchoHandler"/> was handed (Opened, messages, pongs, Closed)
/// into a channel that a test awaits.</summary>
public sealed class HandlerEvents : IDisposable
{
    private readonly Channel<object> _events = Channel.CreateUnbounded<object>();
    private readonly List<object> _seen = new();

    private readonly ActorSystem _system;

    public HandlerEvents(ActorSystem system)
    {
        _system = system;
        Actor = system.ActorOf(Props.Create(() => new Collector(_events.Writer)));
    }

    public IActorRef Actor { get; }

    /// <summary>The handler for the ActorWs side: an <see cref="EchoHandler"/> that tells this
    /// collector everything it is handed, messages included, and its stop.</summary>
    public Props HandlerProps => EchoHandler.Props(Actor, reportMessages: true, reportStop: true);

    /// <summary>Everything taken from the channel so far, in order.</summary>
    public IReadOnlyList<object> Seen => _seen;

    /// <summary>Waits for the next event of type <typeparamref name="T"/>, keeping the ones before it in <see cref="Seen"/>.</summary>
    public Task<T> NextAsync<T>(TimeSpan timeout) => NextAsync<T>(_ => true, timeout);

    /// <summary>Waits for the next event of type <typeparamref name="T"/> that <paramref name="match"/>
    /// accepts, keeping the ones before it in <see cref="Seen"/>.</summary>
    public async Task<T> NextAsync<T>(Func<T, bool> match, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (true)
            {
                var e = await _events.Reader.ReadAsync(cts.Token);
                _seen.Add(e);
                if (e is T t && match(t))
                    return t;
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"the handler got no {typeof(T).Name} waited for within {timeout.TotalSeconds:0.#} s; it got: {Describe()}");
        }
    }

    /// <summary>Takes whatever events are already queued.</summary>
    public void Drain()
    {
        while (_events.Reader.TryRead(out var e))
            _seen.Add(e);
    }

    /// <summary>
    /// Waits until <paramref name="connection"/> (the ConnectionActor) is gone and returns what the
    /// handler was handed after the events taken so far: once the connection has stopped it can send
    /// nothing more, so an empty list proves there was exactly one Closed. The signal that the handler
    /// has been handed everything is its own stop (<see cref="EchoHandler.Stopped"/>: a server's
    /// handler is stopped behind its Closed), or a marker sent through <paramref name="clientHandler"/>
    /// after the connection stopped (<see cref="ConnectionGone"/>, which the handler passes on).
    /// </summary>
    public async Task<IReadOnlyList<object>> AfterConnectionEndedAsync(IActorRef connection, IActorRef clientHandler, TimeSpan timeout)
    {
        _system.ActorOf(Props.Create(() => new EndWatcher(connection, clientHandler)));
        int from = _seen.Count;
        await NextAsync<object>(e => e is EchoHandler.Stopped or ConnectionGone, timeout);
        return _seen.Skip(from).Take(_seen.Count - from - 1).ToList();
    }

    /// <summary>Sent through a live handler after its connection stopped.</summary>
    public sealed record ConnectionGone
    {
        public static readonly ConnectionGone Instance = new();
    }

    private sealed class EndWatcher : ReceiveActor
    {
        public EndWatcher(IActorRef connection, IActorRef clientHandler)
        {
            Context.Watch(connection);
            Receive<Terminated>(_ =>
            {
                if (!clientHandler.IsNobody())
                    clientHandler.Tell(ConnectionGone.Instance);
                Context.Stop(Self);
            });
        }
    }

    public string Describe() => _seen.Count == 0 ? "(nothing)" : string.Join(", ", _seen.Select(Short));

    private static string Short(object e) => e switch
    {
        TextReceived t => $"Text({t.Text.Length} chars)",
        BinaryReceived b => $"Binary({b.Data.Length} bytes)",
        PongReceived p => $"Pong({p.Payload.Length} bytes)",
        Opened => "Opened",
        _ => e.ToString() ?? e.GetType().Name,
    };

    public void Dispose() => Actor.Tell(PoisonPill.Instance);

    private sealed class Collector : ReceiveActor
    {
        public Collector(ChannelWriter<object> writer) => ReceiveAny(m => writer.TryWrite(m));
    }
}
