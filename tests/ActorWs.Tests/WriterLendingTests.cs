using System.Buffers;
using Akka.Actor;
using Akka.IO;
using Akka.TestKit;
using ActorWs.Protocol;
using ActorWs.Transport;
using Xunit.Abstractions;

namespace ActorWs.Tests;

/// <summary>
/// The writer's send side without copies (issue 18): lent payloads written beside their headers
/// (scatter writes), acks once written, streamed messages (RFC 6455 §5.4) and received messages
/// sent on. A probe stands in for the socket and reads what it is told.
/// </summary>
public sealed class WriterLendingTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(AkkaConfig.Patient, output: output)
{
    private const int Large = WriterActor.LendAtLeast;

    private (IActorRef Writer, TestProbe Tcp, TestProbe Handler) Start(Role role, string extra = "")
    {
        var tcp = CreateTestProbe();
        var handler = CreateTestProbe();
        var settings = TestSettings.Create(extra);
        var writer = Sys.ActorOf(WriterActor.Props(role, settings, tcp.Ref, handler.Ref, CreateTestProbe().Ref, LifecycleTrace.Off(Sys, role)));
        return (writer, tcp, handler);
    }

    /// <summary>The next write, a Tcp.Write or a GatherWrite, with its bytes read before any ack.</summary>
    private static (object Write, byte[] Bytes, Tcp.Event Ack, IActorRef Socket) NextWrite(TestProbe tcp)
    {
        var write = tcp.ExpectMsg<Tcp.SimpleWriteCommand>();
        var bytes = write switch
        {
            Tcp.Write w => w.Data.ToArray(),
            GatherWrite g => g.Data.ToArray(),
            _ => throw new InvalidOperationException($"unexpected {write}"),
        };
        return (write, bytes, write.Ack, tcp.LastSender);
    }

    /// <summary>Every frame written until the writer has nothing left, each write acked, read by one
    /// reader across writes (a streamed message spans them), which checks §5.4's sequence rules too.</summary>
    private static List<WireFrame> AllFrames(IActorRef writer, TestProbe tcp, FrameReader? reader = null)
    {
        reader ??= new FrameReader(Role.Server);
        var frames = new List<WireFrame>();
        while (true)
        {
            // Twice: a flush the writer tells itself while handling the first Identify's predecessors
            // sits behind that Identify, and ahead of the second.
            writer.Sync();
            writer.Sync();
            if (!tcp.HasMessages)
                return frames;
            var (_, bytes, ack, socket) = NextWrite(tcp);
            frames.AddRange(reader.Read(bytes));
            Assert.False(reader.HasPartialFrame); // a write holds whole frames
            socket.Tell(ack);
        }
    }

    private static byte[] Pattern(int length, int seed = 0) => Enumerable.Range(seed, length).Select(i => (byte)(i * 31 + 7)).ToArray();

    [Fact]
    public void Large_send_is_written_as_its_header_then_the_applications_own_array()
    {
        var (writer, tcp, _) = Start(Role.Server);
        var array = Pattern(Large + 100);
        var payload = new ReadOnlyMemory<byte>(array, 40, Large); // a slice: offset and count carried over, not copied
        writer.Tell(new Send(MessageType.Binary, payload));
        var gather = tcp.ExpectMsg<GatherWrite>();
        Assert.Equal(2, gather.Segments.Length);
        Assert.Equal([0x82, 126, Large >> 8, Large & 0xff], gather.Segments[0].ToArray()); // §5.2: 16-bit length
        Assert.Same(array, gather.Segments[1].Array);
        Assert.Equal((40, Large), (gather.Segments[1].Offset, gather.Segments[1].Count));
        var frame = Assert.Single(FrameReader.ReadAll(gather.Data.ToArray(), Role.Server));
        Assert.Equal((Opcode.Binary, true), (frame.Opcode, frame.Fin));
        Assert.Equal(payload.ToArray(), frame.Payload);
    }

    [Fact]
    public void Small_sends_are_copied_and_coalesce_into_one_write()
    {
        var (writer, tcp, _) = Start(Role.Server);
        var array = Pattern(Large - 1);
        writer.Tell(new Send(MessageType.Binary, array));
        var first = tcp.ExpectMsg<Tcp.Write>(); // below the threshold: copied, a plain write
        array[0] ^= 0xff; // changing it after the send shows the copy
        Assert.Equal(Pattern(Large - 1), FrameReader.ReadAll(first.Data.ToArray(), Role.Server).Single().Payload);
        var socket = tcp.LastSender;
        writer.Tell(new Send(MessageType.Text, "one"u8.ToArray()));
        writer.Tell(new Send(MessageType.Binary, new byte[] { 2 }));
        writer.Tell(new Send(MessageType.Text, "three"u8.ToArray()));
        writer.Sync();
        tcp.ExpectNoMsg(TimeSpan.Zero);
        socket.Tell(first.Ack);
        var second = tcp.ExpectMsg<Tcp.Write>();
        Assert.Equal(["one", "\u0002", "three"], FrameReader.ReadAll(second.Data.ToArray(), Role.Server).Select(f => f.Text));
    }

    [Fact]
    public void Small_and_large_frames_queued_together_go_out_in_order_in_one_gather_write()
    {
        var (writer, tcp, _) = Start(Role.Server);
        writer.Tell(new SendText("first"));
        var (_, _, ack, socket) = NextWrite(tcp);
        var big1 = Pattern(Large * 2, 1);
        var big2 = Pattern(70_000, 2); // §5.2: 64-bit length
        writer.Tell(new SendText("a"));
        writer.Tell(new Send(MessageType.Binary, big1));
        writer.Tell(new Send(MessageType.Binary, big2));
        writer.Tell(new SendPing("p"u8.ToArray()));
        socket.Tell(ack);
        var gather = tcp.ExpectMsg<GatherWrite>();
        // "a" and big1's header | big1 | big2's header | big2 | the ping
        Assert.Equal(5, gather.Segments.Length);
        Assert.Same(big1, gather.Segments[1].Array);
        Assert.Same(big2, gather.Segments[3].Array);
        Assert.Same(gather.Segments[0].Array, gather.Segments[4].Array); // both in the writer's pending buffer
        var frames = FrameReader.ReadAll(gather.Data.ToArray(), Role.Server);
        Assert.Equal([Opcode.Text, Opcode.Binary, Opcode.Binary, Opcode.Ping], frames.Select(f => f.Opcode));
        Assert.Equal(big1, frames[1].Payload);
        Assert.Equal(big2, frames[2].Payload);
    }

    [Fact]
    public void Large_SendBinary_is_lent_too()
    {
        var (writer, tcp, _) = Start(Role.Server);
        var data = Pattern(Large);
        writer.Tell(new SendBinary(data));
        Assert.Same(data, tcp.ExpectMsg<GatherWrite>().Segments[1].Array);
    }

    [Fact]
    public void Memory_not_backed_by_an_array_is_copied()
    {
        var (writer, tcp, _) = Start(Role.Server);
        using var native = new NotAnArray(Pattern(Large * 2));
        writer.Tell(new Send(MessageType.Binary, native.Memory));
        var write = tcp.ExpectMsg<Tcp.Write>();
        Assert.Equal(Pattern(Large * 2), FrameReader.ReadAll(write.Data.ToArray(), Role.Server).Single().Payload);
    }

    [Theory]
    [InlineData(10)]
    [InlineData(Large)]
    public void Ack_is_told_after_the_socket_acknowledges_the_write_and_not_before(int size)
    {
        var (writer, tcp, _) = Start(Role.Server);
        var app = CreateTestProbe();
        writer.Tell(new Send(MessageType.Binary, Pattern(size)) { Ack = "sent" }, app.Ref);
        var (_, _, ack, socket) = NextWrite(tcp);
        writer.Sync();
        Assert.False(app.HasMessages);
        socket.Tell(ack);
        app.ExpectMsg("sent");
    }

    [Fact]
    public void Acks_come_in_the_order_of_the_sends_whether_copied_or_lent()
    {
        var (writer, tcp, _) = Start(Role.Server);
        var app = CreateTestProbe();
        writer.Tell(new SendText("busy"));
        var (_, _, ack, socket) = NextWrite(tcp);
        writer.Tell(new Send(MessageType.Binary, Pattern(Large)) { Ack = 1 }, app.Ref);
        writer.Tell(new Send(MessageType.Binary, Pattern(3)) { Ack = 2 }, app.Ref);
        writer.Tell(new SendPart(MessageType.Binary, Pattern(Large), isLast: true) { Ack = 3 }, app.Ref);
        socket.Tell(ack);
        var second = NextWrite(tcp);
        writer.Sync();
        Assert.False(app.HasMessages);
        second.Socket.Tell(second.Ack);
        Assert.Equal([1, 2, 3], new[] { app.ExpectMsg<int>(), app.ExpectMsg<int>(), app.ExpectMsg<int>() });
    }

    [Fact]
    public void No_ack_when_the_write_fails_because_the_connection_is_closing()
    {
        var (writer, tcp, _) = Start(Role.Server);
        var app = CreateTestProbe();
        writer.Tell(new Send(MessageType.Binary, Pattern(Large)) { Ack = "sent" }, app.Ref);
        var write = tcp.ExpectMsg<GatherWrite>();
        tcp.LastSender.Tell(new Tcp.CommandFailed(write));
        writer.Sync();
        Assert.False(app.HasMessages);
    }

    [Fact]
    public void A_client_masks_a_lent_payload_into_its_own_buffer_and_leaves_the_applications_alone()
    {
        var (writer, tcp, _) = Start(Role.Client);
        var array = Pattern(Large * 4);
        writer.Tell(new Send(MessageType.Binary, array));
        var write = tcp.ExpectMsg<Tcp.Write>(); // copied while masking (§5.3): no gather write
        var frame = FrameReader.ReadAll(write.Data.ToArray(), Role.Client).Single();
        Assert.True(frame.Masked);
        Assert.Equal(Pattern(Large * 4), frame.Payload); // what the peer unmasks
        Assert.Equal(Pattern(Large * 4), array);
    }

    [Fact]
    public void Parts_go_out_as_the_first_opcode_then_continuations_with_FIN_only_on_the_last()
    {
        var (writer, tcp, _) = Start(Role.Server);
        writer.Tell(new SendPart(MessageType.Text, "hé"u8.ToArray(), isLast: false));
        writer.Tell(new SendPart(MessageType.Text, Pattern(Large).Select(b => (byte)(b & 0x7f)).ToArray(), isLast: false));
        writer.Tell(new SendPart(MessageType.Text, "llo"u8.ToArray(), isLast: true));
        var frames = AllFrames(writer, tcp);
        Assert.Equal([(Opcode.Text, false), (Opcode.Continuation, false), (Opcode.Continuation, true)], frames.Select(f => (f.Opcode, f.Fin)));
        Assert.Equal("hé", frames[0].Text);
        Assert.Equal("llo", frames[2].Text);
    }

    [Fact]
    public void A_single_last_part_is_a_whole_message()
    {
        var (writer, tcp, _) = Start(Role.Server);
        writer.Tell(new SendPart(MessageType.Binary, new byte[] { 1 }, isLast: true));
        writer.Tell(new SendText("after"));
        var frames = AllFrames(writer, tcp);
        Assert.Equal([(Opcode.Binary, true), (Opcode.Text, true)], frames.Select(f => (f.Opcode, f.Fin)));
    }

    [Fact]
    public void Messages_sent_while_a_streamed_message_is_open_wait_for_its_end_and_control_frames_do_not()
    {
        var (writer, tcp, _) = Start(Role.Server);
        writer.Tell(new SendPart(MessageType.Binary, new byte[] { 1 }, isLast: false));
        writer.Tell(new Send(MessageType.Text, "whole"u8.ToArray()));
        writer.Tell(new SendText("text"));
        writer.Tell(new SendBinary(Pattern(Large)));
        writer.Tell(new SendPing("ping"u8.ToArray()));
        writer.Tell(new SendPart(MessageType.Binary, new byte[] { 2 }, isLast: false));
        writer.Tell(new SendPart(MessageType.Binary, new byte[] { 3 }, isLast: true));
        var frames = AllFrames(writer, tcp);
        Assert.Equal(
            [(Opcode.Binary, false), (Opcode.Ping, true), (Opcode.Continuation, false), (Opcode.Continuation, true), (Opcode.Text, true), (Opcode.Text, true), (Opcode.Binary, true)],
            frames.Select(f => (f.Opcode, f.Fin)));
        Assert.Equal(["\u0001", "ping", "\u0002", "\u0003", "whole", "text"], frames.Take(6).Select(f => f.Text));
        Assert.Equal(Pattern(Large), frames[6].Payload);
    }

    [Fact]
    public void Another_senders_parts_wait_for_the_open_streamed_message_and_keep_their_order()
    {
        var (writer, tcp, _) = Start(Role.Server);
        var (a, b) = (CreateTestProbe().Ref, CreateTestProbe().Ref);
        writer.Tell(new SendPart(MessageType.Text, "a1"u8.ToArray(), isLast: false), a);
        writer.Tell(new SendPart(MessageType.Binary, "b1"u8.ToArray(), isLast: false), b);
        writer.Tell(new SendText("from b"), b);
        writer.Tell(new SendPart(MessageType.Binary, "b2"u8.ToArray(), isLast: true), b);
        writer.Tell(new SendPart(MessageType.Text, "a2"u8.ToArray(), isLast: true), a);
        var frames = AllFrames(writer, tcp);
        // b's whole message was sent while its own streamed message was held open: it waits for that one's end.
        Assert.Equal(["a1", "a2", "b1", "b2", "from b"], frames.Select(f => f.Text));
        Assert.Equal([Opcode.Text, Opcode.Continuation, Opcode.Binary, Opcode.Continuation, Opcode.Text], frames.Select(f => f.Opcode));
        Assert.Equal([false, true, false, true, true], frames.Select(f => f.Fin));
    }

    [Fact]
    public void A_part_of_another_type_into_an_open_message_fails_the_writer()
    {
        var parent = CreateTestProbe();
        Sys.ActorOf(StepParent.Props(WriterActor.Props(Role.Server, TestSettings.Create(), CreateTestProbe().Ref, parent.Ref, parent.Ref, LifecycleTrace.Off(Sys, Role.Server)), "writer", parent.Ref));
        var writer = parent.ExpectMsg<IActorRef>();
        writer.Tell(new SendPart(MessageType.Text, "a"u8.ToArray(), isLast: false));
        writer.Tell(new SendPart(MessageType.Binary, new byte[] { 1 }, isLast: true));
        Assert.IsType<InvalidOperationException>(parent.FishForMessage<StepParent.ChildFailed>(_ => true).Cause);
    }

    [Fact]
    public void Held_messages_count_against_max_buffered()
    {
        var parent = CreateTestProbe();
        var settings = TestSettings.Create("actorws.write { high-watermark = 8 KiB, max-buffered = 16 KiB }");
        Sys.ActorOf(StepParent.Props(WriterActor.Props(Role.Server, settings, CreateTestProbe().Ref, parent.Ref, parent.Ref, LifecycleTrace.Off(Sys, Role.Server)), "writer", parent.Ref));
        var writer = parent.ExpectMsg<IActorRef>();
        writer.Tell(new SendPart(MessageType.Binary, new byte[] { 1 }, isLast: false));
        for (int i = 0; i < 5; i++)
            writer.Tell(new Send(MessageType.Binary, new byte[4096]));
        parent.FishForMessage(m => m is StepParent.ChildFailed { Cause: SendBufferOverflowException });
    }

    [Fact]
    public void Lent_bytes_count_toward_the_high_watermark_until_written()
    {
        var (writer, tcp, handler) = Start(Role.Server, "actorws.write.high-watermark = 4 KiB");
        writer.Tell(new Send(MessageType.Binary, new byte[3000]));
        var first = NextWrite(tcp);
        writer.Sync();
        Assert.False(handler.HasMessages);
        writer.Tell(new Send(MessageType.Binary, new byte[3000]));
        Assert.True(handler.ExpectMsg<SendBufferHigh>().BufferedBytes > 6000);
        first.Socket.Tell(first.Ack);
        var second = NextWrite(tcp);
        writer.Sync();
        Assert.False(handler.HasMessages); // the second's 3000 bytes are still with the socket
        second.Socket.Tell(second.Ack);
        Assert.Equal(0, handler.ExpectMsg<SendBufferDrained>().BufferedBytes);
    }

    [Fact]
    public void A_received_message_told_to_the_writer_goes_out_unchanged_and_unbuffered()
    {
        var (writer, tcp, _) = Start(Role.Server);
        var read = Pattern(Large + 10);
        var received = new MessageReceived(MessageType.Binary, read.AsMemory(5, Large));
        writer.Tell(received);
        var gather = tcp.ExpectMsg<GatherWrite>();
        Assert.Same(read, gather.Segments[1].Array);
        tcp.LastSender.Tell(gather.Ack);
        writer.Tell(new MessageReceived(MessageType.Text, "short"u8.ToArray()));
        var frame = FrameReader.ReadAll(tcp.ExpectMsg<Tcp.Write>().Data.ToArray(), Role.Server).Single();
        Assert.Equal((Opcode.Text, true, "short"), (frame.Opcode, frame.Fin, frame.Text));
    }

    [Fact]
    public void Received_parts_told_to_the_writer_go_out_as_parts()
    {
        var (writer, tcp, _) = Start(Role.Server);
        writer.Tell(new PartReceived(MessageType.Text, "one "u8.ToArray(), false));
        writer.Tell(new SendText("waits"));
        writer.Tell(new PartReceived(MessageType.Text, "two"u8.ToArray(), true));
        var frames = AllFrames(writer, tcp);
        Assert.Equal([(Opcode.Text, false, "one "), (Opcode.Continuation, true, "two"), (Opcode.Text, true, "waits")], frames.Select(f => (f.Opcode, f.Fin, f.Text)));
    }

    [Fact]
    public void Nothing_held_goes_out_after_the_close_frame()
    {
        var (writer, tcp, _) = Start(Role.Server);
        var app = CreateTestProbe();
        writer.Tell(new SendPart(MessageType.Binary, new byte[] { 1 }, isLast: false));
        writer.Tell(new Send(MessageType.Binary, new byte[] { 9 }) { Ack = "never" }, app.Ref);
        writer.Tell(new WriterActor.SendCloseFrame(new CloseStatus(1000, "")));
        writer.Tell(new SendPart(MessageType.Binary, new byte[] { 2 }, isLast: true));
        var frames = AllFrames(writer, tcp);
        Assert.Equal([Opcode.Binary, Opcode.Close], frames.Select(f => f.Opcode));
        Assert.False(app.HasMessages);
    }

    /// <summary>
    /// Property-style: random mixes of sizes on both sides of the threshold, of whole messages and
    /// parts, and of writes acked at random points, always come out as exactly the frames sent, in order.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void Any_mix_of_sizes_and_parts_comes_out_as_sent(int seed)
    {
        var random = new Random(seed);
        foreach (var role in new[] { Role.Server, Role.Client })
        {
            var (writer, tcp, _) = Start(role);
            var reader = new FrameReader(role);
            var expected = new List<(Opcode, bool, byte[])>();
            var frames = new List<WireFrame>();
            bool streaming = false;
            for (int i = 0; i < 60; i++)
            {
                int size = random.Next(4) switch
                {
                    0 => random.Next(0, 126),
                    1 => random.Next(Large - 2, Large + 2),
                    2 => random.Next(126, 70_000),
                    _ => random.Next(0, 10),
                };
                var payload = new byte[size + 8];
                random.NextBytes(payload);
                var lent = payload.AsMemory(random.Next(0, 8), size);
                if (random.Next(3) == 0)
                {
                    bool last = random.Next(3) == 0;
                    writer.Tell(new SendPart(MessageType.Binary, lent, last));
                    expected.Add((streaming ? Opcode.Continuation : Opcode.Binary, last, lent.ToArray()));
                    streaming = !last;
                }
                else if (!streaming)
                {
                    writer.Tell(new Send(MessageType.Binary, lent));
                    expected.Add((Opcode.Binary, true, lent.ToArray()));
                }
                if (random.Next(2) == 0)
                    frames.AddRange(AllFrames(writer, tcp, reader));
            }
            frames.AddRange(AllFrames(writer, tcp, reader));
            Assert.Equal(expected.Count, frames.Count);
            for (int i = 0; i < expected.Count; i++)
            {
                Assert.Equal((expected[i].Item1, expected[i].Item2), (frames[i].Opcode, frames[i].Fin));
                Assert.Equal(expected[i].Item3, frames[i].Payload);
                Assert.Equal(role == Role.Client, frames[i].Masked);
            }
            Sys.Stop(writer);
        }
    }

    /// <summary>Memory that <c>MemoryMarshal.TryGetArray</c> cannot see an array behind.</summary>
    private sealed class NotAnArray(byte[] bytes) : MemoryManager<byte>
    {
        public override Span<byte> GetSpan() => bytes;
        public override MemoryHandle Pin(int elementIndex = 0) => throw new NotSupportedException();
        public override void Unpin() { }
        protected override void Dispose(bool disposing) { }
    }
}
