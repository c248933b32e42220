namespace ActorWs.Protocol.Tests;

/// <summary>What a decoder made of a stream: the frames, in order, and the violation it stopped at, if any.</summary>
public sealed record DecodeResult(List<DecodedFrame> Frames, ProtocolViolation? Violation);
