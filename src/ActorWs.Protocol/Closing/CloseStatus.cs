using System.Buffers.Binary;
using System.Text;

namespace ActorWs.Protocol;

/// <summary>
/// The body of a close frame (RFC 6455 §5.5.1): an optional 2-byte status code in network order,
/// then an optional UTF-8 reason. Control frame payloads are at most 125 bytes (§5.5), which leaves
/// 123 bytes for the reason.
/// </summary>
public readonly record struct CloseStatus(ushort Code, string Reason)
{
    /// <summary>A close frame's body is at most 125 bytes (§5.5): 2 for the code, 123 for the reason.</summary>
    public const int MaxReasonBytes = 123;

    /// <summary>What a close frame with an empty body means locally (§7.1.5).</summary>
    public static readonly CloseStatus NoStatus = new(CloseCodes.NoStatusReceived, "");

    /// <summary>1000 with an optional reason.</summary>
    public static CloseStatus Normal(string reason = "") => new(CloseCodes.NormalClosure, reason);

    /// <summary>Parses a received close payload. Never throws: bad input is a violation.</summary>
    public static ProtocolResult<CloseStatus> Parse(ReadOnlySpan<byte> payload)
    {
        if (payload.Length == 0)
            return ProtocolResult<CloseStatus>.Complete(NoStatus);
        if (payload.Length == 1)
            return Fail(ViolationKind.OneByteClosePayload, "close frame with a 1-byte payload (§5.5.1)");
        if (payload.Length > 125)
            return Fail(ViolationKind.ClosePayloadTooLong, "close payload over 125 bytes (§5.5)");
        ushort code = BinaryPrimitives.ReadUInt16BigEndian(payload);
        if (!CloseCodes.IsValidOnWire(code))
            return Fail(ViolationKind.InvalidCloseCode, $"invalid close code {code} on the wire (§7.4)");
        var reasonBytes = payload[2..];
        if (!Utf8Validator.IsValid(reasonBytes))
            return Fail(ViolationKind.InvalidUtf8CloseReason, "close reason is not valid UTF-8 (§5.5.1, §8.1)");
        return ProtocolResult<CloseStatus>.Complete(new CloseStatus(code, Encoding.UTF8.GetString(reasonBytes)));
    }

    private static ProtocolResult<CloseStatus> Fail(ViolationKind kind, string reason) => ProtocolResult<CloseStatus>.Fail(kind, reason);

    /// <summary>Whether this status can be sent: a code valid on the wire and a reason of at most
    /// 123 UTF-8 bytes. 1005, 1006 and 1015 are for local reporting only (§7.4.1).</summary>
    public bool CanSend(out string? why)
    {
        why = null;
        if (!CloseCodes.IsValidOnWire(Code))
            why = $"close code {Code} may not be sent (RFC 6455 §7.4)";
        else if (!TryCountUtf8(Reason, out int bytes))
            why = "close reason is not valid UTF-16 (a lone surrogate), so it has no UTF-8 form (RFC 6455 §5.5.1)";
        else if (bytes > MaxReasonBytes)
            why = $"close reason is over {MaxReasonBytes} UTF-8 bytes (RFC 6455 §5.5)";
        return why is null;
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static bool TryCountUtf8(string text, out int bytes)
    {
        try
        {
            bytes = StrictUtf8.GetByteCount(text);
            return true;
        }
        catch (EncoderFallbackException)
        {
            bytes = 0;
            return false;
        }
    }

    /// <summary>The close frame body for this status. Throws for a status that <see cref="CanSend"/> rejects:
    /// that is a programming error of the caller, not bad input from the network.</summary>
    public byte[] ToPayload()
    {
        if (!CanSend(out var why))
            throw new ArgumentException(why);
        var payload = new byte[2 + Encoding.UTF8.GetByteCount(Reason)];
        BinaryPrimitives.WriteUInt16BigEndian(payload, Code);
        Encoding.UTF8.GetBytes(Reason, payload.AsSpan(2));
        return payload;
    }

    /// <summary>This status with its reason cut, at a code point, to the 123 UTF-8 bytes a close frame
    /// holds (§5.5): for reasons an endpoint writes itself, such as a violation's, whose length it does
    /// not control.</summary>
    public CloseStatus WithReasonThatFits()
    {
        if (Encoding.UTF8.GetByteCount(Reason) <= MaxReasonBytes)
            return this;
        int bytes = 0, chars = 0;
        foreach (var rune in Reason.EnumerateRunes())
        {
            if (bytes + rune.Utf8SequenceLength > MaxReasonBytes)
                break;
            bytes += rune.Utf8SequenceLength;
            chars += rune.Utf16SequenceLength;
        }
        return this with { Reason = Reason[..chars] };
    }

    /// <summary>The code and, if any, the quoted reason.</summary>
    public override string ToString() => Reason.Length == 0 ? $"{Code}" : $"{Code} '{Reason}'";
}
