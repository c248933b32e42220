using ActorWs.Protocol;

namespace ActorWs.Protocol.Tests;

/// <summary>
/// Random and mutated input into every entry point of the core: no exception may escape, and every
/// outcome is a frame, a message, a need for more bytes, or a violation with a code the RFC allows
/// for it. Runs for ACTORWS_FUZZ_SECONDS (default 10) so CI stays bounded; set it higher to fuzz longer.
/// </summary>
public sealed class FuzzTests
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(
        double.TryParse(Environment.GetEnvironmentVariable("ACTORWS_FUZZ_SECONDS"), out var s) ? s : 10);

    private static readonly ushort[] ViolationCodes = [CloseCodes.ProtocolError, CloseCodes.InvalidPayloadData, CloseCodes.MessageTooBig];

    [Theory]
    [InlineData(Role.Server)]
    [InlineData(Role.Client)]
    public void Mutated_frame_streams_never_throw_and_fail_only_with_a_violation_code(Role role)
    {
        var random = new Random(role == Role.Server ? 1 : 2);
        var deadline = DateTime.UtcNow + Budget / 2;
        long streams = 0, violations = 0, messages = 0;
        while (DateTime.UtcNow < deadline)
        {
            var stream = Mutate(ValidStream(random, masked: role == Role.Server), random);
            using var assembler = new MessageAssembler(1 << 16, 64);
            using var decoder = new FrameDecoder(role, 1 << 16, assembler);
            var input = stream.AsSpan();
            while (true)
            {
                // Random chunk sizes, so split headers and payloads are fuzzed too.
                var chunk = input[..Math.Min(input.Length, random.Next(1, 200))];
                var status = decoder.Decode(chunk, out int consumed, out var frame);
                input = input[consumed..];
                if (status == DecodeStatus.Violation)
                {
                    Assert.Contains(decoder.Violation!.CloseCode, ViolationCodes);
                    violations++;
                    break;
                }
                if (status == DecodeStatus.Frame)
                {
                    if (frame.Opcode.IsControl())
                    {
                        if (frame.Opcode == Opcode.Close && !CloseStatus.TryParse(frame.Payload, out _, out var bad))
                            Assert.Contains(bad!.CloseCode, ViolationCodes);
                        continue;
                    }
                    var result = assembler.Add(frame.Header, frame.Payload, out _, out var invalid);
                    if (result == AssembleStatus.Violation)
                    {
                        Assert.Contains(invalid!.CloseCode, ViolationCodes);
                        violations++;
                        break;
                    }
                    if (result == AssembleStatus.Message)
                        messages++;
                    continue;
                }
                if (input.IsEmpty)
                    break;
            }
            decoder.ReleaseBuffers();
            streams++;
        }
        Assert.True(streams > 100, $"only {streams} streams fuzzed");
        Assert.True(violations > 0 && messages > 0, $"fuzzing reached both outcomes ({violations} violations, {messages} messages)");
    }

    [Fact]
    public void Random_heads_and_close_payloads_never_throw()
    {
        var random = new Random(3);
        var valid = "GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"u8.ToArray();
        var client = ClientHandshake.Create(new Uri("ws://a/chat"));
        var deadline = DateTime.UtcNow + Budget / 2;
        int accepted = 0, rejected = 0;
        while (DateTime.UtcNow < deadline)
        {
            var bytes = random.Next(4) == 0 ? RandomBytes(random, random.Next(0, 300)) : Mutate(valid, random);
            using var reader = new HttpHeadReader(512);
            if (reader.Feed(bytes, out _) == HeadStatus.Complete)
            {
                if (ServerHandshake.TryAccept(reader.Head, new ServerHandshakePolicy(), out _, out var rejection))
                    accepted++;
                else
                {
                    Assert.InRange(rejection!.StatusCode, 400, 599);
                    rejected++;
                }
                client.Validate(reader.Head);
            }
            var close = RandomBytes(random, random.Next(0, 126));
            if (!CloseStatus.TryParse(close, out _, out var violation))
                Assert.Contains(violation!.CloseCode, ViolationCodes);
        }
        Assert.True(accepted > 0 && rejected > 0, $"{accepted} accepted, {rejected} rejected");
    }

    /// <summary>A few valid frames: fragments, controls, text (valid UTF-8), binary, any length encoding.</summary>
    internal static byte[] ValidStream(Random random, bool masked)
    {
        var output = new List<byte>();
        int count = random.Next(1, 6);
        for (int i = 0; i < count; i++)
        {
            var opcode = random.Next(5) switch { 0 => Opcode.Ping, 1 => Opcode.Pong, 2 => Opcode.Text, _ => Opcode.Binary };
            int length = opcode.IsControl() ? random.Next(0, 126) : random.Next(3) switch { 0 => random.Next(0, 126), 1 => random.Next(126, 1000), _ => random.Next(65536, 70000) };
            var payload = opcode == Opcode.Text ? System.Text.Encoding.UTF8.GetBytes(new string('é', length / 2)) : RandomBytes(random, length);
            if (!opcode.IsControl() && random.Next(3) == 0 && payload.Length > 2)
            {
                int cut = random.Next(1, payload.Length);
                output.AddRange(FrameEncoder.Encode(opcode, payload.AsSpan(0, cut), fin: false, masked));
                output.AddRange(FrameEncoder.Encode(Opcode.Continuation, payload.AsSpan(cut), fin: true, masked));
            }
            else
            {
                output.AddRange(FrameEncoder.Encode(opcode, payload, fin: true, masked));
            }
        }
        if (random.Next(4) == 0)
            output.AddRange(FrameEncoder.Encode(Opcode.Close, new CloseStatus(1000, "bye").ToPayload(), masked: masked));
        return output.ToArray();
    }

    /// <summary>Flipped bits, truncation, duplication and concatenation, as a mutation fuzzer does.</summary>
    internal static byte[] Mutate(byte[] input, Random random)
    {
        var bytes = input.ToList();
        int mutations = random.Next(0, 4);
        for (int m = 0; m < mutations && bytes.Count > 0; m++)
        {
            switch (random.Next(4))
            {
                case 0:
                    int i = random.Next(Math.Min(bytes.Count, 32)); // headers live at the front
                    bytes[i] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    bytes.RemoveRange(random.Next(bytes.Count), 1);
                    break;
                case 2:
                    bytes = bytes.Take(random.Next(bytes.Count)).ToList();
                    break;
                default:
                    bytes.AddRange(bytes.Take(random.Next(bytes.Count)));
                    break;
            }
        }
        return bytes.ToArray();
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }
}
