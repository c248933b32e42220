namespace ActorWs.Testing;

/// <summary>Actor names that do not collide when servers and clients start side by side in one
/// actor system.</summary>
public static class UniqueName
{
    private static int _count;

    public static string For(string prefix) => $"{prefix}-{Interlocked.Increment(ref _count)}";
}
