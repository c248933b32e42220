using Akka.Actor;
using Akka.Configuration;
using ActorWs.Protocol;
using Xunit.Abstractions;

namespace ActorWs.Chat.Tests;

/// <summary>
/// examples/Chat as three cluster nodes, each a process on loopback, with clients on every node (in
/// this process: ActorWs's client with reconnect and the nodes' endpoints). Nothing waits for time:
/// each step waits for a line a node prints or an event a client gets.
/// </summary>
public sealed class ChatClusterTests(ITestOutputHelper output) : IDisposable
{
    private readonly ActorSystem _system = ActorSystem.Create("chat-tests", ConfigurationFactory.ParseString(AkkaConfig.Quiet));
    private readonly List<NodeProcess> _started = [];

    private static readonly WebSocketSettings Reconnecting = TestSettings.Create("""
        actorws.reconnect { enabled = on, min-backoff = 100ms, first-delay-max = 300ms, max-backoff = 2s }
        """);

    public void Dispose()
    {
        foreach (var node in _started)
        {
            output.WriteLine($"--- {node.Name}\n{node.Output}");
            node.Dispose();
        }
        _system.Terminate().Wait(TimeSpan.FromSeconds(10));
    }

    private async Task<NodeProcess[]> ThreeNodesAsync()
    {
        var cluster = await ThreeNodes.StartAsync();
        _started.AddRange(cluster.Nodes);
        return cluster.Nodes;
    }

    /// <summary>A client whose first endpoint is <paramref name="home"/>, then the other nodes in order; it is in the room when this returns.</summary>
    private async Task<ChatClientProbe> JoinAsync(string nick, NodeProcess home, NodeProcess[] nodes, string room = "room")
    {
        var endpoints = new[] { home }.Concat(nodes.Where(n => n != home)).Select(n => n.Uri);
        var client = new ChatClientProbe(_system, nick, room, endpoints, Reconnecting);
        await client.WaitForAsync(e => e.Type == "subscribed" && e.Room == room, $"subscribed to {room}");
        return client;
    }

    /// <summary>
    /// The publisher says "probe" until every client has heard one: from then on the publisher's node
    /// knows every node with the room (DistributedPubSub tells the others of a subscription at its
    /// next gossip, and nothing acknowledges that), and every later message reaches every client.
    /// </summary>
    private static async Task UntilAllHearAsync(ChatClientProbe publisher, IEnumerable<ChatClientProbe> clients)
    {
        var heard = clients.Select(c => c.WaitForAsync(e => e.Type == "message" && e.Text == "probe", "a probe")).ToArray();
        var all = Task.WhenAll(heard);
        while (!all.IsCompleted)
        {
            publisher.Say("probe");
            await Task.WhenAny(all, Task.Delay(TimeSpan.FromMilliseconds(300)));
        }
        await all;
    }

    /// <summary>Every client hears m1…m<paramref name="count"/> from the publisher in order, each once,
    /// then "end" (a duplicate or a loss would show as the wrong next message).</summary>
    private static async Task PublishAndCheckAsync(ChatClientProbe publisher, IReadOnlyList<ChatClientProbe> clients, int count)
    {
        for (int i = 1; i <= count; i++)
            publisher.Say($"m{i}");
        publisher.Say("end");
        await Task.WhenAll(clients.Select(async c =>
        {
            for (int i = 1; i <= count; i++)
            {
                var m = await c.NextMessageAsync();
                Assert.Equal(($"m{i}", publisher.Nick), (m.Text, m.Nick));
            }
            Assert.Equal("end", (await c.NextMessageAsync()).Text);
        }));
    }

    [Fact]
    public async Task A_message_published_on_node_1_reaches_every_client_on_nodes_1_to_3_exactly_once_in_publish_order()
    {
        var nodes = await ThreeNodesAsync();
        var clients = new List<ChatClientProbe>();
        for (int n = 0; n < 3; n++)
            for (int i = 0; i < 2; i++)
                clients.Add(await JoinAsync($"c{n + 1}{i}", nodes[n], nodes));
        var publisher = clients[0]; // on node 1

        await UntilAllHearAsync(publisher, clients);
        await PublishAndCheckAsync(publisher, clients, 100);
    }

    [Fact]
    public async Task A_node_stopped_with_SIGTERM_closes_with_1001_its_clients_reconnect_elsewhere_and_miss_nothing_after()
    {
        var nodes = await ThreeNodesAsync();
        var onNode1 = await JoinAsync("one", nodes[0], nodes);
        var publisher = await JoinAsync("two", nodes[1], nodes);
        var leaving = await JoinAsync("three", nodes[2], nodes);   // endpoints: node 3, then node 1, node 2
        await UntilAllHearAsync(publisher, [onNode1, leaving]);

        nodes[2].Terminate();

        var closed = (await leaving.WaitForAsync(e => e.Type == "closed", "its connection closed")).Closed!;
        Assert.Equal((CloseCodes.GoingAway, true, true), (closed.Code, closed.WasClean, closed.WillReconnect));
        var welcome = await leaving.WaitForAsync(e => e.Type == "welcome", "a welcome from another node");
        Assert.Equal($"127.0.0.1:{nodes[0].ClusterPort}", welcome.Node);
        await leaving.WaitForAsync(e => e.Type == "subscribed", "the room again");
        // Node 1 already had the room, and node 2 knew it: from here on nothing may be lost.
        await PublishAndCheckAsync(publisher, [onNode1, leaving], 50);

        Assert.Equal(0, await nodes[2].WaitForExitAsync());
        await nodes[0].WaitForLineAsync($"MEMBER REMOVED {nodes[2].Address} (was Exiting)");
    }

    [Fact]
    public async Task A_node_killed_with_kill_9_is_downed_by_the_others_its_clients_see_1006_and_reconnect_and_the_survivors_keep_serving()
    {
        var nodes = await ThreeNodesAsync();
        var onNode1 = await JoinAsync("one", nodes[0], nodes);
        var publisher = await JoinAsync("two", nodes[1], nodes);
        var orphan = await JoinAsync("three", nodes[2], nodes);
        await UntilAllHearAsync(publisher, [onNode1, orphan]);

        nodes[2].KillHard();

        var closed = (await orphan.WaitForAsync(e => e.Type == "closed", "its connection closed")).Closed!;
        Assert.Equal((CloseCodes.AbnormalClosure, false, true), (closed.Code, closed.WasClean, closed.WillReconnect));
        var welcome = await orphan.WaitForAsync(e => e.Type == "welcome", "a welcome from another node");
        Assert.Equal($"127.0.0.1:{nodes[0].ClusterPort}", welcome.Node);
        await orphan.WaitForAsync(e => e.Type == "subscribed", "the room again");

        // The split-brain resolver (keep-majority, chat.hocon) downs the dead node and both survivors remove it.
        await nodes[0].WaitForLineAsync($"MEMBER UNREACHABLE {nodes[2].Address}");
        await nodes[0].WaitForLineAsync($"MEMBER REMOVED {nodes[2].Address} (was Down)");
        await nodes[1].WaitForLineAsync($"MEMBER REMOVED {nodes[2].Address} (was Down)");

        await PublishAndCheckAsync(publisher, [onNode1, orphan], 50);
        // A new client on a survivor is served too.
        var late = await JoinAsync("late", nodes[1], nodes[..2]);
        await UntilAllHearAsync(publisher, [late]);
    }
}
