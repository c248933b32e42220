using Akka.Actor;
using ActorWs.Cluster;
using ActorWs.Protocol;
using Xunit.Abstractions;

namespace ActorWs.Cluster.Tests;

/// <summary>Two cluster nodes in one process, each with a WebSocket server whose connections join
/// the topic their path names; real clients on both.</summary>
public sealed class TopicsAcrossNodesTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(ClusterNode.Config(0), output: output), IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private ActorSystem _second = null!;

    public async Task InitializeAsync()
    {
        var seed = Akka.Cluster.Cluster.Get(Sys).SelfAddress;
        await ClusterNode.JoinAsync(Sys, seed);
        _second = ActorSystem.Create(Sys.Name, ClusterNode.Config(0));
        await ClusterNode.JoinAsync(_second, seed);
    }

    public async Task DisposeAsync() => await _second.Terminate();

    [Fact]
    public async Task A_message_published_on_one_node_reaches_the_subscribed_connections_of_both_in_order()
    {
        var first = await WebSocketServer.StartAsync(Sys, RoomHandler.Props(), TestSettings.Create());
        var second = await WebSocketServer.StartAsync(_second, RoomHandler.Props(), TestSettings.Create());
        var here = CreateTestProbe();
        var there = CreateTestProbe();
        var elsewhere = CreateTestProbe();
        var publisher = WebSocketClient.Connect(Sys, new Uri(first.Uri, "/room"), here.Ref, TestSettings.Create(), "here");
        WebSocketClient.Connect(Sys, new Uri(second.Uri, "/room"), there.Ref, TestSettings.Create(), "there");
        WebSocketClient.Connect(Sys, new Uri(second.Uri, "/other"), elsewhere.Ref, TestSettings.Create(), "elsewhere");
        foreach (var (probe, topic) in new[] { (here, "room"), (there, "room"), (elsewhere, "other") })
        {
            probe.ExpectMsg<Opened>(Wait);
            Assert.Equal("subscribed " + topic, probe.ExpectMsg<TextReceived>(Wait).Text);
        }
        // The first node learns of the second's subscription at the mediators' next gossip.
        UntilReached(publisher, there);

        for (int i = 1; i <= 100; i++)
            publisher.Tell(new SendText($"m{i}"));
        foreach (var probe in new[] { here, there })
            for (int i = 1; i <= 100; i++)
                Assert.Equal($"m{i}", NextText(probe));
        elsewhere.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    /// <summary>
    /// Publishes "probe" until <paramref name="subscriber"/> gets one: from then on the publisher's
    /// node knows the subscriber's, and every later message of the publisher reaches it (in order per
    /// publisher and subscriber). DistributedPubSub has no acknowledgement from the other nodes; this
    /// is the positive signal that stands in for one.
    /// </summary>
    internal static void UntilReached(IActorRef publisher, Akka.TestKit.TestProbe subscriber)
    {
        var limit = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            publisher.Tell(new SendText("probe"));
            if (subscriber.ReceiveOne(TimeSpan.FromMilliseconds(300)) is TextReceived { Text: "probe" })
                return;
            if (DateTime.UtcNow > limit)
                throw new Xunit.Sdk.XunitException("the publisher's messages never reached the subscriber");
        }
    }

    /// <summary>The next text the probe receives that is not a "probe".</summary>
    internal static string NextText(Akka.TestKit.TestProbe probe)
    {
        while (true)
        {
            var text = probe.ExpectMsg<TextReceived>(Wait).Text;
            if (text != "probe")
                return text;
        }
    }
}
