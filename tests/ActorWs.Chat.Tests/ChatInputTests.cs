using Akka.Actor;
using Akka.Configuration;

namespace ActorWs.Chat.Tests;

/// <summary>Bad input to examples/Chat: a seed that is not one, a room name that cannot be a topic.</summary>
public sealed class ChatInputTests : IDisposable
{
    private readonly List<NodeProcess> _started = [];

    public void Dispose()
    {
        foreach (var node in _started)
            node.Dispose();
    }

    private NodeProcess Start(int clusterPort, params string[] args)
    {
        var node = NodeProcess.Start("node", clusterPort, args);
        _started.Add(node);
        return node;
    }

    [Theory]
    [InlineData("127.0.0.1", "is not HOST:PORT")]
    [InlineData("127.0.0.1:99999", "is not HOST:PORT")]
    [InlineData("bad host!:4001", "has no valid host")]
    public async Task A_seed_address_that_is_not_one_is_named_in_one_line_and_the_node_exits_with_2(string seed, string says)
    {
        var node = Start(0, "--port", "0", "--cluster-port", "0", "--seed", seed);
        Assert.Equal(2, await node.WaitForExitAsync());
        var line = Assert.Single(node.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains($"seed address '{seed}' {says}", line);
    }

    [Fact]
    public async Task A_seed_where_no_node_runs_is_named_in_one_line_after_the_join_timeout_and_the_node_exits_with_1()
    {
        int nobody = NodeProcess.FreePort(), own = NodeProcess.FreePort();
        var node = Start(own, "--port", "0", "--cluster-port", own.ToString(), "--seed", $"127.0.0.1:{nobody}", "--join-timeout", "3");
        Assert.Equal(1, await node.WaitForExitAsync());
        var line = await node.WaitForLineAsync("could not join the cluster");
        Assert.Contains($"through seed 127.0.0.1:{nobody} within 3 s", line);
    }

    [Fact]
    public async Task A_room_name_with_a_forbidden_character_or_too_long_is_refused_with_a_clear_error()
    {
        int port = NodeProcess.FreePort();
        var node = await Start(port, "--port", "0", "--cluster-port", port.ToString(), "--seed", $"127.0.0.1:{port}").StartedAsync();
        await node.WaitForLineAsync($"MEMBER UP {node.Address}");
        using var system = ActorSystem.Create("chat-input", ConfigurationFactory.ParseString(AkkaConfig.Quiet));

        // At the door: the upgrade is refused with 400 and the reason.
        var refused = new ChatClientProbe(system, "eve", "no%20spaces", [node.Uri], TestSettings.Create());
        var closed = (await refused.WaitForAsync(e => e.Type == "closed", "a refusal")).Closed!;
        Assert.Equal(400, closed.HandshakeFailure!.StatusCode);
        Assert.Contains("forbidden character ' ' at position 3", System.Text.Encoding.UTF8.GetString(closed.HandshakeFailure.Refusal!.Body.Bytes.Span));

        // In the conversation: /join answers with an error and the connection stays.
        var client = new ChatClientProbe(system, "ann", "lobby", [node.Uri], TestSettings.Create());
        await client.WaitForAsync(e => e.Type == "subscribed", "the lobby");
        client.Say("/join " + new string('x', 101));
        Assert.Contains("101 characters long; at most 100 are allowed", (await client.WaitForAsync(e => e.Type == "error", "an error")).Text);
        client.Say("/join room/1");
        Assert.Contains("forbidden character '/' at position 5", (await client.WaitForAsync(e => e.Type == "error", "an error")).Text);
        client.Say("still here");
        Assert.Equal("still here", (await client.NextMessageAsync()).Text);
    }
}
