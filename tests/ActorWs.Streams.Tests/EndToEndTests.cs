using System.Globalization;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Akka;
using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using ActorWs.Protocol;
using ActorWs.Streams;
using Xunit.Abstractions;

namespace ActorWs.Streams.Tests;

/// <summary>
/// Flows over real sockets: a server whose connections run a flow, reached by .NET's ClientWebSocket,
/// a raw peer and ActorWs's own client flow. These need the connection to carry out explicit demand
/// (RequestMessages) and acked sends (Send, SendPart): the receive and send sides of Performance II.
/// </summary>
public sealed class EndToEndTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(AkkaConfig.Patient + "\n" + AkkaConfig.Quiet, output: output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    /// <summary>Every message back as it came: strict ones whole, streamed ones part by part, their
    /// source run by the sending side before the next message is taken.</summary>
    private static Flow<Message, Message, NotUsed> Echo => Flow.Create<Message>();

    private Task<WebSocketServer> ServeAsync(Flow<Message, Message, NotUsed> flow, string extraHocon = "") =>
        WebSocketStreams.StartServerAsync(Sys, flow, TestSettings.Create(extraHocon), UniqueName.For("streams-server"));

    private static async Task<(WebSocketMessageType Type, byte[] Data)> ReceiveAsync(ClientWebSocket socket)
    {
        var buffer = new byte[64 * 1024];
        using var all = new MemoryStream();
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, CancellationToken.None).WaitAsync(Patience);
            all.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
                return (result.MessageType, all.ToArray());
        }
    }

    [Fact]
    public async Task An_echo_flow_answers_a_ClientWebSocket_and_closes_cleanly()
    {
        var server = await ServeAsync(Echo);
        using var client = new ClientWebSocket();
        await client.ConnectAsync(server.Uri, CancellationToken.None).WaitAsync(Patience);

        await client.SendAsync("hello"u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
        var text = await ReceiveAsync(client);
        Assert.Equal((WebSocketMessageType.Text, "hello"), (text.Type, Encoding.UTF8.GetString(text.Data)));
        await client.SendAsync(new byte[] { 1, 2, 3 }, WebSocketMessageType.Binary, true, CancellationToken.None);
        var binary = await ReceiveAsync(client);
        Assert.Equal(WebSocketMessageType.Binary, binary.Type);
        Assert.Equal([1, 2, 3], binary.Data);

        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None).WaitAsync(Patience);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, client.CloseStatus);
        await server.StopAsync();
    }

    [Fact]
    public async Task A_message_over_stream_over_is_echoed_part_by_part_and_arrives_whole()
    {
        var server = await ServeAsync(Echo, "actorws.messages.stream-over = 4 KiB");
        using var client = new ClientWebSocket();
        await client.ConnectAsync(server.Uri, CancellationToken.None).WaitAsync(Patience);
        var data = new byte[300 * 1024];
        new Random(18).NextBytes(data);
        var text = string.Concat(Enumerable.Repeat("é😀x", 20_000));

        await client.SendAsync(data, WebSocketMessageType.Binary, true, CancellationToken.None).WaitAsync(Patience);
        var binary = await ReceiveAsync(client);
        Assert.Equal(WebSocketMessageType.Binary, binary.Type);
        Assert.Equal(data, binary.Data);
        await client.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None).WaitAsync(Patience);
        var echoed = await ReceiveAsync(client);
        Assert.Equal(text, Encoding.UTF8.GetString(echoed.Data));

        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None).WaitAsync(Patience);
        await server.StopAsync();
    }

    [Fact]
    public async Task The_client_flow_sends_and_receives_through_an_ActorWs_server_and_closes_with_1000()
    {
        var server = await ServeAsync(Flow.Create<Message>().Select(m => m is TextMessage.Strict t ? new TextMessage.Strict(t.Text.ToUpperInvariant()) : m));
        var messages = new Message[] { new TextMessage.Strict("a"), new BinaryMessage.Strict(new byte[] { 7 }), new TextMessage.Strict("c") };
        // Source.Never keeps the client's side open: completing it would close the connection
        // before the replies came back.
        var (opened, replies) = Source.From(messages).Concat(Source.Never<Message>())
            .ViaMaterialized(WebSocketStreams.ClientFlow(server.Uri), Keep.Right)
            .Take(3)
            .ToMaterialized(Sink.Seq<Message>(), Keep.Both)
            .Run(Sys.Materializer());

        Assert.Equal(Role.Client, (await opened.WaitAsync(Patience)).Role);
        var received = await replies.WaitAsync(Patience);
        Assert.Equal("A", Assert.IsType<TextMessage.Strict>(received[0]).Text);
        Assert.Equal([7], Assert.IsType<BinaryMessage.Strict>(received[1]).Data.ToArray());
        Assert.Equal("C", Assert.IsType<TextMessage.Strict>(received[2]).Text);
        await server.StopAsync();
    }

    [Fact]
    public async Task A_client_flow_to_a_port_nobody_listens_on_fails_its_task_with_1006()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var (opened, done) = Source.Never<Message>()
            .ViaMaterialized(WebSocketStreams.ClientFlow(new Uri($"ws://127.0.0.1:{port}/")), Keep.Right)
            .ToMaterialized(Sink.Ignore<Message>(), Keep.Both)
            .Run(Sys.Materializer());
        var error = await Assert.ThrowsAsync<WebSocketClosedException>(() => opened.WaitAsync(Patience));
        Assert.Equal(CloseCodes.AbnormalClosure, error.Code);
        await Assert.ThrowsAsync<WebSocketClosedException>(() => done.WaitAsync(Patience));
    }

    private sealed record Init;
    private sealed record Ack;
    private sealed record Complete;

    [Fact]
    public async Task A_consumer_that_does_not_pull_keeps_the_server_from_reading_and_the_peers_sends_back_up()
    {
        // The server's flow hands each message to the test and pulls the next only on its ack.
        var consumer = CreateTestProbe();
        var flow = Flow.FromSinkAndSource(
            Sink.ActorRefWithAck<Message>(consumer.Ref, new Init(), new Ack(), new Complete()),
            Source.Never<Message>());
        var settings = TestSettings.Create();
        var server = await ServeAsync(flow);
        using var peer = await RawPeer.OpenAsync(server.Uri, server.Endpoint);
        peer.Socket.SendBufferSize = 16 * 1024; // so that less fills the kernels' buffers
        consumer.ExpectMsg<Init>();
        var sink = consumer.LastSender;
        sink.Tell(new Ack());

        // More than the kernels can hold for a server that reads nothing: its receive buffer, the
        // peer's send buffer (as the kernel sized them) and a read's worth on top, twice over. The
        // send can complete only if the server reads, and it may read only as the consumer pulls.
        int serverReceiveBuffer;
        using (var likeTheServers = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            likeTheServers.ReceiveBufferSize = settings.ReceiveBufferSize;
            serverReceiveBuffer = likeTheServers.ReceiveBufferSize;
        }
        long kernelHolds = serverReceiveBuffer + peer.Socket.SendBufferSize + settings.MaxReadSize;
        var frame = peer.Text(new string('x', 1000));
        int count = (int)(2 * kernelHolds / frame.Length) + 1;
        var flood = new byte[frame.Length * count];
        for (int i = 0; i < count; i++)
            frame.CopyTo(flood, i * frame.Length);
        var sending = peer.Socket.SendAsync(flood.AsMemory(), SocketFlags.None).AsTask();

        // The consumer holds the first message without acking it.
        Assert.IsType<TextMessage.Strict>(consumer.ExpectMsg<Message>(Patience));
        // The flood reaches the server's kernel and stays there, unread.
        await AwaitConditionAsync(() => Task.FromResult(ReceiveQueueOnLocalPort(server.Endpoint.Port) > 0), Patience);
        Assert.False(sending.IsCompleted, "the peer's send completed while the server's consumer pulled nothing");

        // The consumer catches up: every message arrives, in order, and the send completes.
        sink.Tell(new Ack());
        for (int i = 1; i < count; i++)
        {
            Assert.Equal(1000, Assert.IsType<TextMessage.Strict>(consumer.ExpectMsg<Message>(Patience)).Text.Length);
            sink.Tell(new Ack());
        }
        await sending.WaitAsync(Patience);
        await server.StopAsync();
    }

    /// <summary>The bytes waiting unread in the receive queues of this process's connections on a
    /// local port (Linux, /proc/self/net/tcp and tcp6: tx_queue:rx_queue is the fifth column).</summary>
    private static long ReceiveQueueOnLocalPort(int port) =>
        new[] { "/proc/self/net/tcp", "/proc/self/net/tcp6" }
            .Where(File.Exists)
            .SelectMany(path => File.ReadLines(path).Skip(1))
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length > 4 && int.Parse(f[1].AsSpan(f[1].LastIndexOf(':') + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture) == port)
            .Sum(f => long.Parse(f[4].AsSpan(f[4].IndexOf(':') + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
}
