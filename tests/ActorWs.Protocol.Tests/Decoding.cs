namespace ActorWs.Protocol.Tests;

/// <summary>The decoder under test driven as a connection drives it, for the tests of the protocol
/// core (the frames they feed it are built with ActorWs.Testing's Wire, independently of the core).</summary>
public static class Decoding
{
    /// <summary>Feeds chunks to a decoder the way a connection would: each chunk until it is used up,
    /// every frame copied out as it comes.</summary>
    public static DecodeResult DecodeAll(FrameDecoder decoder, IEnumerable<ReadOnlyMemory<byte>> chunks)
    {
        var frames = new List<DecodedFrame>();
        foreach (var memory in chunks)
        {
            var chunk = memory.Span;
            int offset = 0;
            do
            {
                var decoded = decoder.Decode(chunk[offset..]);
                Assert.InRange(decoded.Consumed, 0, chunk.Length - offset);
                offset += decoded.Consumed;
                switch (decoded.Status)
                {
                    case ProtocolStatus.Complete:
                        frames.Add(new DecodedFrame(decoded.Value.Header, decoded.Value.Payload.ToArray()));
                        break;
                    case ProtocolStatus.NeedMoreData:
                        Assert.Equal(chunk.Length, offset); // NeedMoreData means all input was taken
                        break;
                    case ProtocolStatus.Violation:
                        Assert.NotNull(decoded.Violation);
                        return new DecodeResult(frames, decoded.Violation);
                }
            } while (offset < chunk.Length);
        }
        return new DecodeResult(frames, null);
    }

    public static DecodeResult DecodeAll(Role role, byte[] stream, long maxFramePayload = 1 << 20) =>
        DecodeAll(new FrameDecoder(role, maxFramePayload), [stream]);

    public static ProtocolViolation DecodeViolation(Role role, byte[] stream, long maxFramePayload = 1 << 20)
    {
        var result = DecodeAll(role, stream, maxFramePayload);
        Assert.NotNull(result.Violation);
        return result.Violation;
    }
}
