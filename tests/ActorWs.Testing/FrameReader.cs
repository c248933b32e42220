using System.Text;
using ActorWs.Protocol;

namespace ActorWs.Testing;

/// <summary>
/// Reads the frames one endpoint sends, from bytes in any chunks, written from RFC 6455 itself and
/// sharing nothing with ActorWs's FrameDecoder: the tests judge what ActorWs sends with code that is
/// not the code under test. Every rule a sender must keep is checked, and the first one broken
/// throws <see cref="RfcViolationException"/> (after which the reader stays failed):
/// <list type="bullet">
/// <item>§5.1: a client masks every frame, a server none;</item>
/// <item>§5.2: RSV bits clear (ActorWs negotiates no extension), no reserved opcode, the length in
/// its minimal form, a 64-bit length with its most significant bit clear;</item>
/// <item>§5.5: control frames unfragmented, with at most 125 bytes;</item>
/// <item>§5.4: continuation frames only inside a fragmented message, no new message inside one;</item>
/// <item>§5.6: text messages valid UTF-8 (checked across fragments);</item>
/// <item>§5.5.1/§7.4: a close body empty, or a code that may be sent and a UTF-8 reason; no data
/// frame after the Close frame.</item>
/// </list>
/// </summary>
public sealed class FrameReader
{
    /// <summary>Larger frames are refused rather than buffered: a garbage length must fail a test, not
    /// make it wait for gigabytes.</summary>
    public const long DefaultMaxPayload = 64L * 1024 * 1024;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly long _maxPayload;
    private byte[] _buffer = new byte[4096];
    private int _start, _end;
    private RfcViolationException? _failure;
    private bool _inMessage;
    private Decoder? _text; // the UTF-8 state of a text message, across its fragments
    private bool _closeRead;

    /// <param name="sender">The role of the endpoint whose frames these are: a client's must be
    /// masked, a server's must not.</param>
    public FrameReader(Role sender, long maxPayload = DefaultMaxPayload)
    {
        Sender = sender;
        _maxPayload = maxPayload;
    }

    public Role Sender { get; }

    /// <summary>permessage-deflate was negotiated (RFC 7692): RSV1 is then allowed on the first frame
    /// of a data message, and only there (§6.1); such a message's text is compressed, so its UTF-8 is
    /// the reader of the inflated message's business.</summary>
    public bool PerMessageDeflate { get; set; }

    /// <summary>Bytes taken that are not yet a whole frame.</summary>
    public int Buffered => _end - _start;

    /// <summary>Whether a frame has begun and not ended.</summary>
    public bool HasPartialFrame => Buffered > 0;

    /// <summary>Whether a fragmented message has begun and not ended.</summary>
    public bool InMessage => _inMessage;

    /// <summary>Takes bytes as they came, in any chunk.</summary>
    public void Append(ReadOnlySpan<byte> bytes)
    {
        if (_buffer.Length - _end < bytes.Length)
        {
            int buffered = Buffered;
            if (_buffer.Length < buffered + bytes.Length)
                Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, buffered + bytes.Length));
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, buffered);
            _start = 0;
            _end = buffered;
        }
        bytes.CopyTo(_buffer.AsSpan(_end));
        _end += bytes.Length;
    }

    /// <summary>The next whole frame, or null when more bytes are needed for it.</summary>
    /// <exception cref="RfcViolationException">The bytes break a rule; every later call throws it again.</exception>
    public WireFrame? Next()
    {
        if (_failure is not null)
            throw _failure;
        try
        {
            return ReadFrame();
        }
        catch (RfcViolationException e)
        {
            _failure = e;
            throw;
        }
    }

    /// <summary>Takes a chunk and returns every frame it completes.</summary>
    public List<WireFrame> Read(ReadOnlySpan<byte> chunk)
    {
        Append(chunk);
        var frames = new List<WireFrame>();
        while (Next() is { } frame)
            frames.Add(frame);
        return frames;
    }

    /// <summary>Every frame in bytes that hold whole frames only (a write of one endpoint, say);
    /// throws when they end inside a frame.</summary>
    public static List<WireFrame> ReadAll(ReadOnlySpan<byte> bytes, Role sender)
    {
        var reader = new FrameReader(sender);
        var frames = reader.Read(bytes);
        if (reader.HasPartialFrame)
            throw new InvalidOperationException($"the bytes end inside a frame: {reader.Buffered} bytes of it after {frames.Count} whole frames");
        return frames;
    }

    private WireFrame? ReadFrame()
    {
        var bytes = _buffer.AsSpan(_start, Buffered);
        if (bytes.Length < 1)
            return null;

        // The first byte's rules are judged at once, so a bad header fails before its length is known.
        bool fin = (bytes[0] & 0x80) != 0;
        int rsv = (bytes[0] >> 4) & 0x7;
        int opcode = bytes[0] & 0xF;
        bool control = (opcode & 0x8) != 0;
        if (rsv == 0b100 && PerMessageDeflate && opcode is not (0x1 or 0x2))
            throw new RfcViolationException("RFC 7692 §6.1", $"RSV1 on a {WireFrame.NameOf((Opcode)opcode)} frame: only the first frame of a data message may be compressed");
        if (rsv != 0 && !(rsv == 0b100 && PerMessageDeflate))
            throw new RfcViolationException("§5.2", $"RSV bits {Convert.ToString(rsv, 2).PadLeft(3, '0')} set, with no extension negotiated");
        if (opcode is not (0x0 or 0x1 or 0x2 or 0x8 or 0x9 or 0xA))
            throw new RfcViolationException("§5.2", $"reserved opcode 0x{opcode:X}");
        if (control && !fin)
            throw new RfcViolationException("§5.5", $"a fragmented {WireFrame.NameOf((Opcode)opcode)}: control frames must not be fragmented");
        if (bytes.Length < 2)
            return null;

        bool masked = (bytes[1] & 0x80) != 0;
        int length7 = bytes[1] & 0x7F;
        if (masked != (Sender == Role.Client))
            throw new RfcViolationException("§5.1",
                Sender == Role.Client ? "an unmasked frame from a client: a client masks every frame" : "a masked frame from a server: a server never masks");
        if (control && length7 > 125)
            throw new RfcViolationException("§5.5", $"a {WireFrame.NameOf((Opcode)opcode)} announcing more than 125 bytes of payload");

        int lengthBytes = length7 switch { 126 => 2, 127 => 8, _ => 0 };
        if (bytes.Length < 2 + lengthBytes)
            return null;
        ulong length = (ulong)length7;
        if (lengthBytes > 0)
        {
            length = 0;
            foreach (byte b in bytes.Slice(2, lengthBytes))
                length = length << 8 | b;
        }
        if (length7 == 126 && length < 126)
            throw new RfcViolationException("§5.2", $"a length of {length} in the 16-bit form: the minimal number of bytes must be used");
        if (length7 == 127 && length >> 63 != 0)
            throw new RfcViolationException("§5.2", "a 64-bit length with its most significant bit set");
        if (length7 == 127 && length <= ushort.MaxValue)
            throw new RfcViolationException("§5.2", $"a length of {length} in the 64-bit form: the minimal number of bytes must be used");
        if (length > (ulong)_maxPayload)
            throw new InvalidOperationException($"a frame announcing {length} bytes, more than this reader takes ({_maxPayload})");

        int headerLength = 2 + lengthBytes + (masked ? 4 : 0);
        if (bytes.Length < headerLength + (long)length)
            return null;
        uint key = 0;
        if (masked)
            foreach (byte b in bytes.Slice(2 + lengthBytes, 4))
                key = key << 8 | b;
        var payload = bytes.Slice(headerLength, (int)length).ToArray();
        if (masked)
            Wire.Mask(payload, key);
        _start += headerLength + (int)length;

        CheckSequence(fin, opcode, payload, compressed: rsv != 0);
        return new WireFrame(fin, (byte)rsv, (Opcode)opcode, masked, payload, key);
    }

    /// <summary>The rules that span frames: fragmentation, UTF-8 across fragments, the close.</summary>
    private void CheckSequence(bool fin, int opcode, byte[] payload, bool compressed)
    {
        switch (opcode)
        {
            case 0x0:
                if (_closeRead)
                    throw new RfcViolationException("§5.5.1", "a data frame after the Close frame");
                if (!_inMessage)
                    throw new RfcViolationException("§5.4", "a continuation frame with no fragmented message to continue");
                CheckText(payload, fin);
                _inMessage = !fin;
                break;
            case 0x1 or 0x2:
                if (_closeRead)
                    throw new RfcViolationException("§5.5.1", "a data frame after the Close frame");
                if (_inMessage)
                    throw new RfcViolationException("§5.4", "a new message inside a fragmented one");
                _text = opcode == 0x1 && !compressed ? StrictUtf8.GetDecoder() : null;
                CheckText(payload, fin);
                _inMessage = !fin;
                break;
            case 0x8:
                CheckClose(payload);
                _closeRead = true;
                break;
        }
    }

    private void CheckText(byte[] payload, bool fin)
    {
        if (_text is null)
            return;
        try
        {
            // GetChars, not GetCharCount: only a conversion carries a code point's first bytes over
            // to the next fragment.
            _text.GetChars(payload, new char[payload.Length + 4], flush: fin);
        }
        catch (DecoderFallbackException)
        {
            throw new RfcViolationException("§5.6", "a text message that is not valid UTF-8");
        }
        if (fin)
            _text = null;
    }

    private static void CheckClose(byte[] payload)
    {
        if (payload.Length == 1)
            throw new RfcViolationException("§5.5.1", "a close body of 1 byte: a body begins with a 2-byte status code");
        if (payload.Length < 2)
            return;
        int code = payload[0] << 8 | payload[1];
        // §7.4.1's codes, those IANA registered since (1012-1014, §11.7), and the ranges for
        // libraries and applications; 1004-1006 and 1015 must never go on the wire.
        if (code is not ((>= 1000 and <= 1003) or (>= 1007 and <= 1014) or (>= 3000 and <= 4999)))
            throw new RfcViolationException("§7.4", $"close code {code}, which may not be sent");
        try
        {
            StrictUtf8.GetCharCount(payload, 2, payload.Length - 2);
        }
        catch (DecoderFallbackException)
        {
            throw new RfcViolationException("§5.5.1", "a close reason that is not valid UTF-8");
        }
    }
}
