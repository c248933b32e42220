namespace ActorWs.Tests;

/// <summary>
/// The reconnect delays (RFC 6455 §7.2.3) as properties over many seeded random sequences: a first
/// delay uniform in [min-backoff, first-delay-max], then that delay doubled with jitter, never past
/// max-backoff, and a reset that starts again from a freshly drawn first delay.
/// </summary>
public sealed class ReconnectBackoffTests
{
    private const int Seeds = 2000;
    private static readonly TimeSpan Min = TimeSpan.FromMilliseconds(100), FirstMax = TimeSpan.FromMilliseconds(500), Max = TimeSpan.FromSeconds(2);
    private const double RandomFactor = 0.2;

    private static readonly WebSocketSettings Small = TestSettings.Create(
        "actorws.reconnect { min-backoff = 100ms, first-delay-max = 500ms, max-backoff = 2s, random-factor = 0.2 }");

    /// <summary>A cap far enough away that a dozen doublings stay under it.</summary>
    private static readonly WebSocketSettings Uncapped = Small with { ReconnectMaxBackoff = TimeSpan.FromDays(1) };

    private static IEnumerable<ReconnectBackoff> ForEachSeed(WebSocketSettings settings, int seeds = Seeds) =>
        Enumerable.Range(0, seeds).Select(seed => new ReconnectBackoff(settings, new Random(seed)));

    [Fact]
    public void First_reconnect_delay_is_random_within_its_bounds_and_covers_them_uniformly()
    {
        var tenths = new int[10];
        var delays = new List<TimeSpan>();
        foreach (var backoff in ForEachSeed(Small))
        {
            var delay = backoff.Next();
            Assert.Equal(1, backoff.Attempt);
            Assert.Equal(delay, backoff.FirstDelay);
            Assert.InRange(delay, Min, FirstMax);
            delays.Add(delay);
            tenths[Math.Min(9, (int)((delay - Min) / (FirstMax - Min) * 10))]++;
        }
        // About 200 in each tenth of the range; 120..280 is six standard deviations either way.
        Assert.All(tenths, n => Assert.InRange(n, 120, 280));
        Assert.InRange(delays.Min(), Min, Min + TimeSpan.FromMilliseconds(4));
        Assert.InRange(delays.Max(), FirstMax - TimeSpan.FromMilliseconds(4), FirstMax);
    }

    [Fact]
    public void Each_later_delay_is_the_first_doubled_with_jitter_up_to_the_random_factor()
    {
        var jitters = new List<double>();
        foreach (var backoff in ForEachSeed(Uncapped))
        {
            var first = backoff.Next();
            for (int n = 2; n <= 12; n++)
            {
                var delay = backoff.Next();
                Assert.Equal(n, backoff.Attempt);
                Assert.Equal(first, backoff.FirstDelay);
                double doubled = first.Ticks * Math.Pow(2, n - 1);
                Assert.InRange(delay.Ticks, (long)doubled, (long)(doubled * (1 + RandomFactor)));
                jitters.Add(delay.Ticks / doubled - 1);
            }
        }
        // Spread over the whole of [0, random-factor), not stuck at one end.
        Assert.InRange(jitters.Min(), 0, 0.005);
        Assert.InRange(jitters.Max(), RandomFactor - 0.005, RandomFactor);
        Assert.InRange(jitters.Average(), RandomFactor / 2 - 0.01, RandomFactor / 2 + 0.01);
    }

    [Fact]
    public void Without_jitter_each_delay_is_exactly_the_first_doubled()
    {
        foreach (var backoff in ForEachSeed(Uncapped with { ReconnectRandomFactor = 0 }, seeds: 100))
        {
            var first = backoff.Next();
            for (int n = 2; n <= 12; n++)
                Assert.Equal(first.Ticks << (n - 1), backoff.Next().Ticks);
        }
    }

    [Fact]
    public void Delay_never_exceeds_max_backoff_and_stays_there_once_reached()
    {
        foreach (var backoff in ForEachSeed(Small))
        {
            bool capped = false;
            for (int n = 1; n <= 50; n++)
            {
                var delay = backoff.Next();
                Assert.True(delay <= Max, $"reconnect #{n}: {delay} is past the cap");
                if (capped)
                    Assert.Equal(Max, delay);
                capped |= delay == Max;
            }
            // 100 ms doubled 5 times is 3.2 s: every series reaches the cap by reconnect #6.
            Assert.True(capped);
        }
    }

    [Fact]
    public void Delay_stays_at_the_cap_for_any_number_of_attempts_without_overflow()
    {
        // The largest cap there is and the largest jitter allowed: only the exponent's bound and the
        // comparison before the conversion to ticks keep this from overflowing.
        var backoff = new ReconnectBackoff(Small with { ReconnectMaxBackoff = TimeSpan.MaxValue, ReconnectRandomFactor = 10 }, new Random(7));
        for (int n = 1; n <= 100_000; n++)
        {
            var delay = backoff.Next();
            Assert.True(delay >= Min, $"reconnect #{n}: {delay}");
            if (n > 64)
                Assert.Equal(TimeSpan.MaxValue, delay);
        }
        Assert.Equal(100_000, backoff.Attempt);
    }

    [Fact]
    public void Reset_makes_the_next_delay_a_first_one_again_freshly_drawn()
    {
        int drawnAnew = 0;
        foreach (var backoff in ForEachSeed(Small))
        {
            var before = backoff.Next();
            backoff.Next();
            backoff.Next();
            backoff.Reset();
            Assert.Equal(0, backoff.Attempt);

            var first = backoff.Next();
            Assert.Equal(1, backoff.Attempt);
            Assert.Equal(first, backoff.FirstDelay);
            Assert.InRange(first, Min, FirstMax);
            if (first != before)
                drawnAnew++;
            // The new series doubles the new first delay.
            var second = backoff.Next();
            Assert.InRange(second.Ticks, first.Ticks * 2, (long)(first.Ticks * 2 * (1 + RandomFactor)));
        }
        Assert.Equal(Seeds, drawnAnew);
    }

    [Fact]
    public void Delays_that_contradict_each_other_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new ReconnectBackoff(Small with { ReconnectFirstDelayMax = TimeSpan.FromMilliseconds(50) }, new Random(1)));
        Assert.Throws<ArgumentException>(() => new ReconnectBackoff(Small with { ReconnectMaxBackoff = TimeSpan.FromMilliseconds(400) }, new Random(1)));
        Assert.Throws<ArgumentException>(() => new ReconnectBackoff(Small with { ReconnectMinBackoff = TimeSpan.Zero }, new Random(1)));
    }
}
