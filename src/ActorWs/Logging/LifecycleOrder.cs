namespace ActorWs.Logging;

/// <summary>
/// The one order of a process's lifecycle events: each is stamped and published under one lock, so
/// an observer receives them in the order of their <see cref="LifecycleEvent.Timestamp"/>s, whatever
/// thread published them. An observer that merges them with another process's events (the demo's
/// two-process log) needs to know when nothing older can still come; <see cref="Stamped"/> gives it
/// a mark in that same order, with no allowance for a thread that stalled between the two steps.
/// </summary>
public static class LifecycleOrder
{
    private static readonly Lock Gate = new();

    /// <summary>
    /// Calls <paramref name="publish"/> with the current time under the lock every lifecycle event is
    /// stamped and published under: whatever was published before it carries an earlier or equal
    /// time, and whatever is published after it a later or equal one. <paramref name="publish"/> must
    /// only enqueue (publish to the event stream, tell an actor): it holds every tracing connection up.
    /// </summary>
    public static void Stamped(Action<DateTime> publish)
    {
        lock (Gate)
            publish(DateTime.UtcNow);
    }
}
