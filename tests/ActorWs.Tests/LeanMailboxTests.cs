using System.Diagnostics;
using Akka.Actor;
using Akka.Dispatch.MessageQueues;
using Akka.Event;
using ActorWs.Dispatch;
using Xunit.Abstractions;

namespace ActorWs.Tests;

/// <summary>
/// The lean mailbox: its queue on its own (FIFO, stash's EnqueueFirst, counts, many producers, dead
/// letters on clean-up), then under real actors, plain and stashing, registered without app config.
/// </summary>
public sealed class LeanMailboxTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(AkkaConfig.Patient, output: output)
{
    private static Envelope Env(object message) => new(message, ActorRefs.NoSender);

    /// <summary>Top-level actors start asynchronously: their cell appears once they have started.</summary>
    private IMessageQueue QueueOf(IActorRef actor)
    {
        IMessageQueue? queue = null;
        AwaitAssert(() => Assert.NotNull(queue = (((ActorRefWithCell)actor).Underlying as ActorCell)?.Mailbox?.MessageQueue));
        return queue!;
    }

    private static List<object> Drain(LeanMessageQueue queue)
    {
        var messages = new List<object>();
        while (queue.TryDequeue(out var envelope))
            messages.Add(envelope.Message);
        return messages;
    }

    [Fact]
    public void Messages_come_out_in_the_order_they_went_in()
    {
        var queue = new LeanMessageQueue();
        Assert.False(queue.HasMessages);
        Assert.Equal(0, queue.Count);
        Assert.False(queue.TryDequeue(out _));

        for (var i = 0; i < 100; i++)
            queue.Enqueue(ActorRefs.Nobody, Env(i));
        Assert.True(queue.HasMessages);
        Assert.Equal(100, queue.Count);

        Assert.True(queue.TryDequeue(out var first));
        Assert.Equal(0, first.Message);
        Assert.Equal(99, queue.Count);
        Assert.Equal(Enumerable.Range(1, 99).Cast<object>(), Drain(queue));
        Assert.False(queue.HasMessages);
        Assert.Equal(0, queue.Count);

        queue.Enqueue(ActorRefs.Nobody, Env("again")); // usable after running empty
        Assert.Equal(["again"], Drain(queue));
    }

    [Fact]
    public void EnqueueFirst_goes_before_everything_already_queued()
    {
        var queue = new LeanMessageQueue();
        queue.Enqueue(ActorRefs.Nobody, Env("a"));
        queue.Enqueue(ActorRefs.Nobody, Env("b"));
        // UnstashAll pushes the stash in reverse, so the last pushed comes out first.
        queue.EnqueueFirst(Env("y"));
        queue.EnqueueFirst(Env("x"));
        Assert.Equal(4, queue.Count);

        Assert.True(queue.TryDequeue(out var x));
        Assert.Equal("x", x.Message);
        queue.Enqueue(ActorRefs.Nobody, Env("c"));
        Assert.Equal(["y", "a", "b", "c"], Drain(queue));
        Assert.Equal(0, queue.Count);
        Assert.False(queue.HasMessages);

        queue.EnqueueFirst(Env("only")); // the prepend stack comes back after being dropped
        Assert.True(queue.HasMessages);
        Assert.Equal(["only"], Drain(queue));
    }

    [Fact]
    public void Messages_from_many_producers_arrive_in_per_producer_order()
    {
        const int producers = 4, perProducer = 100_000;
        var queue = new LeanMessageQueue();
        using var start = new Barrier(producers + 1);
        var threads = Enumerable.Range(0, producers).Select(p => new Thread(() =>
        {
            start.SignalAndWait();
            for (var i = 0; i < perProducer; i++)
                queue.Enqueue(ActorRefs.Nobody, Env(((long)p << 32) | (uint)i));
        })).ToList();
        threads.ForEach(t => t.Start());

        var next = new int[producers];
        var received = 0;
        var deadline = Stopwatch.StartNew();
        start.SignalAndWait();
        while (received < producers * perProducer)
        {
            Assert.True(queue.Count >= 0);
            if (!queue.TryDequeue(out var envelope))
            {
                Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(30), $"only {received} messages arrived");
                Thread.Yield();
                continue;
            }
            var value = (long)envelope.Message;
            var producer = (int)(value >> 32);
            Assert.Equal(next[producer]++, (int)(uint)value);
            received++;
        }
        threads.ForEach(t => t.Join());

        Assert.All(next, n => Assert.Equal(perProducer, n));
        Assert.False(queue.TryDequeue(out _));
        Assert.False(queue.HasMessages);
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public void CleanUp_sends_leftovers_to_dead_letters()
    {
        var deadLetters = CreateTestProbe();
        Sys.EventStream.Subscribe(deadLetters.Ref, typeof(DeadLetter));
        var owner = CreateTestProbe().Ref;
        var sender = CreateTestProbe().Ref;
        var queue = new LeanMessageQueue();
        queue.Enqueue(owner, new Envelope("a", sender));
        queue.Enqueue(owner, new Envelope("b", sender));
        queue.EnqueueFirst(new Envelope("stashed", sender));

        queue.CleanUp(owner, Sys.Mailboxes.DeadLetterMailbox.MessageQueue);

        Assert.Equal(0, queue.Count);
        Assert.False(queue.HasMessages);
        foreach (var expected in new[] { "stashed", "a", "b" })
        {
            var letter = deadLetters.ExpectMsg<DeadLetter>();
            Assert.Equal(expected, letter.Message);
            Assert.Equal(owner, letter.Recipient);
            Assert.Equal(sender, letter.Sender);
        }
    }

    [Fact]
    public void UseLeanMailbox_registers_the_mailbox_without_application_config()
    {
        Assert.False(Sys.Settings.Config.HasPath(LeanMailbox.Id));

        var props = Props.Create(() => new Forwarder(TestActor)).UseLeanMailbox(Sys);

        Assert.Equal(LeanMailbox.Id, props.Mailbox);
        Assert.IsType<LeanMailbox>(Sys.Mailboxes.Lookup(LeanMailbox.Id));
        var chosen = Props.Empty.WithMailbox("akka.actor.default-mailbox");
        Assert.Same(chosen, chosen.UseLeanMailbox(Sys)); // a mailbox the caller picked is kept
    }

    [Fact]
    public void An_actor_on_the_lean_mailbox_receives_in_order()
    {
        var actor = Sys.ActorOf(Props.Create(() => new Forwarder(TestActor)).UseLeanMailbox(Sys));
        Assert.IsType<LeanMessageQueue>(QueueOf(actor));

        for (var i = 0; i < 1000; i++)
            actor.Tell(i);
        for (var i = 0; i < 1000; i++)
            ExpectMsg(i);
        // A marker sent last comes next: no message was delivered twice.
        actor.Tell("marker");
        ExpectMsg("marker");
    }

    [Fact]
    public void A_stashing_actor_on_the_lean_mailbox_unstashes_in_order()
    {
        var actor = Sys.ActorOf(Props.Create(() => new StashUntilOpen(TestActor)).UseLeanMailbox(Sys));
        Assert.IsType<LeanMessageQueue>(QueueOf(actor));

        var expected = 0;
        void Send(int count)
        {
            for (var i = 0; i < count; i++)
                actor.Tell(expected++);
        }
        Send(50);
        actor.Tell("open");
        Send(50);
        actor.Tell("close");
        Send(50);
        ExpectMsgAllOrdered(0, 100);
        actor.Tell("open");
        Send(50);

        ExpectMsgAllOrdered(100, 100);
        // A marker sent last comes next: nothing was unstashed twice.
        actor.Tell("marker");
        ExpectMsg("marker");
        AwaitAssert(() => Assert.Equal(0, QueueOf(actor).Count));
    }

    [Fact]
    public void The_applications_own_config_for_the_mailbox_wins()
    {
        const string deque = """actorws.lean-mailbox.mailbox-type = "Akka.Dispatch.UnboundedDequeBasedMailbox" """;
        var system = ActorSystem.Create("own-mailbox", deque);
        try
        {
            var actor = system.ActorOf(Props.Create(() => new StashUntilOpen(TestActor)).UseLeanMailbox(system));
            Assert.IsType<UnboundedDequeMessageQueue>(QueueOf(actor));
            actor.Tell("open");
            actor.Tell(1);
            ExpectMsg(1);
        }
        finally
        {
            Shutdown(system);
        }
    }

    [Fact]
    public void A_mailbox_type_that_cannot_load_leaves_props_unchanged()
    {
        var system = ActorSystem.Create("broken-mailbox", """actorws.lean-mailbox.mailbox-type = "No.Such.Mailbox, Nowhere" """);
        try
        {
            var props = Props.Create(() => new Forwarder(TestActor));
            Assert.Same(props, props.UseLeanMailbox(system));
            system.ActorOf(props.UseLeanMailbox(system)).Tell(1);
            ExpectMsg(1);
        }
        finally
        {
            Shutdown(system);
        }
    }

    private void ExpectMsgAllOrdered(int from, int count)
    {
        for (var i = from; i < from + count; i++)
            ExpectMsg(i);
    }

    private sealed class Forwarder : ReceiveActor
    {
        public Forwarder(IActorRef target) => ReceiveAny(target.Tell);
    }

    /// <summary>Stashes until "open", then forwards until "close".</summary>
    private sealed class StashUntilOpen : ReceiveActor, IWithUnboundedStash
    {
        private readonly IActorRef _target;

        public IStash Stash { get; set; } = null!;

        public StashUntilOpen(IActorRef target)
        {
            _target = target;
            Stashing();
        }

        private void Stashing()
        {
            Receive<string>(s => s == "open", _ =>
            {
                Become(Open);
                Stash.UnstashAll();
            });
            ReceiveAny(_ => Stash.Stash());
        }

        private void Open()
        {
            Receive<string>(s => s == "close", _ => Become(Stashing));
            ReceiveAny(m => _target.Tell(m));
        }
    }
}
