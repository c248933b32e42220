using System.Buffers.Binary;
using System.Text;

namespace ActorWs.Protocol.Tests;

/// <summary>A decoded frame copied out of the decoder (whose payload span is only valid until its next call).</summary>
public sealed record DecodedFrame(FrameHeader Header, byte[] Payload)
{
    public bool Matches(in FrameHeader header, ReadOnlySpan<byte> payload) => Header == header && payload.SequenceEqual(Payload);

    public override string ToString() => $"{Header} key={Header.MaskKey:X8}";
}

/// <summary>What a decoder made of a stream: the frames, in order, and the violation it stopped at, if any.</summary>
public sealed record DecodeResult(List<DecodedFrame> Frames, ProtocolViolation? Violation);

public static class Wire
{
    /// <summary>Builds raw frame bytes by hand, so tests can write headers that no encoder would:
    /// non-minimal lengths, reserved opcodes, RSV bits, the wrong mask bit.</summary>
    /// <param name="lengthForm">7, 16 or 64: which length encoding to use, whether or not it is minimal.</param>
    public static byte[] RawHeader(bool fin, int rsv, int opcode, bool masked, ulong length, int lengthForm, uint key = 0x11223344)
    {
        var bytes = new List<byte> { (byte)((fin ? 0x80 : 0) | (rsv << 4) | opcode) };
        byte maskBit = masked ? (byte)0x80 : (byte)0;
        switch (lengthForm)
        {
            case 7:
                bytes.Add((byte)(maskBit | (byte)length));
                break;
            case 16:
                bytes.Add((byte)(maskBit | 126));
                bytes.Add((byte)(length >> 8));
                bytes.Add((byte)length);
                break;
            case 64:
                bytes.Add((byte)(maskBit | 127));
                for (int shift = 56; shift >= 0; shift -= 8)
                    bytes.Add((byte)(length >> shift));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(lengthForm));
        }
        if (masked)
        {
            var k = new byte[4];
            Masking.WriteKey(key, k);
            bytes.AddRange(k);
        }
        return bytes.ToArray();
    }

    /// <summary>The minimal length form for a payload length (RFC 6455 §5.2).</summary>
    public static int MinimalForm(long length) => length <= 125 ? 7 : length <= ushort.MaxValue ? 16 : 64;

    public static byte[] Frame(Opcode opcode, byte[] payload, bool fin = true, bool masked = false, uint key = 0x5A3C_96E1) =>
        FrameEncoder.Encode(new FrameHeader(fin, 0, opcode, masked, payload.Length, masked ? key : 0), payload);

    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    public static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    public static byte[] Bytes(params int[] values) => values.Select(v => (byte)v).ToArray();

    public static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    public static byte[] ClosePayload(ushort code, byte[]? reason = null)
    {
        var payload = new byte[2 + (reason?.Length ?? 0)];
        BinaryPrimitives.WriteUInt16BigEndian(payload, code);
        reason?.CopyTo(payload, 2);
        return payload;
    }

    /// <summary>Cuts <paramref name="data"/> at the given positions.</summary>
    public static IEnumerable<ReadOnlyMemory<byte>> Split(byte[] data, params int[] cuts)
    {
        int start = 0;
        foreach (int cut in cuts)
        {
            yield return data.AsMemory(start, cut - start);
            start = cut;
        }
        yield return data.AsMemory(start);
    }

    public static IEnumerable<ReadOnlyMemory<byte>> OneByteAtATime(byte[] data)
    {
        for (int i = 0; i < data.Length; i++)
            yield return data.AsMemory(i, 1);
    }

    public static IEnumerable<ReadOnlyMemory<byte>> RandomChunks(byte[] data, Random random, int maxChunk)
    {
        int start = 0;
        while (start < data.Length)
        {
            int length = Math.Min(data.Length - start, random.Next(0, maxChunk + 1));
            yield return data.AsMemory(start, length);
            start += length;
        }
    }

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
