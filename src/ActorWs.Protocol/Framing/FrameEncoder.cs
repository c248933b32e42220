namespace ActorWs.Protocol;

/// <summary>
/// Builds frames for sending (RFC 6455 §5.2). A client masks every frame with a fresh key (§5.3);
/// a server never masks (§5.1).
/// </summary>
public static class FrameEncoder
{
    /// <summary>The size of a whole frame carrying <paramref name="payloadLength"/> bytes.</summary>
    public static int FrameLength(int payloadLength, bool masked) =>
        new FrameHeader(true, 0, Opcode.Binary, masked, payloadLength).EncodedLength + payloadLength;

    /// <summary>Writes one frame into <paramref name="destination"/> (which must hold
    /// <see cref="FrameLength"/> bytes) and returns its length. With <paramref name="masked"/> the
    /// payload is masked with a new key from <see cref="Masking.NewKey"/>.</summary>
    public static int Write(Span<byte> destination, Opcode opcode, ReadOnlySpan<byte> payload, bool fin = true, bool masked = false)
        => Write(destination, new FrameHeader(fin, 0, opcode, masked, payload.Length, masked ? Masking.NewKey() : 0), payload);

    /// <summary>Writes a frame with exactly this header (a test or a fuzzer may want odd ones).</summary>
    internal static int Write(Span<byte> destination, in FrameHeader header, ReadOnlySpan<byte> payload)
    {
        if (header.PayloadLength != payload.Length)
            throw new ArgumentException("header length does not match the payload", nameof(payload));
        if (header.Opcode.IsControl() && (payload.Length > FrameHeader.MaxControlPayload || !header.Fin))
            throw new ArgumentException("control frames carry at most 125 bytes and are never fragmented (RFC 6455 §5.5)");
        int offset = header.WriteTo(destination);
        var body = destination.Slice(offset, payload.Length);
        if (header.Masked)
            Masking.Apply(payload, body, header.MaskKey);
        else
            payload.CopyTo(body);
        return offset + payload.Length;
    }

    /// <summary>One whole frame as a new array: header, then payload (masked with a fresh key when <paramref name="masked"/>, §5.3).</summary>
    public static byte[] Encode(Opcode opcode, ReadOnlySpan<byte> payload, bool fin = true, bool masked = false)
    {
        var frame = new byte[FrameLength(payload.Length, masked)];
        Write(frame, opcode, payload, fin, masked);
        return frame;
    }

    /// <summary>A frame with exactly this header, for tests.</summary>
    internal static byte[] Encode(in FrameHeader header, ReadOnlySpan<byte> payload)
    {
        var frame = new byte[header.EncodedLength + payload.Length];
        Write(frame, header, payload);
        return frame;
    }
}
