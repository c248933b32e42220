using System.Net.Sockets;
using System.Net.WebSockets;
using Akka.Actor;
using Akka.IO;
using Akka.TestKit;
using ActorWs.Protocol;
using ActorWs.Transport;
using ActorWs.Tests.Support;
using Ack = ActorWs.Tests.Support.SocketActorPairs.Ack;
using Xunit.Abstractions;

namespace ActorWs.Tests;

/// <summary>
/// Gather writes over real loopback sockets: the socket actor sends a <see cref="GatherWrite"/>'s
/// segments in order, also when the kernel's buffer fills and the rest goes asynchronously; and
/// lent payloads round-trip end to end, server and client side.
/// </summary>
public sealed class GatherWriteTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(AkkaConfig.Patient, output: output), IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);
    private readonly SocketActorPairs _pairs = new();

    /// <summary>The socket actor on one end, with small kernel buffers on both so that a large
    /// write cannot be taken at once; a plain socket on the other.</summary>
    private (IActorRef Tcp, TestProbe Handler, Socket Peer) Open() =>
        _pairs.Open(this, TestSettings.Create("actorws.tcp.drain-timeout = 60s"), kernelBuffer: 8192);

    // Small reads: the peer reads slowly, so the writer's side stays full for most of the transfer.
    private static byte[] ReadExactly(Socket socket, int count) => SocketActorPairs.ReadExactly(socket, count, Wait, chunk: 4096);

    /// <summary>Segments of assorted sizes and offsets over distinct arrays, and the bytes they make.</summary>
    private static (ArraySegment<byte>[] Segments, byte[] Bytes) Segments(int seed, int count, int maxSize)
    {
        var random = new Random(seed);
        var segments = new ArraySegment<byte>[count];
        var all = new List<byte>();
        for (int i = 0; i < count; i++)
        {
            int size = random.Next(1, maxSize);
            int offset = random.Next(0, 16);
            var array = new byte[offset + size + random.Next(0, 16)];
            random.NextBytes(array);
            segments[i] = new ArraySegment<byte>(array, offset, size);
            all.AddRange(segments[i]);
        }
        return (segments, all.ToArray());
    }

    [Fact]
    public void A_gather_write_delivers_every_segment_in_order_and_is_acked()
    {
        var (tcp, handler, peer) = Open();
        var (segments, bytes) = Segments(1, 5, 100);
        tcp.Tell(new GatherWrite(segments, new Ack("small")), handler.Ref);
        Assert.Equal(bytes, ReadExactly(peer, bytes.Length));
        Assert.Equal("small", handler.ExpectMsg<Ack>(Wait).ToString());
    }

    [Fact]
    public void A_gather_write_larger_than_the_kernel_takes_goes_on_when_the_peer_reads_and_keeps_order_with_the_next_write()
    {
        var (tcp, handler, peer) = Open();
        var (segments, bytes) = Segments(2, 64, 64 * 1024); // about 2 MiB against 8 KiB buffers
        var (more, moreBytes) = Segments(3, 8, 100_000);
        tcp.Tell(new GatherWrite(segments, new Ack("first")), handler.Ref);
        tcp.Tell(Tcp.Write.Create(ByteString.FromBytes([1, 2, 3]), new Ack("plain")), handler.Ref);
        tcp.Tell(new GatherWrite(more, new Ack("third")), handler.Ref);
        var received = ReadExactly(peer, bytes.Length + 3 + moreBytes.Length);
        Assert.Equal(bytes, received[..bytes.Length]);
        Assert.Equal([1, 2, 3], received[bytes.Length..(bytes.Length + 3)]);
        Assert.Equal(moreBytes, received[(bytes.Length + 3)..]);
        Assert.Equal(["first", "plain", "third"], new[] { handler.ExpectMsg<Ack>(Wait), handler.ExpectMsg<Ack>(Wait), handler.ExpectMsg<Ack>(Wait) }.Select(a => a.ToString()));
    }

    [Fact]
    public void The_segments_left_after_any_number_of_bytes_sent_are_exactly_the_rest()
    {
        var (segments, bytes) = Segments(4, 6, 9);
        for (int sent = 0; sent <= bytes.Length; sent++)
        {
            var rest = GatherWrite.After(segments, sent);
            Assert.Equal(bytes[sent..], rest.SelectMany(s => s).ToArray());
            Assert.DoesNotContain(rest, s => s.Count == 0);
        }
        Assert.Equal(bytes.Length, new GatherWrite(segments, new Ack("x")).Bytes);
        Assert.Equal(bytes, new GatherWrite(segments, new Ack("x")).Data.ToArray());
    }

    /// <summary>A handler that sends every binary message back lent, with an ack, and reports the acks.</summary>
    private sealed class LendingEcho(IActorRef observer) : UntypedActor
    {
        private IActorRef _connection = ActorRefs.Nobody;

        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case Opened o:
                    _connection = o.Connection;
                    break;
                case BinaryReceived m:
                    _connection.Tell(new Send(MessageType.Binary, m.Data) { Ack = "echoed" });
                    break;
                case string ack:
                    observer.Tell(ack);
                    break;
            }
        }
    }

    [Fact]
    public async Task A_64_KiB_payload_lent_by_our_server_reaches_ClientWebSocket_whole()
    {
        var acks = CreateTestProbe();
        var server = await WebSocketServer.StartAsync(Sys, Props.Create(() => new LendingEcho(acks.Ref)), TestSettings.Create());
        using var ws = new ClientWebSocket();
        using var cts = new CancellationTokenSource(Wait);
        await ws.ConnectAsync(server.Uri, cts.Token);
        var blob = new byte[64 * 1024];
        Random.Shared.NextBytes(blob);
        for (int round = 0; round < 3; round++)
        {
            await ws.SendAsync(blob, WebSocketMessageType.Binary, true, cts.Token);
            var received = new MemoryStream();
            var buffer = new byte[16 * 1024];
            WebSocketReceiveResult r;
            do
            {
                r = await ws.ReceiveAsync(buffer, cts.Token);
                Assert.Equal(WebSocketMessageType.Binary, r.MessageType);
                received.Write(buffer, 0, r.Count);
            } while (!r.EndOfMessage);
            Assert.Equal(blob, received.ToArray());
            acks.ExpectMsg("echoed", Wait);
        }
        await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, "", cts.Token);
    }

    [Fact]
    public async Task A_64_KiB_Send_from_our_client_round_trips_through_a_Kestrel_echo()
    {
        await using var web = await KestrelEcho.StartAsync();
        var app = CreateTestProbe();
        WebSocketClient.Connect(Sys, new Uri($"ws://127.0.0.1:{web.Port()}/echo"), app.Ref, TestSettings.Create());
        var connection = app.ExpectMsg<Opened>(Wait).Connection;
        var blob = new byte[64 * 1024];
        Random.Shared.NextBytes(blob);
        connection.Tell(new Send(MessageType.Binary, blob) { Ack = "written" }, app.Ref);
        app.ExpectMsg("written", Wait);
        Assert.Equal(blob, app.ExpectMsg<BinaryReceived>(Wait).Data);
        connection.Tell(new Close(CloseCodes.NormalClosure, "done"));
        Assert.True(app.ExpectMsg<Closed>(Wait).WasClean);
        await web.StopAsync();
    }

    public new void Dispose()
    {
        _pairs.Dispose();
        base.Dispose();
    }
}
