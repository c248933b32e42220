using Akka.Actor;
using Akka.IO;
using Akka.TestKit;
using ActorWs.Protocol;
using Xunit.Abstractions;

namespace ActorWs.Tests;

/// <summary>
/// The writer (RFC 6455 §5.1, §5.3, §6.1) with probes for TCP, the handler and the close
/// coordinator: masking by role, coalescing while a write is in flight, and back-pressure signals.
/// </summary>
public sealed class WriterTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(AkkaConfig.Patient, output: output)
{
    private (IActorRef Writer, TestProbe Tcp, TestProbe Handler, TestProbe Closer) Start(Role role, string extra = "")
    {
        var tcp = CreateTestProbe();
        var handler = CreateTestProbe();
        var closer = CreateTestProbe();
        var settings = TestSettings.Create(extra);
        var writer = Sys.ActorOf(WriterActor.Props(role, settings, tcp.Ref, handler.Ref, closer.Ref, LifecycleTrace.Off(Sys, role)), "writer");
        return (writer, tcp, handler, closer);
    }

    private static List<WireFrame> ExpectWrite(TestProbe tcp, Role role, bool ack = true)
    {
        var write = tcp.ExpectMsg<Tcp.Write>();
        // Read before the ack: the writer's buffer goes back to the pool on the ack.
        var frames = FrameReader.ReadAll(write.Data.ToArray(), role);
        if (ack)
            tcp.LastSender.Tell(write.Ack);
        return frames;
    }

    [Fact]
    public void Client_frames_are_masked_each_with_a_new_key()
    {
        var (writer, tcp, _, _) = Start(Role.Client);
        var keys = new HashSet<uint>();
        for (int i = 0; i < 20; i++)
        {
            writer.Tell(new SendText($"message {i}"));
            var frame = Assert.Single(ExpectWrite(tcp, Role.Client));
            Assert.True(frame.Masked);
            Assert.Equal($"message {i}", frame.Text); // unmasked by the frame reader with the frame's key
            keys.Add(frame.MaskKey);
        }
        writer.Tell(new SendBinary([1, 2, 3]));
        var binary = Assert.Single(ExpectWrite(tcp, Role.Client));
        Assert.True(binary.Masked);
        Assert.Equal([1, 2, 3], binary.Payload);
        keys.Add(binary.MaskKey);
        Assert.Equal(21, keys.Count);
    }

    [Fact]
    public void Client_masks_bytes_on_the_wire()
    {
        var (writer, tcp, _, _) = Start(Role.Client);
        writer.Tell(new SendText("hello hello hello"));
        var raw = tcp.ExpectMsg<Tcp.Write>().Data.ToArray();
        Assert.Equal(0x80, raw[1] & 0x80);
        // The payload as sent is not the plain text (a zero key would leave it so; 2^-32).
        Assert.NotEqual("hello hello hello"u8.ToArray(), raw[6..]);
    }

    [Fact]
    public void Server_frames_are_not_masked()
    {
        var (writer, tcp, _, _) = Start(Role.Server);
        writer.Tell(new SendText("plain"));
        var raw = tcp.ExpectMsg<Tcp.Write>().Data.ToArray();
        Assert.Equal([0x81, 0x05, .. "plain"u8.ToArray()], raw);
    }

    [Fact]
    public void Frames_sent_while_a_write_is_in_flight_go_out_together_on_the_ack()
    {
        var (writer, tcp, _, _) = Start(Role.Server);
        writer.Tell(new SendText("one"));
        var first = tcp.ExpectMsg<Tcp.Write>();
        var firstSender = tcp.LastSender;
        writer.Tell(new SendText("two"));
        writer.Tell(new SendBinary([2]));
        writer.Tell(new SendPing("p"u8.ToArray()));
        writer.Tell(new SendText("three"));
        // The writer has handled the four (an Identify behind them): nothing is written before the ack.
        writer.Sync();
        tcp.ExpectNoMsg(TimeSpan.Zero);
        firstSender.Tell(first.Ack);
        var frames = ExpectWrite(tcp, Role.Server);
        Assert.Equal(["two", "\u0002", "p", "three"], frames.Select(f => f.Text));
        Assert.Equal([Opcode.Text, Opcode.Binary, Opcode.Ping, Opcode.Text], frames.Select(f => f.Opcode));
        writer.Sync();
        tcp.ExpectNoMsg(TimeSpan.Zero);
    }

    [Fact]
    public void Passing_the_high_watermark_signals_SendBufferHigh_and_release_signals_SendBufferDrained()
    {
        var (writer, tcp, handler, _) = Start(Role.Server, "actorws.write.high-watermark = 1 KiB");
        var chunk = new byte[600];
        writer.Tell(new SendBinary(chunk)); // in flight, not acked
        var first = tcp.ExpectMsg<Tcp.Write>();
        var sender = tcp.LastSender;
        writer.Sync();
        handler.ExpectNoMsg(TimeSpan.Zero);
        writer.Tell(new SendBinary(chunk)); // 1208 bytes buffered > 1024
        Assert.True(handler.ExpectMsg<SendBufferHigh>().BufferedBytes > 1024);
        writer.Tell(new SendBinary(chunk)); // signalled once only
        sender.Tell(first.Ack);
        var second = tcp.ExpectMsg<Tcp.Write>();
        Assert.Equal(2, FrameReader.ReadAll(second.Data.ToArray(), Role.Server).Count);
        writer.Sync();
        handler.ExpectNoMsg(TimeSpan.Zero); // 1208 bytes still in flight
        tcp.LastSender.Tell(second.Ack);
        Assert.Equal(0, handler.ExpectMsg<SendBufferDrained>().BufferedBytes);
    }

    [Fact]
    public void Past_max_buffered_the_writer_fails_with_a_send_buffer_overflow()
    {
        var tcp = CreateTestProbe();
        var parent = CreateTestProbe();
        var settings = TestSettings.Create("actorws.write { high-watermark = 1 KiB, max-buffered = 2 KiB }");
        Sys.ActorOf(StepParent.Props(WriterActor.Props(Role.Server, settings, tcp.Ref, parent.Ref, parent.Ref, LifecycleTrace.Off(Sys, Role.Server)), "writer", parent.Ref));
        var writer = parent.ExpectMsg<IActorRef>();
        for (int i = 0; i < 4; i++)
            writer.Tell(new SendBinary(new byte[700]));
        parent.FishForMessage(m => m is StepParent.ChildFailed { Cause: SendBufferOverflowException });
        Assert.Equal(CloseCodes.PolicyViolation, FailureCodes.For(new SendBufferOverflowException("x")).Code);
    }

    [Fact]
    public void Close_frame_is_last_and_reported_when_written()
    {
        var (writer, tcp, _, closer) = Start(Role.Server);
        writer.Tell(new WriterActor.SendCloseFrame(new CloseStatus(4000, "bye")));
        writer.Tell(new SendText("too late")); // refused: nothing after our close frame (§5.5.1)
        var frame = Assert.Single(ExpectWrite(tcp, Role.Server));
        Assert.Equal(Opcode.Close, frame.Opcode);
        Assert.Equal<ushort?>(4000, frame.CloseCode);
        Assert.Equal("bye", frame.CloseReason);
        closer.ExpectMsg<WriterActor.CloseFrameWritten>();
        writer.Sync(); // "too late" was handled: had it been written, the write would be queued now
        tcp.ExpectNoMsg(TimeSpan.Zero);
    }

    [Fact]
    public void Ping_over_125_bytes_is_refused_where_the_application_makes_it()
    {
        var e = Assert.Throws<ArgumentException>(() => new SendPing(new byte[126]));
        Assert.Contains("125", e.Message);
        Assert.Equal(125, new SendPing(new byte[125]).Payload.Length);
    }
}
