using System.Security.Cryptography;
using System.Text;
using ActorWs.Protocol;

namespace ActorWs.Testing;

/// <summary>
/// Bytes as RFC 6455 puts them on the wire, written by hand from the frame layout of §5.2, the
/// masking of §5.3 and the opening handshake of §4 — not with ActorWs's FrameEncoder, FrameHeader,
/// Masking or Handshake — so that what a test sends, and what it expects back, does not come from
/// the code under test. It writes what a test asks for, deliberately bad frames included (reserved
/// bits and opcodes, non-minimal lengths, the wrong mask bit, oversized control frames): the rules
/// are the reader's business (<see cref="FrameReader"/>), and ActorWs's.
/// </summary>
public static class Wire
{
    // ------------------------------------------------------------------ plain bytes

    public static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    /// <summary>An HTTP head's bytes (RFC 9112: the head is ASCII).</summary>
    public static byte[] Ascii(string s) => Encoding.ASCII.GetBytes(s);

    /// <summary>Bytes from integers, so a test can write <c>Bytes(0x81, 0x05)</c> without casts.</summary>
    public static byte[] Bytes(params int[] values) => values.Select(v => (byte)v).ToArray();

    /// <summary>Bytes from hex, spaces allowed: <c>Hex("CE BA E1")</c>.</summary>
    public static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", ""));

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

    public static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>Deterministic pseudo-random bytes, so that a failing case can be repeated.</summary>
    public static byte[] RandomBytes(int length, int seed = 1) => RandomBytes(new Random(seed), length);

    /// <summary>The UTF-8 of <paramref name="codePoints"/> random code points, each encoded length
    /// (1 to 4 bytes) equally likely, surrogates excluded (RFC 3629 §3).</summary>
    public static byte[] RandomUtf8(Random random, int codePoints)
    {
        var text = new StringBuilder();
        for (int i = 0; i < codePoints; i++)
        {
            int codePoint;
            do codePoint = random.Next(4) switch
            {
                0 => random.Next(0, 0x80),
                1 => random.Next(0x80, 0x800),
                2 => random.Next(0x800, 0x10000),
                _ => random.Next(0x10000, 0x110000),
            };
            while (codePoint is >= 0xD800 and <= 0xDFFF);
            text.Append(char.ConvertFromUtf32(codePoint));
        }
        return Utf8(text.ToString());
    }

    /// <summary>Deterministic ASCII text of a given length: a, b, c, ... z, a, ...</summary>
    public static string Text(int length, char first = 'a')
    {
        var chars = new char[length];
        for (int i = 0; i < length; i++)
            chars[i] = (char)(first + i % 26);
        return new string(chars);
    }

    // ------------------------------------------------------------------ frames (§5.2)

    /// <summary>The length form §5.2 requires for a payload length: 7 (the length itself, up to 125),
    /// 16 (126 and a 16-bit length, up to 65535) or 64 (127 and a 64-bit length).</summary>
    public static int MinimalForm(long length) => length <= 125 ? 7 : length <= ushort.MaxValue ? 16 : 64;

    /// <summary>
    /// A frame header with any bits: FIN, RSV1-3 (<paramref name="rsv"/>, 0-7), any 4-bit opcode, the
    /// MASK bit, and the payload length in the form asked (<paramref name="lengthForm"/> 7, 16 or 64,
    /// minimal or not), then the masking key when masked. Nothing is checked that a test may want to
    /// get wrong; only what could not be written at all (a length that does not fit its form).
    /// </summary>
    /// <param name="key">The masking key, its most significant byte first on the wire (§5.3 speaks of
    /// the key's octets in order; the order of a 32-bit integer is this kit's choice).</param>
    public static byte[] RawHeader(bool fin, int rsv, int opcode, bool masked, ulong length, int lengthForm, uint key = 0x11223344)
    {
        if (rsv is < 0 or > 7)
            throw new ArgumentOutOfRangeException(nameof(rsv), "RSV1-3 are three bits");
        if (opcode is < 0 or > 0xF)
            throw new ArgumentOutOfRangeException(nameof(opcode), "the opcode is four bits");
        var bytes = new List<byte>(14) { (byte)((fin ? 0x80 : 0) | (rsv << 4) | opcode) };
        byte maskBit = masked ? (byte)0x80 : (byte)0;
        switch (lengthForm)
        {
            case 7 when length <= 127: // 126 and 127 here write a marker with no extended length after it
                bytes.Add((byte)(maskBit | (byte)length));
                break;
            case 16 when length <= ushort.MaxValue:
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
                throw new ArgumentOutOfRangeException(nameof(lengthForm), $"a length of {length} cannot be written in the {lengthForm}-bit form");
        }
        if (masked)
            bytes.AddRange(KeyBytes(key));
        return bytes.ToArray();
    }

    /// <summary>
    /// A whole frame: header (as <see cref="RawHeader"/> writes it, with the minimal length form
    /// unless <paramref name="lengthForm"/> says otherwise) and the payload, masked with
    /// <paramref name="key"/> when <paramref name="masked"/> (a fresh random key when none is given,
    /// as §5.3 asks of a client). Control frames are not refused: a test may send a fragmented ping
    /// or a 126-byte close on purpose.
    /// </summary>
    public static byte[] Frame(Opcode opcode, ReadOnlySpan<byte> payload, bool masked = false, bool fin = true, byte rsv = 0, uint? key = null, int lengthForm = 0)
    {
        uint k = masked ? key ?? NewMaskingKey() : 0;
        var header = RawHeader(fin, rsv, (int)opcode, masked, (ulong)payload.Length, lengthForm == 0 ? MinimalForm(payload.Length) : lengthForm, k);
        var frame = new byte[header.Length + payload.Length];
        header.CopyTo(frame, 0);
        payload.CopyTo(frame.AsSpan(header.Length));
        if (masked)
            Mask(frame.AsSpan(header.Length), k);
        return frame;
    }

    /// <summary>A random masking key (§5.3: "unpredictable", from a strong source of entropy).</summary>
    public static uint NewMaskingKey() => BitConverter.ToUInt32(RandomNumberGenerator.GetBytes(4));

    /// <summary>§5.3: octet i of the data is XORed with octet i MOD 4 of the key. Masking and
    /// unmasking are the same operation.</summary>
    public static void Mask(Span<byte> data, uint key, int keyOffset = 0)
    {
        var k = KeyBytes(key);
        for (int i = 0; i < data.Length; i++)
            data[i] ^= k[(i + keyOffset) & 3];
    }

    /// <summary>The key's four octets as they go on the wire.</summary>
    public static byte[] KeyBytes(uint key) => [(byte)(key >> 24), (byte)(key >> 16), (byte)(key >> 8), (byte)key];

    /// <summary>A close frame's body (§5.5.1): the code in network order, then the reason's bytes
    /// (which a test may make invalid UTF-8 or too long on purpose).</summary>
    public static byte[] ClosePayload(ushort code, ReadOnlySpan<byte> reason = default)
    {
        var payload = new byte[2 + reason.Length];
        payload[0] = (byte)(code >> 8);
        payload[1] = (byte)code;
        reason.CopyTo(payload.AsSpan(2));
        return payload;
    }

    public static byte[] ClosePayload(ushort code, string reason) => ClosePayload(code, Utf8(reason));

    // ------------------------------------------------------------------ how TCP may cut bytes

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

    /// <summary>Chunks of 0 to <paramref name="maxChunk"/> bytes (empty reads included).</summary>
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

    // ------------------------------------------------------------------ the opening handshake (§4)

    /// <summary>§1.3's example: this Sec-WebSocket-Key ...</summary>
    public const string SampleKey = "dGhlIHNhbXBsZSBub25jZQ==";

    /// <summary>... is answered with this Sec-WebSocket-Accept.</summary>
    public const string SampleAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

    /// <summary>The GUID that §1.3 appends to the key, the same in every implementation.</summary>
    public const string Guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    /// <summary>A fresh Sec-WebSocket-Key: 16 random bytes in base64 (§4.1, item 7).</summary>
    public static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));

    /// <summary>Sec-WebSocket-Accept for a key: base64 of the SHA-1 of the key and the GUID (§4.2.2).</summary>
    public static string Accept(string key) => Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + Guid)));

    /// <summary>
    /// An upgrade request (§4.1) with every part a test may want to change or leave out: a null
    /// <paramref name="key"/>, <paramref name="version"/> or <paramref name="upgrade"/> leaves that
    /// header out; <paramref name="extraHeaders"/> are whole lines, CRLF included (a second key, say).
    /// </summary>
    public static string UpgradeRequest(string path = "/chat", string? key = SampleKey, string? version = "13", string? origin = null,
        string method = "GET", string httpVersion = "HTTP/1.1", string? upgrade = "websocket", string host = "127.0.0.1", string extraHeaders = "")
    {
        var head = new StringBuilder($"{method} {path} {httpVersion}\r\nHost: {host}\r\n");
        if (upgrade is not null)
            head.Append($"Upgrade: {upgrade}\r\n");
        head.Append("Connection: Upgrade\r\n");
        if (key is not null)
            head.Append($"Sec-WebSocket-Key: {key}\r\n");
        if (version is not null)
            head.Append($"Sec-WebSocket-Version: {version}\r\n");
        if (origin is not null)
            head.Append($"Origin: {origin}\r\n");
        return head.Append(extraHeaders).Append("\r\n").ToString();
    }

    /// <summary>The upgrade request for a ws:// URI, as a client sends it (§4.1): Host from the URI,
    /// the path and query as the request target.</summary>
    public static string UpgradeRequest(Uri uri, string key, string? origin = null) =>
        UpgradeRequest(string.IsNullOrEmpty(uri.PathAndQuery) ? "/" : uri.PathAndQuery, key, origin: origin, host: uri.IsDefaultPort ? uri.Host : $"{uri.Host}:{uri.Port}");

    /// <summary>A server's 101 for a client's key (§4.2.2, step 5).</summary>
    public static string SwitchingProtocols(string key) =>
        $"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {Accept(key)}\r\n\r\n";
}
