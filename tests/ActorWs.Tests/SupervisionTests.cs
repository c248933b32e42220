using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Akka.Actor;
using ActorWs.Protocol;
using Xunit.Abstractions;

namespace ActorWs.Tests;

/// <summary>
/// The connection's supervisor strategy turns a child's failure into a close code (DESIGN.md's
/// table), only that connection is closed, and its whole actor tree stops.
/// </summary>
public sealed class SupervisionTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(TestConfig.Kit, output: output)
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
        var connection = Identify(opened.Connection.Path.Parent);
        Assert.Equal("writer", opened.Connection.Path.Name);
        var tree = new List<IActorRef> { connection };
        foreach (var name in new[] { "handler", "reader", "writer", "pinger", "close" })
            tree.Add(Identify(connection.Path / name));
        return tree;
    }

    private IActorRef Identify(ActorPath path) =>
        Sys.ActorSelection(path).Ask<ActorIdentity>(new Identify(null), Wait).Result.Subject ?? throw new Xunit.Sdk.XunitException($"no actor at {path}");

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
        var server = await WebSocketServer.StartAsync(Sys, EchoHandler.Props(opened.Ref), TestConfig.Settings());
        using var failing = await ConnectAsync(server);
        var failingTree = TreeOf(opened.ExpectMsg<Opened>(Wait));
        using var healthy = await ConnectAsync(server);
        opened.ExpectMsg<Opened>(Wait);
        Assert.Equal("before", await EchoAsync(healthy, "before"));

        using var cts = new CancellationTokenSource(Wait);
        await failing.SendAsync("throw"u8.ToArray(), WebSocketMessageType.Text, true, cts.Token);
        var result = await failing.ReceiveAsync(new byte[256], cts.Token);
        Assert.Equal(WebSocketMessageType.Close, result.MessageType);
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
        var server = await WebSocketServer.StartAsync(Sys, EchoHandler.Props(opened.Ref), TestConfig.Settings());
        using var healthy = await ConnectAsync(server);
        opened.ExpectMsg<Opened>(Wait);

        using var raw = await RawSocket.ConnectAsync(server.Endpoint);
        await raw.SendAsync(Encoding.ASCII.GetBytes(Wire.Request()), SocketFlags.None);
        Assert.StartsWith("HTTP/1.1 101 ", await RawSocket.ReadHeadAsync(raw, Wait));
        var tree = TreeOf(opened.ExpectMsg<Opened>(Wait));
        await raw.SendAsync(FrameEncoder.Encode(Opcode.Text, "unmasked"u8), SocketFlags.None);
        var frames = Wire.Decode(await RawSocket.ReadToEndAsync(raw, Wait), Role.Server);
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

/// <summary>The same at actor level, with a probe for TCP: whatever way the handler goes, the connection
/// closes (1011 for a failure, 1001 for a handler that stopped) and its whole tree stops.</summary>
public sealed class HandlerLossTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(TestConfig.Kit, output: output)
{
    [Theory]
    [InlineData("throw", CloseCodes.InternalError)]
    [InlineData("stop", CloseCodes.GoingAway)]
    public void Handler_that_goes_away_closes_the_connection_and_the_tree_stops(string command, ushort code)
    {
        var observer = CreateTestProbe();
        var c = new ProbeConnection(this, TestConfig.Settings(), handler: EchoHandler.Props(observer.Ref));
        c.Receive(System.Text.Encoding.ASCII.GetBytes(Wire.Request()));
        c.Tcp.ExpectMsg<Akka.IO.Tcp.Write>();
        observer.ExpectMsg<Opened>();
        var tree = new[] { "handler", "reader", "writer", "pinger", "close" }.Select(c.Child).Append(c.Connection).ToList();
        foreach (var actor in tree)
            Watch(actor);
        c.Receive(Wire.ClientText(command));
        Assert.Equal(code, c.ExpectFrame().CloseCode);
        c.Receive(Wire.ClientClose(code));
        c.Tcp.ExpectMsg<Akka.IO.Tcp.Close>();
        c.Connection.Tell(Akka.IO.Tcp.Closed.Instance, c.Tcp.Ref);
        var gone = new HashSet<IActorRef>();
        for (int i = 0; i < tree.Count; i++)
            gone.Add(ExpectMsg<Terminated>().ActorRef);
        Assert.Equal(tree.ToHashSet(), gone);
    }
}
