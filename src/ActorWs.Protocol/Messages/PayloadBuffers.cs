using System.Buffers;

namespace ActorWs.Protocol;

/// <summary>
/// The buffers frames and messages are read into and written from. Up to <see cref="LargeThreshold"/>
/// they come from <see cref="ArrayPool{T}.Shared"/> and are reused: the common case costs no
/// allocation. Larger ones are allocated for the one use and left to the GC: the shared pool keeps
/// what it is given on each core and trims only in a full GC under memory pressure, so a burst of
/// 16 MiB messages (Autobahn 9.*) would stay resident for good — an idle server held 230 MB after
/// twenty of them. <see cref="LargeBytesInUse"/> and <see cref="LargeBuffersReleased"/> let the
/// application layer decide when to give that memory back to the system.
/// </summary>
public static class PayloadBuffers
{
    /// <summary>Buffers longer than this (1 MiB) are not pooled.</summary>
    public const int LargeThreshold = 1 << 20;

    private static long _largeBytesInUse;

    /// <summary>Bytes in large buffers rented and not yet returned.</summary>
    public static long LargeBytesInUse => Interlocked.Read(ref _largeBytesInUse);

    /// <summary>Raised, on the thread that returned it, when the last large buffer in use is returned.</summary>
    public static event Action? LargeBuffersReleased;

    /// <summary>A buffer of at least <paramref name="minimumLength"/> bytes, not cleared.</summary>
    public static byte[] Rent(int minimumLength)
    {
        if (minimumLength <= LargeThreshold)
            return ArrayPool<byte>.Shared.Rent(minimumLength);
        var buffer = GC.AllocateUninitializedArray<byte>(minimumLength);
        Interlocked.Add(ref _largeBytesInUse, buffer.Length);
        return buffer;
    }

    /// <summary>Gives back a buffer from <see cref="Rent"/>; it must not be used after.</summary>
    public static void Return(byte[] buffer)
    {
        if (buffer.Length <= LargeThreshold)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            return;
        }
        if (Interlocked.Add(ref _largeBytesInUse, -buffer.Length) == 0)
            LargeBuffersReleased?.Invoke();
    }
}
