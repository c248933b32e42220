namespace ActorWs.Protocol.Tests;

/// <summary>Shared static state (the count of large bytes in use): run alone, not beside tests that
/// decode large frames.</summary>
[CollectionDefinition(nameof(PayloadBuffersTests), DisableParallelization = true)]
public sealed class PayloadBuffersCollection;

/// <summary>Which buffers are pooled and which are left to the GC, and the signal that the last
/// large one is back (what the actor layer gives memory back on).</summary>
[Collection(nameof(PayloadBuffersTests))]
public class PayloadBuffersTests
{
    [Fact]
    public void Buffers_up_to_the_threshold_come_from_the_pool_and_are_not_counted()
    {
        long before = PayloadBuffers.LargeBytesInUse;
        var small = PayloadBuffers.Rent(PayloadBuffers.LargeThreshold);
        Assert.InRange(small.Length, PayloadBuffers.LargeThreshold, PayloadBuffers.LargeThreshold);
        Assert.Equal(before, PayloadBuffers.LargeBytesInUse);
        PayloadBuffers.Return(small);
        // The pool hands the same array out again: reused, not allocated.
        var again = PayloadBuffers.Rent(PayloadBuffers.LargeThreshold);
        Assert.Same(small, again);
        PayloadBuffers.Return(again);
    }

    [Fact]
    public void Large_buffers_are_allocated_for_their_size_counted_and_not_reused()
    {
        long before = PayloadBuffers.LargeBytesInUse;
        int size = PayloadBuffers.LargeThreshold + 1;
        var large = PayloadBuffers.Rent(size);
        Assert.Equal(size, large.Length); // exactly: no power-of-two rounding of 16 MiB to 32 MiB
        Assert.Equal(before + size, PayloadBuffers.LargeBytesInUse);
        PayloadBuffers.Return(large);
        Assert.Equal(before, PayloadBuffers.LargeBytesInUse);
        var next = PayloadBuffers.Rent(size);
        Assert.NotSame(large, next);
        PayloadBuffers.Return(next);
    }

    [Fact]
    public void Released_is_raised_when_the_last_large_buffer_in_use_comes_back_and_not_before()
    {
        int raised = 0;
        void OnReleased() => Interlocked.Increment(ref raised);
        PayloadBuffers.LargeBuffersReleased += OnReleased;
        try
        {
            var first = PayloadBuffers.Rent(2 << 20);
            var second = PayloadBuffers.Rent(3 << 20);
            PayloadBuffers.Return(first);
            Assert.Equal(0, raised);
            PayloadBuffers.Return(second);
            Assert.Equal(1, raised);
        }
        finally
        {
            PayloadBuffers.LargeBuffersReleased -= OnReleased;
        }
    }
}
