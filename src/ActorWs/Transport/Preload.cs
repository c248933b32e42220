using System.Net;
using System.Reflection;
using Akka.Actor;
using ActorWs.Protocol;

namespace ActorWs.Transport;

/// <summary>
/// Loads up front what a connection's failure and close paths would otherwise load on first use.
/// On Linux a loaded assembly keeps its file open, so loading one takes descriptors; a lazy load
/// on a failure path then needs one exactly when a flood has used them up, and the close of a
/// failing connection dies with FileNotFoundException (seen from CloseStatus's UTF-8 check, whose
/// EncoderFallbackException is forwarded through System.Text.Encoding.Extensions).
/// </summary>
internal static class Preload
{
    private static int _done;

    /// <summary>Called as a server starts and as a client connects: the process's lazy loads once,
    /// and <paramref name="system"/>'s scheduler started.</summary>
    public static void Before(ActorSystem system)
    {
        Once();
        // Akka starts its scheduler with the first timer, and whatever schedules meanwhile blocks
        // its pool thread until the scheduler's loop has run on another. The first connections of
        // a flood (a server's accepts or a client's connects) each start a handshake timer: the pool
        // starved, and its remedy, a new thread, needs a descriptor. Started now, the scheduler runs
        // before the first connection.
        system.Scheduler.Advanced.ScheduleOnce(TimeSpan.Zero, static () => { });
    }

    private static void Once()
    {
        if (Interlocked.Exchange(ref _done, 1) == 1)
            return;
        foreach (var assembly in new[] { typeof(Preload).Assembly, typeof(CloseStatus).Assembly })
        {
            foreach (var name in assembly.GetReferencedAssemblies())
            {
                try
                {
                    Assembly.Load(name);
                }
                catch (Exception e) when (e is FileNotFoundException or FileLoadException or BadImageFormatException)
                {
                    // A reference that no code path of this process resolves: nothing to load early.
                }
            }
        }
        // The close path's UTF-8 checks, the rejecting one included (a lone surrogate has no UTF-8
        // form): what they resolve is resolved now, while descriptors are free.
        CloseStatus.Normal("ready").ToPayload();
        new CloseStatus(CloseCodes.NormalClosure, "\ud800").CanSend(out _);
        // IPAddress's static constructor loads System.Runtime.Intrinsics; the runtime runs it at the
        // first accept, which may be the first of a flood.
        _ = IPAddress.Any;
    }
}
