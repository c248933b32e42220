using System.Runtime.InteropServices;
using System.Text;
using Akka.Actor;
using Akka.IO;
using Akka.TestKit;
using ActorWs.Protocol;
using ActorWs.Transport;
using Xunit.Abstractions;

namespace ActorWs.Tests;

/// <summary>
/// Lent messages (actorws.messages.lend) and streamed ones (actorws.messages.stream-over): payloads
/// are slices of the very arrays read into, unmasked in place (RFC 6455 §5.3); a message over
/// stream-over comes in parts that join to it, text parts each UTF-8 on its own (§8.1).
/// </summary>
public sealed class LendingTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(AkkaConfig.Patient, output: output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private (IActorRef Reader, TestProbe Handler, TestProbe Parent) StartReader(string hocon)
    {
        var handler = CreateTestProbe();
        var parent = CreateTestProbe();
        var others = CreateTestProbe();
        Sys.ActorOf(StepParent.Props(ReaderActor.Props(Role.Server, TestSettings.Create(hocon), others.Ref, handler.Ref, others.Ref, others.Ref, others.Ref,
            LifecycleTrace.Off(Sys, Role.Server)), "reader", parent.Ref));
        return (parent.ExpectMsg<IActorRef>(), handler, parent);
    }

    [Fact]
    public void A_lent_payload_is_a_slice_of_the_array_read_into_unmasked()
    {
        var (reader, handler, _) = StartReader("actorws.messages.lend = on");
        var read = Wire.Concat(Wire.Frame(Opcode.Text, "héllo"u8, masked: true, key: 0x11223344), Wire.Frame(Opcode.Binary, [9, 8, 7, 6, 5], masked: true));
        reader.Tell(new SocketRead(read));

        var text = handler.ExpectMsg<MessageReceived>();
        Assert.Equal(MessageType.Text, text.Type);
        Assert.Equal("héllo", text.GetText());
        Assert.True(MemoryMarshal.TryGetArray(text.Payload, out var segment));
        Assert.Same(read, segment.Array);
        Assert.Equal(6, segment.Offset); // after the 2-byte header and the key

        var binary = handler.ExpectMsg<MessageReceived>();
        Assert.Equal(MessageType.Binary, binary.Type);
        Assert.Equal([9, 8, 7, 6, 5], binary.Payload.ToArray());
        Assert.True(MemoryMarshal.TryGetArray(binary.Payload, out segment));
        Assert.Same(read, segment.Array);
    }

    [Fact]
    public void A_Tcp_Received_is_lent_as_a_copy_its_bytes_left_as_they_were()
    {
        // Akka's ByteString is not ours to write: the reader unmasks a copy (what the tests' probe
        // connections send; the socket actors send SocketRead).
        var (reader, handler, _) = StartReader("actorws.messages.lend = on");
        var read = Wire.Frame(Opcode.Binary, [9, 8, 7, 6, 5], masked: true, key: 0x11223344);
        var before = read.ToArray();
        reader.Tell(new Tcp.Received(ByteString.FromBytes(read)));
        var message = handler.ExpectMsg<MessageReceived>();
        Assert.Equal([9, 8, 7, 6, 5], message.Payload.ToArray());
        Assert.True(MemoryMarshal.TryGetArray(message.Payload, out var segment));
        Assert.NotSame(read, segment.Array);
        Assert.Equal(before, read); // still masked
    }

    [Fact]
    public void Bytes_read_with_the_handshake_and_after_it_are_lent_from_the_socket_actors_arrays()
    {
        // The connection passes SocketRead to the handshake actor, whose leftover (the first frame,
        // in the same read as the request) stays a slice of the read's array, and then to the reader.
        var c = new ProbeConnection(this, TestSettings.Create("actorws.messages.lend = on"));
        var first = Wire.Concat(Wire.Ascii(Wire.UpgradeRequest()), Wire.Frame(Opcode.Binary, [1, 2, 3], masked: true));
        c.Connection.Tell(new SocketRead(first), c.Tcp.Ref);
        c.Tcp.ExpectMsg<Tcp.Write>(); // the 101
        c.App.ExpectMsg<ForwardingHandler.Started>();
        c.App.ExpectMsg<Opened>();
        var early = c.App.ExpectMsg<MessageReceived>();
        Assert.Equal([1, 2, 3], early.Payload.ToArray());
        Assert.True(MemoryMarshal.TryGetArray(early.Payload, out var segment));
        Assert.Same(first, segment.Array);

        var later = Wire.Frame(Opcode.Text, "héllo"u8, masked: true);
        c.Connection.Tell(new SocketRead(later), c.Tcp.Ref);
        var text = c.App.ExpectMsg<MessageReceived>();
        Assert.Equal("héllo", text.GetText());
        Assert.True(MemoryMarshal.TryGetArray(text.Payload, out segment));
        Assert.Same(later, segment.Array);
    }

    [Fact]
    public void A_payload_spanning_reads_is_lent_in_an_array_of_exactly_its_size()
    {
        var (reader, handler, _) = StartReader("actorws.messages.lend = on");
        var payload = Enumerable.Range(0, 1000).Select(i => (byte)i).ToArray();
        var wire = Wire.Frame(Opcode.Binary, payload, masked: true);
        reader.Tell(new SocketRead(wire[..500]));
        reader.Tell(new SocketRead(wire[500..]));
        var message = handler.ExpectMsg<MessageReceived>();
        Assert.True(MemoryMarshal.TryGetArray(message.Payload, out var segment));
        Assert.Equal((0, payload.Length, payload.Length), (segment.Offset, segment.Count, segment.Array!.Length));
        Assert.Equal(payload, segment.Array);
    }

    private static (byte[] Wire, List<(MessageType Type, byte[] Payload)> Messages) Stream()
    {
        var messages = new List<(MessageType, byte[])>
        {
            (MessageType.Text, Encoding.UTF8.GetBytes("première")),
            (MessageType.Binary, Enumerable.Range(0, 200).Select(i => (byte)(i * 7)).ToArray()),
            (MessageType.Text, Encoding.UTF8.GetBytes("frag€mented 😀")),
            (MessageType.Binary, []),
        };
        var frames = Wire.Concat(
            Wire.Frame(Opcode.Text, messages[0].Item2, masked: true),
            Wire.Frame(Opcode.Binary, messages[1].Item2, masked: true),
            Wire.Frame(Opcode.Text, messages[2].Item2[..7], masked: true, fin: false),
            Wire.Frame(Opcode.Ping, "p"u8, masked: true),
            Wire.Frame(Opcode.Continuation, messages[2].Item2[7..], masked: true),
            Wire.Frame(Opcode.Binary, [], masked: true));
        return (frames, messages);
    }

    [Fact]
    public void Lent_payloads_are_the_same_wherever_the_reads_are_cut()
    {
        // Its writer is a probe that takes no pong: room for every ping of every round.
        var (reader, handler, parent) = StartReader("actorws.messages.lend = on\nactorws.limits.max-pending-control = 1000");
        var (wire, messages) = Stream();
        for (int cut = 0; cut <= wire.Length; cut++)
        {
            // Fresh arrays for each read: the reader owns what it is given.
            if (cut > 0)
                reader.Tell(new SocketRead(wire[..cut]));
            if (cut < wire.Length)
                reader.Tell(new SocketRead(wire[cut..]));
            reader.Sync();
            Assert.False(parent.HasMessages, $"cut {cut}: {(parent.HasMessages ? parent.ReceiveOne(TimeSpan.Zero) : null)}");
            foreach (var (type, payload) in messages)
            {
                var got = handler.ExpectMsg<MessageReceived>();
                Assert.Equal(type, got.Type);
                Assert.Equal(payload, got.Payload.ToArray());
            }
        }
    }

    [Fact]
    public void Without_lending_messages_still_arrive_as_text_and_binary()
    {
        var (reader, handler, _) = StartReader("");
        var (wire, messages) = Stream();
        reader.Tell(new SocketRead(wire));
        foreach (var (type, payload) in messages)
        {
            if (type == MessageType.Text)
                Assert.Equal(Encoding.UTF8.GetString(payload), handler.ExpectMsg<TextReceived>().Text);
            else
                Assert.Equal(payload, handler.ExpectMsg<BinaryReceived>().Data);
        }
    }

    private static byte[] MixedText(int bytes)
    {
        var sb = new StringBuilder();
        string[] pieces = ["a", "é", "€", "😀"];
        for (int i = 0; Encoding.UTF8.GetByteCount(sb.ToString()) < bytes; i++)
            sb.Append(pieces[i % pieces.Length]);
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    [Fact]
    public void A_streamed_text_message_cut_anywhere_arrives_as_valid_parts_that_join_to_it()
    {
        var (reader, handler, _) = StartReader("actorws.messages.stream-over = 32\nactorws.compression.enabled = off");
        var text = MixedText(150);
        var wire = Wire.Frame(Opcode.Text, text, masked: true);
        for (int cut = 1; cut < wire.Length; cut++)
        {
            reader.Tell(new SocketRead(wire[..cut]));
            reader.Tell(new SocketRead(wire[cut..]));
            var joined = new List<byte>();
            PartReceived part;
            do
            {
                part = handler.ExpectMsg<PartReceived>();
                Assert.Equal(MessageType.Text, part.Type);
                Assert.InRange(part.Payload.Length, 0, 32);
                Assert.True(System.Text.Unicode.Utf8.IsValid(part.Payload.Span), $"cut {cut}: a part is not UTF-8 on its own");
                joined.AddRange(part.Payload.ToArray());
            }
            while (!part.IsLast);
            Assert.Equal(text, joined);
        }
    }

    [Fact]
    public void Under_stream_over_a_message_arrives_whole()
    {
        var (reader, handler, _) = StartReader("actorws.messages.stream-over = 32\nactorws.compression.enabled = off");
        reader.Tell(new SocketRead(Wire.Frame(Opcode.Text, "short"u8, masked: true)));
        Assert.Equal("short", handler.ExpectMsg<TextReceived>().Text);
    }

    [Fact]
    public void Invalid_text_in_a_later_part_closes_with_1007_before_the_message_ends()
    {
        var c = new ProbeConnection(this, TestSettings.Create("actorws.messages.stream-over = 16\nactorws.compression.enabled = off"));
        c.Open();
        var text = MixedText(100);
        text[60] = 0xFF;
        var wire = Wire.Frame(Opcode.Text, text, masked: true);
        c.Receive(wire[..40]); // valid so far: parts go out
        c.App.ExpectMsg<PartReceived>();
        c.Receive(wire[40..80]); // the invalid byte, and the message not yet ended
        var close = c.ExpectFrames().Single(f => f.Opcode == Opcode.Close);
        Assert.Equal(CloseCodes.InvalidPayloadData, close.CloseCode);
    }

    [Fact]
    public async Task Lent_messages_over_real_sockets_can_be_sent_on_as_they_are()
    {
        var lend = TestSettings.Create("actorws.messages.lend = on");
        var server = await WebSocketServer.StartAsync(Sys, EchoHandler.Props(), TestSettings.Create());
        var app = CreateTestProbe();
        WebSocketClient.Connect(Sys, server.Uri, app.Ref, lend);
        var connection = app.ExpectMsg<Opened>(Wait).Connection;
        var blob = Enumerable.Range(0, 100_000).Select(i => (byte)i).ToArray();
        connection.Tell(new SendText("héllo"));
        connection.Tell(new SendBinary(blob));
        var text = app.ExpectMsg<MessageReceived>(Wait);
        Assert.Equal("héllo", text.GetText());
        var binary = app.ExpectMsg<MessageReceived>(Wait);
        Assert.Equal(blob, binary.Payload.ToArray());
        await server.StopAsync();
    }

    [Fact]
    public async Task A_message_of_several_MiB_streams_over_real_sockets_in_parts_no_larger_than_stream_over()
    {
        const int streamOver = 64 * 1024;
        var settings = TestSettings.Create($"actorws.messages.stream-over = {streamOver}\nactorws.compression.enabled = off");
        var server = await WebSocketServer.StartAsync(Sys, EchoHandler.Props(), TestSettings.Create());
        var app = CreateTestProbe();
        WebSocketClient.Connect(Sys, server.Uri, app.Ref, settings);
        var connection = app.ExpectMsg<Opened>(Wait).Connection;
        var rng = new Random(6455);
        var blob = new byte[4 << 20];
        rng.NextBytes(blob);
        connection.Tell(new SendBinary(blob));
        int at = 0;
        PartReceived part;
        do
        {
            part = (PartReceived)app.FishForMessage(m => m is PartReceived, Wait); // past SendBufferHigh and the like
            Assert.InRange(part.Payload.Length, 0, streamOver);
            Assert.True(part.Payload.Span.SequenceEqual(blob.AsSpan(at, part.Payload.Length)), $"part at {at} differs");
            at += part.Payload.Length;
        }
        while (!part.IsLast);
        Assert.Equal(blob.Length, at);
        await server.StopAsync();
    }
}
