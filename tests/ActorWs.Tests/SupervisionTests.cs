using System.Net.WebSockets;
using System.Text;
using Akka.Actor;
using ActorWs.Protocol;
using Xunit.Abstractions;

namespace ActorWs.Tests;

/// <summary>
/// The connection's supervisor strategy turns a child's failure into a close code (the close-code
/// policy in docs/ARCHITECTURE.md), only that connection is closed, and its whole actor tree stops.
/// </summary>
public sealed class SupervisionTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(AkkaConfig.Patient, output: output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private static async Task<ClientWebSocket> ConnectAsync(WebSocketServer server)
    {
        var ws = new ClientWebSocket();
        using var cts = new CancellationTokenSource(Wait);
        await ws.ConnectAsync(server.Uri, cts.Token);
        return ws;
    }

    private static async Task<string> EchoAsync(ClientWebSocket ws, string text)
    {
        using var cts = new CancellationTokenSource(Wait);
        await ws.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, cts.Token);
        var buffer = new byte[1024];
        var result = await ws.ReceiveAsync(buffer, cts.Token);
        Assert.Equal(WebSocketMessageType.Text, result.MessageType);
        return Encoding.UTF8.GetString(buffer, 0, result.Count);
    }

    /// <summary>The connection actor and its children, found from Opened.Connection (the writer).</summary>
    private List<IActorRef> TreeOf(Opened opened)
    {
        var connection = Sys.Sync(opened.Connection.Path.Parent, Wait);
        Assert.Equal("writer", opened.Connection.Path.Name);
        var tree = new List<IActorRef> { connection };
        // The reader, the pinger and the close coordinator start later, when their work does.
        foreach (var name in new[] { "handler", "writer" })
            tree.Add(Sys.Sync(connection.Path / name, Wait));
        return tree;
    }

    private void ExpectAllTerminated(List<IActorRef> tree)
    {
        foreach (var actor in tree)
            Watch(actor);
        var gone = new HashSet<IActorRef>();
        for (int i = 0; i < tree.Count; i++)
            gone.Add(ExpectMsg<Terminated>(Wait).ActorRef);
        Assert.Equal(tree.ToHashSet(), gone);
    }

    [Fact]
    public async Task Handler_that_throws_closes_its_connection_with_1011_while_another_keeps_working()
    {
        var opened = CreateTestProbe();
        var server = await WebSocketServer.StartAsync(Sys, EchoHandler.Props(opened.Ref), TestSettings.Create());
        using var failing = await ConnectAsync(server);
        var failingTree = TreeOf(opened.ExpectMsg<Opened>(Wait));
        using var healthy = await ConnectAsync(server);
        opened.ExpectMsg<Opened>(Wait);
        Assert.Equal("before", await EchoAsync(healthy, "before"));

        using var cts = new CancellationTokenSource(Wait);
        await failing.SendAsync("throw"u8.ToArray(), WebSocketMessageType.Text, true, cts.Token);
        var result = await failing.ReceiveAsync(new byte[256], cts.Token);
        Assert.Equal(WebSocketMessageType.Close, result.MessageType);
        // Started by the frame, and waiting for the client's close frame until it comes.
        failingTree.Add(Sys.Sync(failingTree[0].Path / "reader", Wait));
        Assert.Equal((WebSocketCloseStatus)CloseCodes.InternalError, failing.CloseStatus);
        await failing.CloseOutputAsync(WebSocketCloseStatus.InternalServerError, "", cts.Token);
        ExpectAllTerminated(failingTree);

        Assert.Equal("after", await EchoAsync(healthy, "after"));
        Assert.Equal(WebSocketState.Open, healthy.State);
    }

    [Fact]
    public async Task Protocol_violation_closes_only_its_connection_with_1002_and_stops_its_tree()
    {
        var opened = CreateTestProbe();
        // The raw peer never answers the 1002: the server drops TCP when its close timeout runs out,
        // kept short so that the wait for it is.
        var server = await WebSocketServer.StartAsync(Sys, EchoHandler.Props(opened.Ref), TestSettings.Create("actorws.close.timeout = 2s"));
        using var healthy = await ConnectAsync(server);
        opened.ExpectMsg<Opened>(Wait);

        using var raw = await RawPeer.OpenAsync(server.Uri, server.Endpoint);
        var tree = TreeOf(opened.ExpectMsg<Opened>(Wait));
        // A valid frame first, so that the reader the violation stops has started and is in the tree.
        await raw.SendAsync(Wire.Frame(Opcode.Ping, "p"u8, masked: true));
        Assert.Equal(Opcode.Pong, (await raw.ReadFrameAsync(Wait))!.Opcode); // the reader has answered it
        tree.Add(await Sys.SyncAsync(tree[0].Path / "reader", Wait));
        await raw.SendAsync(Wire.Frame(Opcode.Text, "unmasked"u8, masked: false));
        var frames = await raw.ReadUntilClosedAsync(Wait);
        Assert.Equal(CloseCodes.ProtocolError, Assert.Single(frames).CloseCode);
        ExpectAllTerminated(tree);

        Assert.Equal("still here", await EchoAsync(healthy, "still here"));
    }

    [Fact]
    public void Failure_codes_follow_the_table()
    {
        Assert.Equal(CloseCodes.ProtocolError, FailureCodes.For(new WebSocketProtocolException(new(ViolationKind.ReservedOpcode, "x"))).Code);
        Assert.Equal(CloseCodes.InvalidPayloadData, FailureCodes.For(new WebSocketProtocolException(new(ViolationKind.InvalidUtf8Text, "x"))).Code);
        Assert.Equal(CloseCodes.MessageTooBig, FailureCodes.For(new WebSocketProtocolException(new(ViolationKind.MessageTooBig, "x"))).Code);
        Assert.Equal(CloseCodes.InternalError, FailureCodes.For(new KeepAliveTimeoutException(TimeSpan.FromSeconds(1))).Code);
        Assert.Equal(CloseCodes.InternalError, FailureCodes.For(new InvalidOperationException()).Code);
        Assert.Equal(CloseCodes.PolicyViolation, FailureCodes.For(new SendBufferOverflowException("x")).Code);
    }
}
