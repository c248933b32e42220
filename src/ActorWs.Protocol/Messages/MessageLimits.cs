namespace ActorWs.Protocol;

/// <summary>
/// The limits a receiver puts on a message (§10.4: "implementations SHOULD impose a limit on frame
/// sizes and the total message size after reassembly from multiple frames"), checked from each data
/// frame's header before its payload is taken, so nothing past them is ever buffered. Shared by the
/// <see cref="MessageAssembler"/> and the <see cref="MessageStreamer"/>, which take a message whole
/// or in parts but refuse the same ones.
/// </summary>
internal readonly record struct MessageLimits(long MaxMessageSize, int MaxFragments)
{
    /// <summary>The violation that admitting <paramref name="header"/> would commit, or null.
    /// <paramref name="length"/> and <paramref name="fragments"/> are the message's so far (0 when
    /// the frame starts one); <paramref name="checkSize"/> is false for a compressed message, whose
    /// size is its inflated size, checked while it is inflated.</summary>
    public ProtocolViolation? Check(in FrameHeader header, bool inMessage, long length, int fragments, bool checkSize = true)
    {
        long total = (inMessage ? length : 0) + header.PayloadLength;
        if (checkSize && total > MaxMessageSize)
            return new(ViolationKind.MessageTooBig, $"message of at least {total} bytes is over the limit of {MaxMessageSize} (§10.4)");
        // Many tiny fragments are a denial of service of their own; an unfragmented message is one.
        if ((!header.Fin || inMessage) && (inMessage ? fragments : 0) + 1 > MaxFragments)
            return new(ViolationKind.TooManyFragments, $"message in more than {MaxFragments} fragments (§10.4)");
        return null;
    }
}
