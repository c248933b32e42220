using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace ActorWs.Protocol;

/// <summary>
/// Incremental UTF-8 validation for text messages that arrive in fragments (RFC 6455 §5.6, §8.1).
/// It fails on the first invalid sequence, before the message is complete, yet accepts a code
/// point whose bytes are split across two fragments. "Valid" is RFC 3629: no overlong forms, no
/// surrogates (U+D800–U+DFFF), nothing above U+10FFFF.
/// </summary>
/// <remarks>
/// The bulk of each fragment goes through the BCL's vectorised <see cref="Utf8.IsValid"/>; only a
/// sequence cut at the fragment's end (at most 3 bytes) is carried over, and
/// <see cref="Rune.DecodeFromUtf8"/> tells an incomplete prefix (NeedMoreData) from an invalid one.
/// </remarks>
internal struct Utf8Validator
{
    private uint _pending;      // up to 3 bytes of an unfinished sequence, first byte lowest
    private int _pendingCount;

    public static bool IsValid(ReadOnlySpan<byte> text) => Utf8.IsValid(text);

    /// <summary>True while the bytes so far end inside a multi-byte sequence.</summary>
    public readonly bool InSequence => _pendingCount > 0;

    public void Reset()
    {
        _pending = 0;
        _pendingCount = 0;
    }

    /// <summary>Feeds the next bytes of a message. Returns false as soon as the bytes so far cannot be
    /// the start of valid UTF-8, or, with <paramref name="isFinal"/>, when the message ends mid-sequence.</summary>
    public bool Feed(ReadOnlySpan<byte> data, bool isFinal)
    {
        if (_pendingCount > 0)
        {
            Span<byte> sequence = stackalloc byte[4];
            for (int i = 0; i < _pendingCount; i++)
                sequence[i] = (byte)(_pending >> (8 * i));
            int need = SequenceLength(sequence[0]) - _pendingCount;
            int take = Math.Min(need, data.Length);
            data[..take].CopyTo(sequence[_pendingCount..]);
            var status = Rune.DecodeFromUtf8(sequence[..(_pendingCount + take)], out _, out _);
            if (status == OperationStatus.InvalidData)
                return false;
            if (status == OperationStatus.NeedMoreData)
            {
                Keep(sequence[..(_pendingCount + take)]);
                return !isFinal;
            }
            Reset();
            data = data[take..];
        }

        int tail = IncompleteTailStart(data);
        if (!Utf8.IsValid(data[..tail]))
            return false;
        if (tail == data.Length)
            return true;

        var end = data[tail..];
        if (Rune.DecodeFromUtf8(end, out _, out _) != OperationStatus.NeedMoreData || isFinal)
            return false;
        Keep(end);
        return true;
    }

    private void Keep(ReadOnlySpan<byte> bytes)
    {
        _pending = 0;
        for (int i = 0; i < bytes.Length; i++)
            _pending |= (uint)bytes[i] << (8 * i);
        _pendingCount = bytes.Length;
    }

    /// <summary>Where a multi-byte sequence that the data cuts short begins, or the data's length.</summary>
    internal static int IncompleteTailStart(ReadOnlySpan<byte> data)
    {
        for (int k = 1; k <= 3 && k <= data.Length; k++)
        {
            byte b = data[^k];
            if ((b & 0xC0) == 0x80)
                continue; // continuation byte: keep looking for its lead
            return SequenceLength(b) > k ? data.Length - k : data.Length;
        }
        return data.Length;
    }

    /// <summary>Sequence length announced by a lead byte; 1 for ASCII and for bytes that cannot lead
    /// (which the full validation then rejects).</summary>
    internal static int SequenceLength(byte lead) => lead switch
    {
        >= 0xC2 and <= 0xDF => 2,
        >= 0xE0 and <= 0xEF => 3,
        >= 0xF0 and <= 0xF4 => 4,
        _ => 1,
    };
}
