namespace ActorWs.Hardening.Tests.Support;

/// <summary>Counts of a server's handler events across all its connections, and how many were open
/// at once.</summary>
public sealed class HandlerCounts
{
    private long _opened, _closed, _unclean, _live;
    private long _liveTarget = long.MaxValue;
    private readonly TaskCompletionSource _liveReached = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public long Opened => Interlocked.Read(ref _opened);
    public long Closed => Interlocked.Read(ref _closed);
    public long Unclean => Interlocked.Read(ref _unclean);

    /// <summary>Completes when <paramref name="count"/> connections are open at once (one target per instance).</summary>
    public Task WhenOpenAtOnce(long count)
    {
        Interlocked.Exchange(ref _liveTarget, count);
        if (Interlocked.Read(ref _live) >= count)
            _liveReached.TrySetResult();
        return _liveReached.Task;
    }

    /// <summary>Counts an Opened; returns its ordinal (1 for the server's first connection).</summary>
    public long OnOpened()
    {
        if (Interlocked.Increment(ref _live) >= Interlocked.Read(ref _liveTarget))
            _liveReached.TrySetResult();
        return Interlocked.Increment(ref _opened);
    }

    public void OnClosed(Closed c)
    {
        Interlocked.Decrement(ref _live);
        Interlocked.Increment(ref _closed);
        if (!c.WasClean)
            Interlocked.Increment(ref _unclean);
    }
}
