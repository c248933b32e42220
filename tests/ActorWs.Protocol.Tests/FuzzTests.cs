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
            var stream = FuzzStreams.Mutate(FuzzStreams.Valid(random, masked: role == Role.Server), random);
            using var assembler = new MessageAssembler(1 << 16, 64);
            using var decoder = new FrameDecoder(role, 1 << 16, assembler);
            var input = stream.AsSpan();
            while (true)
            {
                // Random chunk sizes, so split headers and payloads are fuzzed too.
                var chunk = input[..Math.Min(input.Length, random.Next(1, 200))];
                var decoded = decoder.Decode(chunk);
                input = input[decoded.Consumed..];
                if (decoded.Violation is { } violation)
                {
                    Assert.Contains(violation.CloseCode, ViolationCodes);
                    violations++;
                    break;
                }
                if (decoded.IsComplete)
                {
                    var frame = decoded.Value;
                    if (frame.Opcode.IsControl())
                    {
                        if (frame.Opcode == Opcode.Close && CloseStatus.Parse(frame.Payload).Violation is { } bad)
                            Assert.Contains(bad.CloseCode, ViolationCodes);
                        continue;
                    }
                    var assembled = assembler.Add(frame.Header, frame.Payload);
                    if (assembled.Violation is { } invalid)
                    {
                        Assert.Contains(invalid.CloseCode, ViolationCodes);
                        violations++;
                        break;
                    }
                    if (assembled.IsComplete)
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
            var bytes = random.Next(4) == 0 ? Wire.RandomBytes(random, random.Next(0, 300)) : FuzzStreams.Mutate(valid, random);
            using var reader = new HttpHeadReader(512, HttpHeadKind.Request);
            if (reader.Feed(bytes).IsComplete)
            {
                var accept = ServerHandshake.Accept(reader.Head, new ServerHandshakePolicy());
                if (accept.IsComplete)
                    accepted++;
                else
                {
                    Assert.InRange(new HandshakeRejection(accept.Violation!).StatusCode, 400, 599);
                    rejected++;
                }
                client.Validate(reader.Head);
            }
            var close = Wire.RandomBytes(random, random.Next(0, 126));
            if (CloseStatus.Parse(close).Violation is { } violation)
                Assert.Contains(violation.CloseCode, ViolationCodes);
        }
        Assert.True(accepted > 0 && rejected > 0, $"{accepted} accepted, {rejected} rejected");
    }
}
