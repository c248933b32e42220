// Why: Akka's default UnboundedMailbox wraps a ConcurrentQueue<Envelope> whose first segment makes
// it ~1.1 KB even when empty (measured), and a connection is ~7 mostly idle actors. This queue costs
// one object and one stub node (~90 bytes) when empty, at the price of one 40-byte node per message
// instead of amortised segment slots.
//
// Selecting it without the application's config (Akka's Mailboxes.cs; 1.5.74 behaves so in the tests):
// - Props.WithMailbox(id), a deployment's `mailbox = id` and a dispatcher's `mailbox-type` all end
//   in Mailboxes.Lookup(id), which throws ConfigurationException unless Settings.Config.HasPath(id)
//   ("unbounded" and "bounded" are the only built-in ids). A deployment cannot name a type directly.
// - There is no programmatic registration: Mailboxes caches configurators in a private dictionary,
//   and `akka.actor.mailbox.requirements` is read once when the system starts.
// - Settings.InjectTopLevelFallback(config) is public (extensions such as Akka.Cluster use it to add
//   their defaults) and Lookup reads Settings.Config on every new id. So UseLeanMailbox injects Hocon
//   as a fallback once per system; the application's own value for the id, if any, still wins.
//   Injecting rebuilds the system's config, so do it at start-up (e.g. when the server starts)
//   rather than first on a hot path.

using System.Runtime.CompilerServices;
using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;
using Akka.Dispatch.MessageQueues;

namespace ActorWs.Dispatch;

/// <summary>
/// A mailbox whose queue is nearly free when empty. Meets the deque requirement of
/// <see cref="IWithUnboundedStash"/>, so plain and stashing actors can both use it.
/// </summary>
internal sealed class LeanMailbox(Settings settings, Config config)
    : MailboxType(settings, config), IProducesMessageQueue<LeanMessageQueue>
{
    /// <summary>The config path of the mailbox; what <see cref="Props.WithMailbox"/> is given.</summary>
    public const string Id = "actorws.lean-mailbox";

    /// <summary>The config that makes <see cref="Id"/> usable. An application may put this in its own
    /// config, or a different mailbox-type under the same id to turn the lean mailbox off: a
    /// deque-based one, because the connection and the reader stash
    /// (<c>actorws.lean-mailbox { mailbox-type = "Akka.Dispatch.UnboundedDequeBasedMailbox, Akka" }</c>;
    /// a plain <c>UnboundedMailbox</c> fails every connection as it is created). That trades about
    /// 4 KiB more per idle connection for fewer allocations per message (bench/RESULTS.md).</summary>
    public const string Hocon = """actorws.lean-mailbox { mailbox-type = "ActorWs.Dispatch.LeanMailbox, ActorWs" }""";

    public override IMessageQueue Create(IActorRef owner, ActorSystem system) => new LeanMessageQueue();
}

/// <summary>Puts actors on the <see cref="LeanMailbox"/> without the application configuring it.</summary>
internal static class LeanMailboxProps
{
    private static readonly ConditionalWeakTable<ActorSystem, StrongBox<bool>> Usable = new();
    private static readonly Lock RegisterLock = new();

    /// <summary>
    /// <paramref name="props"/> on the lean mailbox, registering it with <paramref name="system"/> on
    /// first use. Props that already name a mailbox, or a system where the mailbox cannot be
    /// registered or loaded, get <paramref name="props"/> unchanged: this never throws for config.
    /// </summary>
    public static Props UseLeanMailbox(this Props props, ActorSystem system)
        => props.Mailbox == Deploy.NoMailboxGiven && Usable.GetValue(system, Register).Value
            ? props.WithMailbox(LeanMailbox.Id)
            : props;

    private static StrongBox<bool> Register(ActorSystem system)
    {
        // GetValue may run this concurrently for one system; one injection is enough.
        lock (RegisterLock)
        {
            try
            {
                if (!system.Settings.Config.HasPath(LeanMailbox.Id))
                    system.Settings.InjectTopLevelFallback(ConfigurationFactory.ParseString(LeanMailbox.Hocon));
                // Resolves the type the way ActorOf will, so a type that cannot load (another
                // AssemblyLoadContext, a bad override) falls back here instead of failing ActorOf.
                system.Mailboxes.Lookup(LeanMailbox.Id);
                return new StrongBox<bool>(true);
            }
            catch (Exception)
            {
                return new StrongBox<bool>(false);
            }
        }
    }
}

/// <summary>
/// Multi-producer, single-consumer linked queue (Vyukov's intrusive MPSC queue) plus a prepend stack
/// for <see cref="IDequeBasedMessageQueueSemantics.EnqueueFirst"/>.
/// </summary>
internal sealed class LeanMessageQueue : IMessageQueue, IUnboundedDequeBasedMessageQueueSemantics
{
    private sealed class Node
    {
        public Envelope Envelope;
        public Node? Next;
    }

    // Producers' end: each Enqueue swaps its node in, then links the previous one to it.
    private Node _last;
    // Consumer's end: the already consumed node before the first message.
    private Node _stub;
    // Only the owning actor pushes (Unstash runs on its thread) and pops, so no locking. Created on
    // first unstash and dropped when drained, because most actors never stash.
    private Stack<Envelope>? _prepend;
    private int _count;

    public LeanMessageQueue() => _stub = _last = new Node();

    // Read by senders when they schedule the mailbox; a stale answer is safe because every Enqueue
    // schedules the mailbox again after linking its node.
    public bool HasMessages => _prepend is { Count: > 0 } || Volatile.Read(ref _last) != Volatile.Read(ref _stub);

    public int Count => Volatile.Read(ref _count);

    public void Enqueue(IActorRef receiver, Envelope envelope)
    {
        var node = new Node { Envelope = envelope };
        // Counted before it can be dequeued, so Count never goes negative.
        Interlocked.Increment(ref _count);
        var previous = Interlocked.Exchange(ref _last, node);
        Volatile.Write(ref previous.Next, node);
    }

    public void EnqueueFirst(Envelope envelope)
    {
        (_prepend ??= new Stack<Envelope>()).Push(envelope);
        Interlocked.Increment(ref _count);
    }

    public bool TryDequeue(out Envelope envelope)
    {
        if (_prepend is { } prepend && prepend.TryPop(out envelope))
        {
            if (prepend.Count == 0)
                _prepend = null;
            Interlocked.Decrement(ref _count);
            return true;
        }

        var stub = _stub;
        var next = Volatile.Read(ref stub.Next);
        if (next is null)
        {
            if (Volatile.Read(ref _last) == stub)
            {
                envelope = default;
                return false;
            }
            // A producer has swapped its node in but not linked it yet; giving up here would leave
            // later, already linked messages behind it and make the dispatcher reschedule in a loop.
            var spin = new SpinWait();
            while ((next = Volatile.Read(ref stub.Next)) is null)
                spin.SpinOnce();
        }

        envelope = next.Envelope;
        next.Envelope = default; // the new stub must not keep the message alive
        stub.Next = null; // a dead node promoted to gen2 would otherwise keep younger ones alive
        Volatile.Write(ref _stub, next);
        Interlocked.Decrement(ref _count);
        return true;
    }

    public void CleanUp(IActorRef owner, IMessageQueue deadletters)
    {
        while (TryDequeue(out var envelope))
            deadletters.Enqueue(owner, envelope);
    }
}
