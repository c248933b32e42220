using System.IO.Compression;
using System.Text;

namespace ActorWs.Protocol.Tests;

/// <summary>
/// <see cref="MessageRouter"/>: streamed messages with permessage-deflate. A compressed message
/// (RSV1 on its first frame, RFC 7692 §6) arrives whole, inflated; an uncompressed one over the
/// part size arrives in parts, as with no extension; control frames between fragments change
/// neither (§5.4); continuations carry RSV1 = 0 (§6.1). The stream is decoded in place, as the
/// reader does, cut at every byte.
/// </summary>
public class MessageRouterTests
{
    private const int PartSize = 16;
    private static readonly byte[] Tail = [0x00, 0x00, 0xff, 0xff];

    private sealed record Event(string Kind, MessageType Type, byte[] Payload, bool IsLast = true)
    {
        public override string ToString() => $"{Kind} {Type} {Payload.Length} {IsLast}";
    }

    private sealed class Sink : IStreamedMessageSink
    {
        public List<Event> Out { get; } = [];
        public void Message(MessageType type, ReadOnlyMemory<byte> payload) => Out.Add(new("message", type, payload.ToArray()));
        public void Part(MessageType type, ReadOnlyMemory<byte> payload, bool isLast) => Out.Add(new("part", type, payload.ToArray(), isLast));
    }

    /// <summary>A reference compressor (§7.2.1): one raw DEFLATE stream for every message (context
    /// takeover), sync flush, the 4-byte tail removed. Not the code under test.</summary>
    private sealed class ReferenceSender
    {
        private readonly MemoryStream _output = new();
        private readonly DeflateStream _deflate;

        public ReferenceSender() => _deflate = new DeflateStream(_output, CompressionLevel.Optimal, leaveOpen: true);

        public byte[] Compress(byte[] message)
        {
            _output.SetLength(0);
            _deflate.Write(message);
            _deflate.Flush();
            var bytes = _output.ToArray();
            Assert.Equal(Tail, bytes[^4..]);
            return bytes[..^4];
        }
    }

    private static byte[] Json(int bytes, int seed)
    {
        var random = new Random(seed);
        var sb = new StringBuilder("[");
        while (sb.Length < bytes)
            sb.Append($"{{\"id\":{random.Next(100000)},\"name\":\"usér{random.Next(100)}\"}},");
        return Encoding.UTF8.GetBytes(sb.Append("{}]").ToString());
    }

    private static (MessageStreamer, MessageAssembler, MessageRouter) Router(long maxMessageSize = 1 << 20)
    {
        var streamer = new MessageStreamer(maxMessageSize, 100, PartSize);
        var assembler = new MessageAssembler(maxMessageSize, 100, new MessageInflater(contextTakeover: true));
        return (streamer, assembler, new MessageRouter(streamer, assembler));
    }

    /// <summary>
    /// The conversation: a compressed text message of one frame, a ping, an uncompressed binary
    /// message over the part size in two fragments with a pong between, a compressed binary
    /// message in three fragments (RSV1 on the first only) with a ping between, an uncompressed
    /// text within the part size, an uncompressed text over it. Frames masked for a server to read.
    /// </summary>
    private static (byte[] Stream, List<Event> Expected) Conversation(Role reader)
    {
        bool masked = reader == Role.Server;
        var sender = new ReferenceSender();
        var text = Json(600, seed: 1);
        var compressedText = sender.Compress(text);
        var binary = Enumerable.Range(0, 70).Select(i => (byte)i).ToArray();
        var json = Json(900, seed: 2);
        var compressedBinary = sender.Compress(json);
        var small = Encoding.UTF8.GetBytes("héllo");
        var large = Encoding.UTF8.GetBytes("ünïcødé text of more than sixteen bytes €😀");
        // The compressed frames are over the part size, so a decoder that cut them in pieces would
        // hand pieces to the assembler (which the router refuses to take).
        Assert.True(compressedText.Length > PartSize && compressedBinary.Length / 3 > PartSize);
        int third = compressedBinary.Length / 3;

        var stream = Wire.Concat(
            Wire.Frame(Opcode.Text, compressedText, masked, rsv: PerMessageDeflate.Rsv1),
            Wire.Frame(Opcode.Ping, [1, 2], masked),
            Wire.Frame(Opcode.Binary, binary[..30], masked, fin: false),
            Wire.Frame(Opcode.Pong, [3], masked),
            Wire.Frame(Opcode.Continuation, binary[30..], masked),
            Wire.Frame(Opcode.Binary, compressedBinary[..third], masked, fin: false, rsv: PerMessageDeflate.Rsv1),
            Wire.Frame(Opcode.Continuation, compressedBinary[third..(2 * third)], masked, fin: false),
            Wire.Frame(Opcode.Ping, [], masked),
            Wire.Frame(Opcode.Continuation, compressedBinary[(2 * third)..], masked),
            Wire.Frame(Opcode.Text, small, masked),
            Wire.Frame(Opcode.Text, large, masked));
        var expected = new List<Event>
        {
            new("message", MessageType.Text, text),
            new("ping", MessageType.Binary, [1, 2]),
            new("pong", MessageType.Binary, [3]), // a streamed message is recorded at its last part
            new("parts", MessageType.Binary, binary),
            new("ping", MessageType.Binary, []),
            new("message", MessageType.Binary, json),
            new("message", MessageType.Text, small),
            new("parts", MessageType.Text, large),
        };
        return (stream, expected);
    }

    /// <summary>Decodes copies of <paramref name="stream"/> cut at <paramref name="cuts"/> in place,
    /// routes data frames, and gives what came out with each message's parts joined (checked: at
    /// most the part size, text parts UTF-8 on their own, the last one marked).</summary>
    private static (List<Event> Events, ProtocolViolation? Violation) Receive(Role role, byte[] stream, IEnumerable<int> cuts, long maxMessageSize = 1 << 20)
    {
        var (_, assembler, router) = Router(maxMessageSize);
        using var decoder = new FrameDecoder(role, 1 << 20, router, PerMessageDeflate.Rsv1);
        var sink = new Sink();
        var events = new List<Event>();
        List<byte> joining = [];
        int start = 0;
        foreach (int end in cuts.Append(stream.Length))
        {
            var input = stream[start..end];
            start = end;
            int at = 0;
            while (at < input.Length)
            {
                var result = decoder.DecodeInPlace(input.AsSpan(at), PartSize);
                at += result.Consumed;
                if (result.Violation is { } violation)
                    return (events, violation);
                if (result.Status == ProtocolStatus.NeedMoreData)
                    break;
                var frame = result.Value;
                if (frame.Opcode.IsControl())
                {
                    events.Add(new(frame.Opcode == Opcode.Ping ? "ping" : "pong", MessageType.Binary, frame.Payload.ToArray()));
                    continue;
                }
                if (router.Add(frame.Header, frame.Payload.ToArray(), decoder.PieceOffset, decoder.PieceEndsFrame, sink) is { } refused)
                    return (events, refused);
                foreach (var e in sink.Out)
                {
                    if (e.Kind == "message")
                    {
                        Assert.Empty(joining);
                        events.Add(e);
                        continue;
                    }
                    Assert.InRange(e.Payload.Length, 0, PartSize);
                    if (e.Type == MessageType.Text)
                        Assert.True(Utf8Validator.IsValid(e.Payload), "a text part is not UTF-8 on its own");
                    joining.AddRange(e.Payload);
                    if (e.IsLast)
                    {
                        events.Add(new("parts", e.Type, [.. joining]));
                        joining.Clear();
                    }
                }
                sink.Out.Clear();
            }
            decoder.ReleaseBuffers();
            assembler.ReleaseBuffers();
        }
        Assert.Empty(joining);
        assembler.Dispose();
        return (events, null);
    }

    private static void AssertSame(List<Event> expected, List<Event> actual, string context)
    {
        Assert.True(expected.Count == actual.Count, $"{context}: {string.Join(", ", actual)}");
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.True(expected[i].Kind == actual[i].Kind && expected[i].Type == actual[i].Type, $"{context}: event {i} is {actual[i]}, not {expected[i]}");
            Assert.True(expected[i].Payload.AsSpan().SequenceEqual(actual[i].Payload), $"{context}: event {i}'s payload differs");
        }
    }

    [Theory]
    [InlineData(Role.Server)]
    [InlineData(Role.Client)]
    public void Compressed_messages_arrive_whole_and_uncompressed_large_ones_in_parts_at_every_split(Role role)
    {
        var (stream, expected) = Conversation(role);
        AssertSame(expected, Receive(role, stream, []).Events, "whole");
        for (int cut = 1; cut < stream.Length; cut++)
        {
            var (events, violation) = Receive(role, stream, [cut]);
            Assert.Null(violation);
            AssertSame(expected, events, $"cut at {cut}");
        }
    }

    [Theory]
    [InlineData(Role.Server)]
    [InlineData(Role.Client)]
    public void Same_messages_one_byte_at_a_time_and_at_random_cuts(Role role)
    {
        var (stream, expected) = Conversation(role);
        AssertSame(expected, Receive(role, stream, Enumerable.Range(1, stream.Length - 1)).Events, "one byte at a time");
        var random = new Random(6455);
        for (int round = 0; round < 200; round++)
        {
            var cuts = Enumerable.Range(0, 6).Select(_ => random.Next(1, stream.Length)).Distinct().Order().ToArray();
            AssertSame(expected, Receive(role, stream, cuts).Events, $"cuts {string.Join(",", cuts)}");
        }
    }

    [Fact]
    public void A_compressed_message_is_bounded_by_the_message_size_limit_on_its_inflated_bytes()
    {
        // 4000 zeros compress to a few bytes; the limit of 1000 is on what they inflate to (§10.4,
        // RFC 7692 §8.1), while an uncompressed message as large would stream within it.
        var compressed = new ReferenceSender().Compress(new byte[4000]);
        var stream = Wire.Frame(Opcode.Binary, compressed, masked: true, rsv: PerMessageDeflate.Rsv1);
        var (_, violation) = Receive(Role.Server, stream, [], maxMessageSize: 1000);
        Assert.Equal(ViolationKind.MessageTooBig, violation?.Kind);

        var (events, none) = Receive(Role.Server, Wire.Frame(Opcode.Binary, new byte[1000], masked: true), [], maxMessageSize: 1000);
        Assert.Null(none);
        Assert.Equal("parts", Assert.Single(events).Kind);
    }

    public static TheoryData<string, byte[], ViolationKind> Misplaced => new()
    {
        {
            "RSV1 on the continuation of an uncompressed message (RFC 7692 §6.1)",
            Wire.Concat(Wire.Frame(Opcode.Binary, new byte[40], masked: true, fin: false),
                Wire.Frame(Opcode.Continuation, new byte[40], masked: true, rsv: PerMessageDeflate.Rsv1)),
            ViolationKind.MisplacedCompressionBit
        },
        {
            "RSV1 on the continuation of a compressed message (RFC 7692 §6.1)",
            Wire.Concat(Wire.Frame(Opcode.Binary, new ReferenceSender().Compress(new byte[100]), masked: true, fin: false, rsv: PerMessageDeflate.Rsv1),
                Wire.Frame(Opcode.Continuation, [0], masked: true, rsv: PerMessageDeflate.Rsv1)),
            ViolationKind.MisplacedCompressionBit
        },
        {
            "RSV1 on a ping (RFC 7692 §6.1)",
            Wire.Frame(Opcode.Ping, [], masked: true, rsv: PerMessageDeflate.Rsv1),
            ViolationKind.MisplacedCompressionBit
        },
        {
            "a compressed message inside a streamed one (§5.4)",
            Wire.Concat(Wire.Frame(Opcode.Binary, new byte[40], masked: true, fin: false),
                Wire.Frame(Opcode.Text, new ReferenceSender().Compress([65]), masked: true, rsv: PerMessageDeflate.Rsv1)),
            ViolationKind.DataFrameInsideMessage
        },
        {
            "an uncompressed message inside a compressed one (§5.4)",
            Wire.Concat(Wire.Frame(Opcode.Binary, new ReferenceSender().Compress(new byte[100]), masked: true, fin: false, rsv: PerMessageDeflate.Rsv1),
                Wire.Frame(Opcode.Text, [65], masked: true)),
            ViolationKind.DataFrameInsideMessage
        },
        {
            "a continuation after a compressed message ended (§5.4)",
            Wire.Concat(Wire.Frame(Opcode.Binary, new ReferenceSender().Compress(new byte[100]), masked: true, rsv: PerMessageDeflate.Rsv1),
                Wire.Frame(Opcode.Continuation, [65], masked: true)),
            ViolationKind.UnexpectedContinuation
        },
    };

    [Theory]
    [MemberData(nameof(Misplaced))]
    public void Frames_out_of_place_fail_whichever_way_the_message_went(string what, byte[] stream, ViolationKind kind)
    {
        var (_, violation) = Receive(Role.Server, stream, []);
        Assert.True(violation?.Kind == kind, $"{what}: {violation?.Kind.ToString() ?? "accepted"}");
    }
}
