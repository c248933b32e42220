using System.Buffers.Binary;
using System.Text;
using ActorWs.Protocol;

namespace ActorWs.Hardening.Tests.Support;

/// <summary>A frame as the test's peer saw it on the wire (payload unmasked and copied).</summary>
public sealed record WireFrame(bool Fin, Opcode Opcode, byte[] Payload)
{
    /// <summary>The status code of a close frame, or null when it has none.</summary>
    public ushort? CloseCode => Payload.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(Payload) : null;

    public override string ToString() => Opcode == Opcode.Close
        ? $"CLOSE {(CloseCode?.ToString() ?? "(no code)")}"
        : $"{Opcode.Name()} fin={(Fin ? 1 : 0)} len={Payload.Length}";
}

/// <summary>Builds frames the way a test wants them, including ones that break the rules
/// (a small copy of the conformance suite's helper).</summary>
public static class Wire
{
    public static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    /// <summary>A frame with any header bits, masked with a fresh key when <paramref name="masked"/>.</summary>
    public static byte[] Frame(Opcode opcode, ReadOnlySpan<byte> payload, bool masked, bool fin = true)
    {
        var header = new FrameHeader(fin, 0, opcode, masked, payload.Length, masked ? Masking.NewKey() : 0);
        var frame = new byte[header.EncodedLength + payload.Length];
        int offset = header.WriteTo(frame);
        if (masked)
            Masking.Apply(payload, frame.AsSpan(offset), header.MaskKey);
        else
            payload.CopyTo(frame.AsSpan(offset));
        return frame;
    }

    public static byte[] ClosePayload(ushort code, ReadOnlySpan<byte> reason = default)
    {
        var payload = new byte[2 + reason.Length];
        BinaryPrimitives.WriteUInt16BigEndian(payload, code);
        reason.CopyTo(payload.AsSpan(2));
        return payload;
    }

    /// <summary>Only the header of a binary frame announcing <paramref name="length"/> bytes in the
    /// 64-bit form (and the masking key when <paramref name="masked"/>): no payload follows.</summary>
    public static byte[] Header64(ulong length, bool masked)
    {
        var header = new byte[10 + (masked ? 4 : 0)];
        header[0] = 0x80 | (byte)Opcode.Binary;
        header[1] = (byte)((masked ? 0x80 : 0) | 127);
        BinaryPrimitives.WriteUInt64BigEndian(header.AsSpan(2), length);
        if (masked)
            Masking.WriteKey(Masking.NewKey(), header.AsSpan(10));
        return header;
    }

    public static byte[] Concat(params byte[][] parts)
    {
        var all = new byte[parts.Sum(p => p.Length)];
        int offset = 0;
        foreach (var p in parts)
        {
            p.CopyTo(all, offset);
            offset += p.Length;
        }
        return all;
    }
}
