using Akka.Actor;
using System.Diagnostics.Metrics;
using Akka.TestKit;
using ActorWs.Cluster;
using ActorWs.Protocol;
using Xunit.Abstractions;

namespace ActorWs.Cluster.Tests;

/// <summary>A handler's topics on one node (a cluster of one), with probes standing in for connections.</summary>
public sealed class ConnectionTopicsTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(ClusterNode.Config(0), output: output), IAsyncLifetime
{
    public Task InitializeAsync() => ClusterNode.JoinAsync(Sys, Akka.Cluster.Cluster.Get(Sys).SelfAddress);

    public Task DisposeAsync() => Task.CompletedTask;

    private (IActorRef Handler, TestProbe Connection) Connected(TestProbe reporter, TopicSettings? settings = null)
    {
        var handler = Sys.ActorOf(TopicTestHandler.Props(reporter.Ref, settings));
        var connection = CreateTestProbe();
        handler.Tell(new Opened(connection.Ref, Role.Server, null, "/"));
        return (handler, connection);
    }

    private static void Subscribe(IActorRef handler, TestProbe reporter, string topic)
    {
        handler.Tell(new TopicTestHandler.Sub(topic));
        Assert.Equal(topic, reporter.ExpectMsg<TopicTestHandler.SubscribedTo>().Topic);
    }

    [Fact]
    public void A_published_message_reaches_each_subscribed_connection_as_a_send_and_no_other()
    {
        var reporter = CreateTestProbe();
        var (a, connectionA) = Connected(reporter);
        var (b, connectionB) = Connected(reporter);
        var (other, connectionOther) = Connected(reporter);
        Subscribe(a, reporter, "room");
        Subscribe(b, reporter, "room");
        Subscribe(other, reporter, "elsewhere");

        a.Tell(new TopicTestHandler.Pub("room", "hello"));
        Assert.Equal("hello", connectionA.ExpectMsg<SendText>().Text);
        Assert.Equal("hello", connectionB.ExpectMsg<SendText>().Text);
        // Order per publisher and subscriber: "elsewhere" getting its own message after proves it
        // got nothing of "room" before it.
        b.Tell(new TopicTestHandler.Pub("elsewhere", "mark"));
        Assert.Equal("mark", connectionOther.ExpectMsg<SendText>().Text);
    }

    [Fact]
    public void Messages_of_one_publisher_arrive_in_the_order_they_were_published()
    {
        var reporter = CreateTestProbe();
        var (a, _) = Connected(reporter);
        var (b, connectionB) = Connected(reporter);
        Subscribe(b, reporter, "ordered");
        for (int i = 1; i <= 200; i++)
            a.Tell(new TopicTestHandler.Pub("ordered", $"m{i}"));
        for (int i = 1; i <= 200; i++)
            Assert.Equal($"m{i}", connectionB.ExpectMsg<SendText>().Text);
    }

    [Fact]
    public void After_unsubscribing_a_connection_gets_no_more_of_the_topic()
    {
        var reporter = CreateTestProbe();
        var (a, connectionA) = Connected(reporter);
        var (b, connectionB) = Connected(reporter);
        Subscribe(a, reporter, "news");
        Subscribe(b, reporter, "news");
        b.Tell(new TopicTestHandler.Unsub("news"));
        Subscribe(b, reporter, "marker");
        a.Tell(new TopicTestHandler.Pub("news", "one"));
        a.Tell(new TopicTestHandler.Pub("marker", "after"));
        Assert.Equal("one", connectionA.ExpectMsg<SendText>().Text);
        Assert.Equal("after", connectionB.ExpectMsg<SendText>().Text);
    }

    [Fact]
    public void With_the_drop_policy_a_connection_whose_send_buffer_is_high_misses_messages_until_it_drains()
    {
        // The drop is seen through the meter: nothing else shows a message that did not come.
        long drops = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == TopicMetrics.MeterName && instrument.Name == "actorws.topic.dropped")
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref drops, value));
        listener.Start();

        var reporter = CreateTestProbe();
        var (publisher, _) = Connected(reporter);
        var (slow, connection) = Connected(reporter, new TopicSettings { SlowConsumer = SlowConsumerPolicy.Drop });
        Subscribe(slow, reporter, "feed");
        slow.Tell(new SendBufferHigh(1 << 20));
        publisher.Tell(new TopicTestHandler.Pub("feed", "dropped"));
        AwaitCondition(() => Interlocked.Read(ref drops) >= 1);
        slow.Tell(new SendBufferDrained(0));
        publisher.Tell(new TopicTestHandler.Pub("feed", "sent"));
        Assert.Equal("sent", connection.ExpectMsg<SendText>().Text);
    }

    [Fact]
    public void With_the_close_policy_a_connection_whose_send_buffer_is_high_is_closed_with_1008()
    {
        var reporter = CreateTestProbe();
        var (publisher, _) = Connected(reporter);
        var (slow, connection) = Connected(reporter, new TopicSettings { SlowConsumer = SlowConsumerPolicy.Close });
        Subscribe(slow, reporter, "feed");
        slow.Tell(new SendBufferHigh(1 << 20));
        publisher.Tell(new TopicTestHandler.Pub("feed", "too much"));
        publisher.Tell(new TopicTestHandler.Pub("feed", "more"));
        var close = connection.ExpectMsg<Close>();
        Assert.Equal(CloseCodes.PolicyViolation, close.Code);
        Assert.Contains("slow consumer", close.Reason);
        connection.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void A_topic_name_with_a_forbidden_character_is_refused_with_a_clear_error()
    {
        var reporter = CreateTestProbe();
        var (a, _) = Connected(reporter);
        a.Tell(new TopicTestHandler.Sub("no spaces"));
        Assert.Contains("forbidden character ' ' at position 3", reporter.ExpectMsg<TopicTestHandler.Refused>().Why);
    }
}
