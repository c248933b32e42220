using System.Runtime;
using ActorWs.Protocol;

namespace ActorWs.Memory;

/// <summary>
/// Gives the memory of large messages back to the system once they are over. A buffer over 1 MiB is
/// not pooled (<see cref="PayloadBuffers"/>), but garbage is only freed by a collection, and with no
/// more allocation after a burst there is none: the process would keep its peak for good. So when
/// the last large buffer is returned and <c>actorws.memory.reclaim-after</c> passes without another
/// one, the process runs one compacting full collection in the GC's aggressive mode, which also
/// returns the freed memory to the operating system. One pause after a burst, never one per message.
/// </summary>
internal static class MemoryReclaimer
{
    private static readonly Lock Gate = new();
    private static Timer? _timer;
    private static TimeSpan _after = Timeout.InfiniteTimeSpan;

    /// <summary>Turns reclaiming on with the shortest delay any server or client of the process asked
    /// for; <see cref="TimeSpan.Zero"/> asks for none.</summary>
    public static void Enable(TimeSpan after)
    {
        if (after <= TimeSpan.Zero)
            return;
        lock (Gate)
        {
            if (_timer is null)
            {
                _timer = new Timer(_ => Reclaim(), null, Timeout.Infinite, Timeout.Infinite);
                PayloadBuffers.LargeBuffersReleased += Schedule;
            }
            if (_after == Timeout.InfiniteTimeSpan || after < _after)
                _after = after;
        }
    }

    /// <summary>A large payload an application lent to a writer has been written: it is garbage now,
    /// or soon, and unlike a pooled buffer its end would schedule no collection (a 16 MiB echo that
    /// is still being written when the reader's buffers go would otherwise stay resident).</summary>
    public static void LargeLentReleased() => Schedule();

    /// <summary>Restarted by each release: a steady stream of large messages is left alone.</summary>
    private static void Schedule()
    {
        lock (Gate)
            _timer?.Change(_after, Timeout.InfiniteTimeSpan);
    }

    private static void Reclaim()
    {
        // A large message began since: its own release will schedule the next try.
        if (PayloadBuffers.LargeBytesInUse > 0)
            return;
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
    }
}
