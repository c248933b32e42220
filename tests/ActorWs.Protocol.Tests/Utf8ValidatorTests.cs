namespace ActorWs.Protocol.Tests;

/// <summary>Text must be UTF-8 (RFC 6455 §5.6, §8.1), validated as RFC 3629 defines it.</summary>
public class Utf8ValidatorTests
{
    private static bool FeedAll(params byte[][] fragments)
    {
        var validator = new Utf8Validator();
        for (int i = 0; i < fragments.Length; i++)
        {
            if (!validator.Feed(fragments[i], isFinal: i == fragments.Length - 1))
                return false;
        }
        return true;
    }

    private static readonly byte[] Mixed = Utf8("aé€😀z 𝄞 ĳ ☃ \u0000 \U0010FFFF");

    [Fact]
    public void Valid_multi_byte_text_is_accepted_whole_and_byte_by_byte()
    {
        Assert.True(FeedAll(Mixed));
        Assert.True(FeedAll(Mixed.Select(b => new[] { b }).ToArray()));
        Assert.True(Utf8Validator.IsValid(Mixed));
    }

    [Fact]
    public void Four_byte_code_point_split_across_two_fragments_at_every_position_is_accepted()
    {
        var text = Utf8("ab😀cd");
        for (int cut = 0; cut <= text.Length; cut++)
            Assert.True(FeedAll(text[..cut], text[cut..]), $"cut at {cut}");
    }

    [Fact]
    public void Text_split_into_three_fragments_at_every_pair_of_positions_is_accepted()
    {
        var text = Utf8("€😀é");
        for (int i = 0; i <= text.Length; i++)
            for (int j = i; j <= text.Length; j++)
                Assert.True(FeedAll(text[..i], text[i..j], text[j..]), $"cuts at {i}, {j}");
    }

    [Fact]
    public void Empty_fragments_between_the_bytes_of_a_code_point_are_accepted()
    {
        var smile = Utf8("😀");
        Assert.True(FeedAll(smile[..1], [], smile[1..2], [], smile[2..], []));
    }

    public static TheoryData<string, byte[]> Invalid() => new()
    {
        { "overlong NUL", Bytes(0xC0, 0x80) },
        { "overlong 2-byte lead C1", Bytes(0xC1, 0xBF) },
        { "overlong 3-byte", Bytes(0xE0, 0x80, 0x80) },
        { "overlong 3-byte for U+07FF", Bytes(0xE0, 0x9F, 0xBF) },
        { "overlong 4-byte", Bytes(0xF0, 0x8F, 0xBF, 0xBF) },
        { "high surrogate", Bytes(0xED, 0xA0, 0x80) },
        { "low surrogate", Bytes(0xED, 0xBF, 0xBF) },
        { "above U+10FFFF", Bytes(0xF4, 0x90, 0x80, 0x80) },
        { "lead F5", Bytes(0xF5, 0x80, 0x80, 0x80) },
        { "lead F8", Bytes(0xF8, 0x88, 0x80, 0x80, 0x80) },
        { "lead FF", Bytes(0xFF) },
        { "stray continuation", Bytes(0x80) },
        { "stray continuation after a complete sequence", Bytes(0xC3, 0xA9, 0x80) },
        { "lead without continuation", Bytes(0xC3, 0x41) },
        { "4-byte lead followed by ASCII", Bytes(0xF0, 0x9F, 0x41, 0x41) },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Invalid_sequence_is_refused_whole_and_in_fragments(string name, byte[] bad)
    {
        _ = name;
        var text = Concat(Utf8("ok "), bad, Utf8(" more"));
        Assert.False(FeedAll(text));
        Assert.False(Utf8Validator.IsValid(text));
        for (int cut = 0; cut <= text.Length; cut++)
            Assert.False(FeedAll(text[..cut], text[cut..]), $"cut at {cut}");
        Assert.False(FeedAll(text.Select(b => new[] { b }).ToArray()));
    }

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Invalid_sequence_fails_fast_before_the_message_ends(string name, byte[] bad)
    {
        // §8.1 / Autobahn 6.x: fail as soon as the bytes cannot start valid UTF-8, not at FIN.
        _ = name;
        var text = Concat(Utf8("ok "), bad);
        var validator = new Utf8Validator();
        Assert.False(validator.Feed(text, isFinal: false));

        // Byte by byte, the failure comes no later than the byte that makes the sequence invalid
        // (for every case above that is within the bad bytes).
        validator = new Utf8Validator();
        bool failed = false;
        foreach (var b in text)
        {
            if (!validator.Feed([b], isFinal: false))
            {
                failed = true;
                break;
            }
        }
        Assert.True(failed);
    }

    [Theory]
    [InlineData(new byte[] { 0xC3 })]
    [InlineData(new byte[] { 0xE2, 0x82 })]
    [InlineData(new byte[] { 0xF0, 0x9F, 0x98 })]
    public void Sequence_truncated_at_message_end_is_refused_but_fine_mid_message(byte[] truncated)
    {
        var text = Concat(Utf8("abc"), truncated);
        Assert.False(FeedAll(text));
        Assert.False(FeedAll(text, []));

        var validator = new Utf8Validator();
        Assert.True(validator.Feed(text, isFinal: false));
        Assert.True(validator.InSequence);
        Assert.False(validator.Feed([], isFinal: true));
    }

    [Theory]
    [InlineData(new byte[] { 0xED, 0xA0 })]       // surrogate, already certain after two bytes
    [InlineData(new byte[] { 0xF4, 0x90 })]       // above U+10FFFF
    [InlineData(new byte[] { 0xE0, 0x80 })]       // overlong
    [InlineData(new byte[] { 0xF0, 0x8F, 0xBF })] // overlong
    [InlineData(new byte[] { 0xE2, 0x41 })]       // lead then ASCII, cut before the third byte
    public void Fragment_ending_in_a_prefix_no_valid_sequence_has_fails_on_that_fragment(byte[] prefix)
    {
        // The cut sequence is not merely incomplete: no continuation can make it valid, so the
        // fragment fails now rather than when the next one arrives.
        var validator = new Utf8Validator();
        Assert.False(validator.Feed(Concat(Utf8("abc"), prefix), isFinal: false));
    }

    [Fact]
    public void Surrogate_split_across_fragments_fails_on_the_second_fragment()
    {
        var validator = new Utf8Validator();
        Assert.True(validator.Feed(Bytes(0x61, 0xED), isFinal: false));
        Assert.False(validator.Feed(Bytes(0xA0, 0x80), isFinal: false));
    }

    [Fact]
    public void Reset_forgets_a_pending_sequence()
    {
        var validator = new Utf8Validator();
        Assert.True(validator.Feed(Bytes(0xE2, 0x82), isFinal: false));
        validator.Reset();
        Assert.False(validator.InSequence);
        Assert.True(validator.Feed(Utf8("plain"), isFinal: true));
    }

    [Fact]
    public void Random_valid_text_cut_randomly_is_accepted_and_one_corrupted_byte_is_caught()
    {
        var random = new Random(21);
        for (int run = 0; run < 300; run++)
        {
            var text = RandomUtf8(random, random.Next(0, 60));
            var fragments = RandomChunks(text, random, 7).Select(m => m.ToArray()).ToList();
            fragments.Add([]);
            Assert.True(FeedAll(fragments.ToArray()));

            if (text.Length == 0)
                continue;
            // 0xFF can never appear in UTF-8.
            var corrupted = text.ToArray();
            corrupted[random.Next(corrupted.Length)] = 0xFF;
            var badFragments = RandomChunks(corrupted, random, 7).Select(m => m.ToArray()).ToList();
            badFragments.Add([]);
            Assert.False(FeedAll(badFragments.ToArray()));
        }
    }
}
