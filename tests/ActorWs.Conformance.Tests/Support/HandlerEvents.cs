using System.Threading.Channels;
using Akka.Actor;

namespace ActorWs.Conformance.Tests.Support;

/// <summary>Collects what an <see cref="InteropHandler"/> was handed (Opened, messages, pongs, Closed)
/// into a channel that a test awaits.</summary>
public sealed class HandlerEvents : IDisposable
{
    private readonly Channel<object> _events = Channel.CreateUnbounded<object>();
    private readonly List<object> _seen = new();

    public HandlerEvents(ActorSystem system)
    {
        Actor = system.ActorOf(Props.Create(() => new Collector(_events.Writer)));
    }

    public IActorRef Actor { get; }

    /// <summary>Everything taken from the channel so far, in order.</summary>
    public IReadOnlyList<object> Seen => _seen;

    /// <summary>Waits for the next event of type <typeparamref name="T"/>, keeping the ones before it in <see cref="Seen"/>.</summary>
    public async Task<T> NextAsync<T>(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (true)
            {
                var e = await _events.Reader.ReadAsync(cts.Token);
                _seen.Add(e);
                if (e is T t)
                    return t;
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"the handler got no {typeof(T).Name} within {timeout.TotalSeconds:0.#} s; it got: {Describe()}");
        }
    }

    /// <summary>Takes whatever events are already queued.</summary>
    public void Drain()
    {
        while (_events.Reader.TryRead(out var e))
            _seen.Add(e);
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
