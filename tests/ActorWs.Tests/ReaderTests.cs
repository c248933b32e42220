using System.Text;
using Akka.Actor;
using Akka.IO;
using Akka.TestKit;
using ActorWs.Protocol;
using Xunit.Abstractions;

namespace ActorWs.Tests;

/// <summary>
/// The reader (RFC 6455 §5, §6.2) inside a server connection whose TCP is a probe: frames come out
/// the same however TCP cuts the bytes, bytes after the handshake head are not lost, and each
/// violation closes with the code of the close-code policy (docs/ARCHITECTURE.md).
/// </summary>
public sealed class ReaderTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(AkkaConfig.Patient, output: output)
{
    private static byte[] Stream(out List<object> expected)
    {
        var rng = new Random(6455);
        var parts = new List<byte[]>();
        expected = [];
        for (int i = 0; i < 30; i++)
        {
            int size = i % 5 == 0 ? rng.Next(126, 70_000) : rng.Next(0, 200);
            if (i % 3 == 0)
            {
                var data = new byte[size];
                rng.NextBytes(data);
                parts.Add(Wire.Frame(Opcode.Binary, data, masked: true));
                expected.Add(data);
            }
            else
            {
                var text = $"#{i} " + new string('é', size / 2);
                if (i % 4 == 1)
                {
                    // Fragmented, with a ping in the middle (§5.4, §5.5).
                    int cut = text.Length / 2;
                    parts.Add(Wire.Frame(Opcode.Text, Encoding.UTF8.GetBytes(text[..cut]), masked: true, fin: false));
                    parts.Add(Wire.Frame(Opcode.Ping, "p"u8, masked: true));
                    parts.Add(Wire.Frame(Opcode.Continuation, Encoding.UTF8.GetBytes(text[cut..]), masked: true));
                }
                else
                {
                    parts.Add(Wire.Frame(Opcode.Text, Wire.Utf8(text), masked: true));
                }
                expected.Add(text);
            }
        }
        return Wire.Concat([.. parts]);
    }

    private static void ExpectMessages(ProbeConnection c, List<object> expected)
    {
        foreach (var e in expected)
        {
            if (e is string text)
                Assert.Equal(text, c.App.ExpectMsg<TextReceived>().Text);
            else
                Assert.Equal((byte[])e, c.App.ExpectMsg<BinaryReceived>().Data);
        }
    }

    public static TheoryData<string> Chunkings => new() { "whole", "1 byte", "random" };

    [Theory]
    [MemberData(nameof(Chunkings))]
    public void Same_messages_whatever_the_TCP_chunking_including_the_handshake(string chunking)
    {
        var c = new ProbeConnection(this, TestSettings.Create());
        var bytes = Wire.Concat(Wire.Ascii(Wire.UpgradeRequest()), Stream(out var expected));
        var rng = new Random(17);
        for (int i = 0; i < bytes.Length;)
        {
            int n = chunking switch
            {
                "whole" => bytes.Length,
                "1 byte" => 1,
                _ => Math.Min(bytes.Length - i, rng.Next(1, 3000)),
            };
            c.Receive(bytes[i..(i + n)]);
            i += n;
        }
        c.App.ExpectMsg<ForwardingHandler.Started>();
        c.App.ExpectMsg<Opened>();
        ExpectMessages(c, expected);
    }

    [Fact]
    public void Frames_in_the_same_chunk_as_the_end_of_the_handshake_are_parsed()
    {
        var c = new ProbeConnection(this, TestSettings.Create());
        c.Open(sameChunk: Wire.Concat(Wire.Frame(Opcode.Text, Wire.Utf8("first"), masked: true), Wire.Frame(Opcode.Binary, [1, 2, 3], masked: true)));
        Assert.Equal("first", c.App.ExpectMsg<TextReceived>().Text);
        Assert.Equal([1, 2, 3], c.App.ExpectMsg<BinaryReceived>().Data);
    }

    [Fact]
    public void Ping_is_answered_with_a_pong_of_the_same_payload()
    {
        var c = new ProbeConnection(this, TestSettings.Create());
        c.Open();
        c.Receive(Wire.Frame(Opcode.Ping, "are you there"u8, masked: true));
        var pong = c.ExpectFrame();
        Assert.Equal(Opcode.Pong, pong.Opcode);
        Assert.False(pong.Masked);
        Assert.Equal("are you there", pong.Text);
    }

    /// <summary>A reader whose writer is a probe (it takes no pong unless the test says so) and whose
    /// failures its parent probe hears.</summary>
    private (IActorRef Reader, TestProbe Writer, TestProbe Parent) ReaderWithProbeWriter(int maxPendingControl)
    {
        var writer = CreateTestProbe();
        var parent = CreateTestProbe();
        var others = CreateTestProbe();
        var settings = TestSettings.Create($"actorws.limits.max-pending-control = {maxPendingControl}");
        Sys.ActorOf(StepParent.Props(ReaderActor.Props(Role.Server, settings, others.Ref, others.Ref, writer.Ref, others.Ref, others.Ref,
            LifecycleTrace.Off(Sys, Role.Server)), "reader", parent.Ref));
        return (parent.ExpectMsg<IActorRef>(), writer, parent);
    }

    [Fact]
    public void Pings_faster_than_the_writer_takes_their_pongs_fail_the_reader_at_max_pending_control()
    {
        // The writer is a probe that never takes a pong: without the reader's own count its mailbox
        // would grow with every ping a flooding peer sends (the writer's limit is checked only when
        // it takes one).
        var (reader, writer, parent) = ReaderWithProbeWriter(maxPendingControl: 8);
        var ping = Wire.Frame(Opcode.Ping, "p"u8, masked: true);
        reader.Tell(new Tcp.Received(Akka.IO.ByteString.FromBytes(Wire.Concat(Enumerable.Repeat(ping, 9).ToArray()))));
        var failed = parent.ExpectMsg<StepParent.ChildFailed>();
        Assert.IsType<SendBufferOverflowException>(failed.Cause);
        // Eight asked for, the ninth refused.
        for (int i = 0; i < 8; i++)
            writer.ExpectMsg<WriterActor.SendPong>();
        Assert.False(writer.HasMessages);
    }

    [Fact]
    public void Pongs_the_writer_takes_free_room_for_more_pings()
    {
        var (reader, writer, parent) = ReaderWithProbeWriter(maxPendingControl: 8);
        var eight = Wire.Concat(Enumerable.Repeat(Wire.Frame(Opcode.Ping, "p"u8, masked: true), 8).ToArray());
        for (int round = 0; round < 3; round++)
        {
            reader.Tell(new Tcp.Received(Akka.IO.ByteString.FromBytes(eight)));
            for (int i = 0; i < 8; i++)
                writer.ExpectMsg<WriterActor.SendPong>().Asked!.Taken(); // what the writer does as it takes one
        }
        reader.Sync();
        Assert.False(parent.HasMessages); // no failure: 24 pings, never more than 8 waiting
    }

    public static TheoryData<string, byte[], ushort> Violations => new()
    {
        { "unmasked client frame", Wire.Frame(Opcode.Text, "hi"u8, masked: false), CloseCodes.ProtocolError },
        { "reserved opcode 0x3", Wire.Frame((Opcode)0x3, "hi"u8, masked: true, key: 0x01020304), CloseCodes.ProtocolError },
        { "reserved opcode 0xB", Wire.Frame((Opcode)0xB, [], masked: true, key: 0x01020304), CloseCodes.ProtocolError },
        { "RSV1 set", Wire.Frame(Opcode.Text, "hi"u8, masked: true, rsv: 0b100, key: 0x01020304), CloseCodes.ProtocolError },
        { "RSV3 set", Wire.Frame(Opcode.Binary, "hi"u8, masked: true, rsv: 0b001, key: 0x01020304), CloseCodes.ProtocolError },
        { "continuation with nothing to continue", Wire.Frame(Opcode.Continuation, "x"u8, masked: true), CloseCodes.ProtocolError },
        { "1-byte close payload", Wire.Frame(Opcode.Close, [3], masked: true), CloseCodes.ProtocolError },
        { "invalid close code 1006 on the wire", Wire.Frame(Opcode.Close, [0x03, 0xEE], masked: true), CloseCodes.ProtocolError },
        { "invalid UTF-8", Wire.Frame(Opcode.Text, [0x68, 0xC0, 0xAF], masked: true), CloseCodes.InvalidPayloadData },
        { "invalid UTF-8 mid-fragment", Wire.Frame(Opcode.Text, [0x68, 0xED, 0xA0, 0x80], masked: true, fin: false), CloseCodes.InvalidPayloadData },
        { "frame over max-frame-size", Wire.Frame(Opcode.Binary, new byte[5000], masked: true), CloseCodes.MessageTooBig },
        { "message over max-message-size", Wire.Concat(Wire.Frame(Opcode.Binary, new byte[3000], masked: true, fin: false), Wire.Frame(Opcode.Continuation, new byte[3000], masked: true)), CloseCodes.MessageTooBig },
    };

    [Theory]
    [MemberData(nameof(Violations))]
    public void Violation_closes_with_the_code_of_the_table(string what, byte[] frames, ushort code)
    {
        var c = new ProbeConnection(this, TestSettings.Create("""
            actorws.limits.max-frame-size = 4 KiB
            actorws.limits.max-message-size = 5 KiB
            """));
        c.Open();
        Watch(c.Connection);
        c.Receive(frames);
        var close = c.ExpectFrame();
        Assert.True(close.Opcode == Opcode.Close, what);
        Assert.Equal(code, close.CloseCode);
        // The peer answers by closing TCP.
        c.Connection.Tell(Tcp.PeerClosed.Instance, c.Tcp.Ref);
        var closed = c.App.ExpectMsg<Closed>();
        Assert.Equal(code, closed.Code);
        Assert.False(closed.WasClean);
        ExpectTerminated(c.Connection);
    }

    [Fact]
    public void Unmasked_client_frame_closes_with_1002()
    {
        var c = new ProbeConnection(this, TestSettings.Create());
        c.Open();
        c.Receive(Wire.Frame(Opcode.Text, "not masked"u8, masked: false));
        var close = c.ExpectFrame();
        Assert.Equal(Opcode.Close, close.Opcode);
        Assert.Equal(CloseCodes.ProtocolError, close.CloseCode);
        // No message reached the application: Closed, sent after anything the reader passed on, is next.
        c.Connection.Tell(Tcp.PeerClosed.Instance, c.Tcp.Ref);
        Assert.Equal(CloseCodes.ProtocolError, Assert.IsType<Closed>(c.App.ExpectMsg<object>()).Code);
    }
}
