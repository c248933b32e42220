namespace ActorWs.Protocol.Tests;

/// <summary>A decoded frame copied out of the decoder (whose payload span is only valid until its next call).</summary>
public sealed record DecodedFrame(FrameHeader Header, byte[] Payload)
{
    public bool Matches(in FrameHeader header, ReadOnlySpan<byte> payload) => Header == header && payload.SequenceEqual(Payload);

    public override string ToString() => $"{Header} key={Header.MaskKey:X8}";
}
