using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace ActorWs.Protocol;

/// <summary>
/// The fixed part of a frame, RFC 6455 §5.2:
/// <code>
///  0                   1                   2                   3
/// |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
/// |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
/// |N|V|V|V|       |S|             |   (if payload len==126/127)   |
/// |  Masking-key (if MASK set), 4 bytes ...                       |
/// </code>
/// </summary>
/// <param name="Fin">The final fragment of its message (§5.4).</param>
/// <param name="Rsv">The three RSV bits as 0bRRR (RSV1 is 0b100).</param>
/// <param name="Opcode">What the payload is (§5.2, §11.8).</param>
/// <param name="Masked">Whether a masking key follows (a client's frames always, a server's never, §5.1).</param>
/// <param name="PayloadLength">The payload's length in bytes.</param>
/// <param name="MaskKey">The masking key in the form <see cref="Masking"/> uses; 0 when not masked.</param>
public readonly record struct FrameHeader(bool Fin, byte Rsv, Opcode Opcode, bool Masked, long PayloadLength, uint MaskKey = 0)
{
    /// <summary>2 fixed bytes + 8 bytes of 64-bit length + 4 bytes of key.</summary>
    public const int MaxEncodedLength = 14;

    /// <summary>Largest payload of a control frame (§5.5).</summary>
    public const int MaxControlPayload = 125;

    /// <summary>How many bytes <see cref="WriteTo"/> produces.</summary>
    public int EncodedLength => 2 + ExtendedLengthBytes(PayloadLength) + (Masked ? 4 : 0);

    /// <summary>The length of a whole frame with this header.</summary>
    public long FrameLength => EncodedLength + PayloadLength;

    /// <summary>Length is encoded in the fewest bytes (§5.2): 7 bits up to 125, then 16 bits, then 64.</summary>
    private static int ExtendedLengthBytes(long length) => length <= 125 ? 0 : length <= ushort.MaxValue ? 2 : 8;

    /// <summary>Writes the header into <paramref name="destination"/> and returns the byte count.</summary>
    public int WriteTo(Span<byte> destination)
    {
        if (PayloadLength < 0)
            throw new InvalidOperationException("negative payload length");
        destination[0] = (byte)((Fin ? 0x80 : 0) | ((Rsv & 0x7) << 4) | ((byte)Opcode & 0x0F));
        byte maskBit = Masked ? (byte)0x80 : (byte)0;
        int offset;
        switch (ExtendedLengthBytes(PayloadLength))
        {
            case 0:
                destination[1] = (byte)(maskBit | PayloadLength);
                offset = 2;
                break;
            case 2:
                destination[1] = (byte)(maskBit | 126);
                BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)PayloadLength);
                offset = 4;
                break;
            default:
                destination[1] = (byte)(maskBit | 127);
                BinaryPrimitives.WriteUInt64BigEndian(destination[2..], (ulong)PayloadLength);
                offset = 10;
                break;
        }
        if (Masked)
        {
            Masking.WriteKey(MaskKey, destination[offset..]);
            offset += 4;
        }
        return offset;
    }

    /// <summary>How many header bytes a frame needs, known once its first two bytes are in (§5.2).</summary>
    internal static int RequiredLength(byte first, byte second)
    {
        int length = (second & 0x7F) switch { 126 => 4, 127 => 10, _ => 2 };
        return (second & 0x80) != 0 ? length + 4 : length;
    }

    /// <summary>
    /// Reads and checks a header for a receiver in <paramref name="role"/>. NeedMoreData, nothing
    /// consumed, until the whole header is in <paramref name="source"/>; once complete,
    /// <see cref="ProtocolResult{T}.Consumed"/> is the header's length.
    /// </summary>
    /// <param name="source">The bytes from the start of the frame.</param>
    /// <param name="role">Our role, which decides the mask bit required (§5.1).</param>
    /// <param name="maxPayload">The largest payload accepted (§10.4).</param>
    public static ProtocolResult<FrameHeader> Read(ReadOnlySpan<byte> source, Role role, long maxPayload) =>
        Read(source, role, maxPayload, allowedRsv: 0);

    /// <param name="source">The bytes from the start of the frame.</param>
    /// <param name="role">Our role (§5.1).</param>
    /// <param name="maxPayload">The largest payload accepted (§10.4).</param>
    /// <param name="allowedRsv">RSV bits that a negotiated extension defines; none without one (§5.2).</param>
    internal static ProtocolResult<FrameHeader> Read(ReadOnlySpan<byte> source, Role role, long maxPayload, byte allowedRsv)
    {
        if (source.Length < 2)
            return ProtocolResult<FrameHeader>.NeedMoreData();
        int required = RequiredLength(source[0], source[1]);
        if (source.Length < required)
            return ProtocolResult<FrameHeader>.NeedMoreData();

        bool fin = (source[0] & 0x80) != 0;
        byte rsv = (byte)((source[0] >> 4) & 0x7);
        var opcode = (Opcode)(source[0] & 0x0F);
        bool masked = (source[1] & 0x80) != 0;
        int length7 = source[1] & 0x7F;
        long length;
        int offset;
        switch (length7)
        {
            case 126:
                length = BinaryPrimitives.ReadUInt16BigEndian(source[2..]);
                offset = 4;
                if (length <= 125)
                    return Refuse(ViolationKind.NonMinimalLength, opcode, rsv, length, maxPayload);
                break;
            case 127:
                ulong length64 = BinaryPrimitives.ReadUInt64BigEndian(source[2..]);
                offset = 10;
                if ((length64 & 0x8000_0000_0000_0000UL) != 0)
                    return Refuse(ViolationKind.LengthMostSignificantBitSet, opcode, rsv, length: 0, maxPayload);
                length = (long)length64;
                if (length <= ushort.MaxValue)
                    return Refuse(ViolationKind.NonMinimalLength, opcode, rsv, length, maxPayload);
                break;
            default:
                length = length7;
                offset = 2;
                break;
        }

        if ((rsv & ~allowedRsv) != 0)
            return Refuse(ViolationKind.ReservedBitsSet, opcode, rsv, length, maxPayload);
        if (!opcode.IsDefined())
            return Refuse(ViolationKind.ReservedOpcode, opcode, rsv, length, maxPayload);
        if (opcode.IsControl())
        {
            if (!fin)
                return Refuse(ViolationKind.FragmentedControlFrame, opcode, rsv, length, maxPayload);
            if (length > MaxControlPayload)
                return Refuse(ViolationKind.ControlPayloadTooLong, opcode, rsv, length, maxPayload);
        }
        if (role == Role.Server && !masked)
            return Refuse(ViolationKind.UnmaskedClientFrame, opcode, rsv, length, maxPayload);
        if (role == Role.Client && masked)
            return Refuse(ViolationKind.MaskedServerFrame, opcode, rsv, length, maxPayload);
        if (length > maxPayload)
            return Refuse(ViolationKind.FrameTooBig, opcode, rsv, length, maxPayload);

        uint key = 0;
        if (masked)
        {
            key = Masking.ReadKey(source[offset..]);
            offset += 4;
        }
        return ProtocolResult<FrameHeader>.Complete(new FrameHeader(fin, rsv, opcode, masked, length, key), offset);
    }

    /// <summary>The violation with its reason for the log. Out of line: formatting a reason is for the
    /// rare bad frame, and inlined it would cost every good one stack space to clear.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ProtocolResult<FrameHeader> Refuse(ViolationKind kind, Opcode opcode, byte rsv, long length, long maxPayload)
    {
        string reason = kind switch
        {
            ViolationKind.NonMinimalLength => "payload length not encoded in the fewest bytes (§5.2)",
            ViolationKind.LengthMostSignificantBitSet => "64-bit payload length with its most significant bit set (§5.2)",
            ViolationKind.ReservedBitsSet => $"RSV bits 0b{Convert.ToString(rsv, 2).PadLeft(3, '0')} set with no extension negotiated (§5.2)",
            ViolationKind.ReservedOpcode => $"reserved opcode 0x{(byte)opcode:X} (§5.2)",
            ViolationKind.FragmentedControlFrame => $"fragmented {opcode.Name()} control frame (§5.5)",
            ViolationKind.ControlPayloadTooLong => $"{opcode.Name()} control frame with a {length}-byte payload, over 125 (§5.5)",
            ViolationKind.UnmaskedClientFrame => "unmasked frame from a client (§5.1)",
            ViolationKind.MaskedServerFrame => "masked frame from a server (§5.1)",
            ViolationKind.FrameTooBig => $"frame of {length} bytes is over the limit of {maxPayload} (§10.4)",
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a frame header rule"),
        };
        return ProtocolResult<FrameHeader>.Fail(kind, reason);
    }

    /// <summary>The header's fields as the logs show them.</summary>
    public override string ToString() =>
        $"opcode={Opcode.Name()} fin={(Fin ? 1 : 0)} rsv={Rsv} masked={(Masked ? 1 : 0)} len={PayloadLength}";
}
