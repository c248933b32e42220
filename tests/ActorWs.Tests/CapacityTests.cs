using System.Net.WebSockets;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace ActorWs.Tests;

/// <summary>actorws.max-connections: what auto derives, and a server at its limit refusing with 503
/// until a connection's socket is gone.</summary>
public sealed class CapacityTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    [Fact]
    public void Auto_max_connections_is_the_descriptor_limit_less_those_open_a_reserve_and_the_refusals()
    {
        if (!OperatingSystem.IsLinux())
            return; // the limit is read from /proc
        var capacity = ConnectionCapacity.Create(TestSettings.Create());
        var numbers = Regex.Match(capacity.Origin, @"^descriptor limit (\d+), (\d+) open at start, (\d+) kept in reserve, (\d+) for refusals$");
        Assert.True(numbers.Success, capacity.Origin);
        long limit = long.Parse(numbers.Groups[1].Value), open = long.Parse(numbers.Groups[2].Value);
        long reserve = long.Parse(numbers.Groups[3].Value), refusals = long.Parse(numbers.Groups[4].Value);
        Assert.Equal(Math.Max(ConnectionCapacity.MinReserve, limit / 16), reserve);
        Assert.Equal(ConnectionCapacity.RefusalsInFlight + 1, refusals);
        Assert.Equal(limit - open - reserve - refusals, capacity.MaxConnections);
    }

    [Fact]
    public async Task Server_at_max_connections_refuses_with_503_until_a_connection_is_gone()
    {
        var trace = CreateTestProbe();
        Sys.EventStream.Subscribe(trace.Ref, typeof(LifecycleEvent));
        var server = await WebSocketServer.StartAsync(Sys, EchoHandler.Props(), TestSettings.Create("actorws { max-connections = 2, retry-after = 3s }", traceLifecycle: true));
        try
        {
            Assert.Equal(2, server.MaxConnections);
            using var first = new ClientWebSocket();
            using var second = new ClientWebSocket();
            await first.ConnectAsync(server.Uri, CancellationToken.None);
            await second.ConnectAsync(server.Uri, CancellationToken.None);

            var refusal = await UpgradeAsync(server);
            Assert.StartsWith("HTTP/1.1 503 Service Unavailable\r\n", refusal);
            Assert.Contains("\r\nRetry-After: 3\r\n", refusal);
            Assert.Contains("\r\nConnection: close\r\n", refusal);
            await trace.FishForMessageAsync<LifecycleEvent>(e => e.Message.Contains("new ones are refused with 503"));

            // The server closes TCP first and drains until our FIN: the slot is free once the socket is.
            await first.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            string answer;
            while (!(answer = await UpgradeAsync(server)).StartsWith("HTTP/1.1 101 ", StringComparison.Ordinal))
            {
                Assert.StartsWith("HTTP/1.1 503 ", answer);
                Assert.True(DateTime.UtcNow < deadline, "the closed connection's slot never came free");
                await Task.Delay(20);
            }
        }
        finally
        {
            await server.StopAsync();
        }
    }

    /// <summary>An upgrade request on a raw socket; the response head, "" when TCP closed before
    /// one came (the socket is then closed).</summary>
    private static async Task<string> UpgradeAsync(WebSocketServer server)
    {
        var (peer, head) = await RawPeer.RequestUpgradeAsync(server.Uri, server.Endpoint);
        peer.Dispose();
        return head ?? "";
    }
}
