namespace ActorWs.Client;

/// <summary>
/// The delays between a client's reconnects. Reconnect #1 waits a random time, uniformly in
/// [reconnect.min-backoff, reconnect.first-delay-max] (RFC 6455 §7.2.3: clients dropped together
/// must not come back together); reconnect #n waits that first delay doubled n−1 times, multiplied
/// by 1 + random(0, reconnect.random-factor), and never more than reconnect.max-backoff.
/// <see cref="Reset"/> (a connection that stayed up) starts again at #1 with a first delay drawn anew.
/// No clock and no actor: the caller decides when a connection counts as stable.
/// </summary>
internal sealed class ReconnectBackoff
{
    // 2^64 ticks is past any TimeSpan: doubling further only risks an infinity.
    private const int MaxDoublings = 64;

    private readonly TimeSpan _min, _firstMax, _max;
    private readonly double _randomFactor;
    private readonly Random _random;

    public ReconnectBackoff(WebSocketSettings settings, Random random)
    {
        // Checked when the settings were read; repeated because a record can be changed with `with`.
        if (settings.ReconnectMinBackoff <= TimeSpan.Zero || settings.ReconnectFirstDelayMax < settings.ReconnectMinBackoff
            || settings.ReconnectMaxBackoff < settings.ReconnectFirstDelayMax || settings.ReconnectRandomFactor < 0)
            throw new ArgumentException("reconnect delays need 0 < min-backoff <= first-delay-max <= max-backoff and random-factor >= 0", nameof(settings));
        _min = settings.ReconnectMinBackoff;
        _firstMax = settings.ReconnectFirstDelayMax;
        _max = settings.ReconnectMaxBackoff;
        _randomFactor = settings.ReconnectRandomFactor;
        _random = random;
    }

    /// <summary>The number of the reconnect <see cref="Next"/> last gave a delay for; 0 before the
    /// first and after <see cref="Reset"/>.</summary>
    public int Attempt { get; private set; }

    /// <summary>The random first delay the current series doubles; drawn by the first <see cref="Next"/> after a reset.</summary>
    public TimeSpan FirstDelay { get; private set; }

    /// <summary>The delay before the next reconnect; <see cref="Attempt"/> becomes its number.</summary>
    public TimeSpan Next()
    {
        if (Attempt == 0)
        {
            FirstDelay = _min + (_firstMax - _min) * _random.NextDouble();
            Attempt = 1;
            return FirstDelay;
        }
        if (Attempt < int.MaxValue)
            Attempt++;
        double ticks = FirstDelay.Ticks * Math.Pow(2, Math.Min(Attempt - 1, MaxDoublings)) * (1 + _random.NextDouble() * _randomFactor);
        return ticks >= _max.Ticks ? _max : TimeSpan.FromTicks((long)ticks);
    }

    /// <summary>The connection stayed up long enough: the next reconnect is #1 again, with a fresh random delay.</summary>
    public void Reset() => Attempt = 0;
}
