using System.Buffers.Binary;
using System.Text;
using ActorWs.Protocol;

namespace ActorWs.Conformance.Tests.Conformance;

/// <summary>A frame as the test's peer saw it on the wire (payload unmasked and copied).</summary>
public sealed record WireFrame(bool Fin, byte Rsv, Opcode Opcode, byte[] Payload)
{
    /// <summary>The status code of a close frame, or null when it has none.</summary>
    public ushort? CloseCode => Payload.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(Payload) : null;

    public override string ToString() => Opcode switch
    {
        Opcode.Close => $"CLOSE {(CloseCode?.ToString() ?? "(no code)")} '{Encoding.UTF8.GetString(Payload.AsSpan(Math.Min(2, Payload.Length)))}'",
        Opcode.Text => $"TEXT fin={(Fin ? 1 : 0)} len={Payload.Length}",
        _ => $"{Opcode.Name()} fin={(Fin ? 1 : 0)} len={Payload.Length}",
    };
}

/// <summary>Builds frames the way a test wants them, including ones that break the rules.
/// ActorWs.Hardening.Tests compiles this file in too.</summary>
public static class Wire
{
    public static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    public static byte[] Bytes(params byte[] bytes) => bytes;

    public static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", ""));

    /// <summary>A frame with any header bits. Unlike <see cref="FrameEncoder"/> it does not refuse
    /// bad control frames: the header is written as asked, the payload masked with a fresh key when
    /// <paramref name="masked"/>.</summary>
    public static byte[] Frame(Opcode opcode, ReadOnlySpan<byte> payload, bool masked, bool fin = true, byte rsv = 0)
    {
        var header = new FrameHeader(fin, rsv, opcode, masked, payload.Length, masked ? Masking.NewKey() : 0);
        var frame = new byte[header.EncodedLength + payload.Length];
        int offset = header.WriteTo(frame);
        if (masked)
            Masking.Apply(payload, frame.AsSpan(offset), header.MaskKey);
        else
            payload.CopyTo(frame.AsSpan(offset));
        return frame;
    }

    /// <summary>A close frame body: code in network order, then the reason's bytes.</summary>
    public static byte[] ClosePayload(ushort code, ReadOnlySpan<byte> reason = default)
    {
        var payload = new byte[2 + reason.Length];
        BinaryPrimitives.WriteUInt16BigEndian(payload, code);
        reason.CopyTo(payload.AsSpan(2));
        return payload;
    }

    /// <summary>A frame whose length is written in more bytes than needed (§5.2 forbids it):
    /// <paramref name="lengthBytes"/> is 2 (the 16-bit form) or 8 (the 64-bit form).</summary>
    public static byte[] NonMinimalLength(Opcode opcode, ReadOnlySpan<byte> payload, bool masked, int lengthBytes)
    {
        var frame = new List<byte> { (byte)(0x80 | (byte)opcode) };
        byte maskBit = masked ? (byte)0x80 : (byte)0;
        var length = new byte[lengthBytes];
        if (lengthBytes == 2)
        {
            frame.Add((byte)(maskBit | 126));
            BinaryPrimitives.WriteUInt16BigEndian(length, (ushort)payload.Length);
        }
        else
        {
            frame.Add((byte)(maskBit | 127));
            BinaryPrimitives.WriteUInt64BigEndian(length, (ulong)payload.Length);
        }
        frame.AddRange(length);
        var body = payload.ToArray();
        if (masked)
        {
            uint key = Masking.NewKey();
            var k = new byte[4];
            Masking.WriteKey(key, k);
            frame.AddRange(k);
            Masking.Apply(body, key);
        }
        frame.AddRange(body);
        return frame.ToArray();
    }

    /// <summary>A header announcing a 64-bit length with its most significant bit set (§5.2 forbids it).</summary>
    public static byte[] Length64MsbSet(bool masked)
    {
        var frame = new byte[10 + (masked ? 4 : 0)];
        frame[0] = 0x80 | (byte)Opcode.Binary;
        frame[1] = (byte)((masked ? 0x80 : 0) | 127);
        BinaryPrimitives.WriteUInt64BigEndian(frame.AsSpan(2), 0x8000_0000_0000_0010UL);
        return frame;
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

    /// <summary>Deterministic pseudo-random bytes, so a failing case can be repeated.</summary>
    public static byte[] Random(int length, int seed = 1)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Deterministic ASCII text of a given length.</summary>
    public static string Text(int length, char first = 'a')
    {
        var chars = new char[length];
        for (int i = 0; i < length; i++)
            chars[i] = (char)(first + i % 26);
        return new string(chars);
    }
}
