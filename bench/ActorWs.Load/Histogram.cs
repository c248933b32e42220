namespace ActorWs.Load;

/// <summary>
/// Allocation-free log-linear latency histogram (64 sub-buckets per power of two, so about 1.6 %
/// relative precision) over Stopwatch ticks. One per connection (no sharing on the hot path), merged at the end.
/// </summary>
public sealed class Histogram
{
    private const int Linear = 128;          // values below this are exact
    private const int SubBits = 6;           // 64 sub-buckets per octave above that
    private const int Octaves = 57;
    private readonly long[] _counts = new long[Linear + Octaves * (1 << SubBits)];

    public long Count { get; private set; }

    public void Record(long value)
    {
        if (value < 0)
        {
            value = 0;
        }
        _counts[Index(value)]++;
        Count++;
    }

    private static int Index(long v)
    {
        if (v < Linear)
        {
            return (int)v;
        }
        int e = 63 - System.Numerics.BitOperations.LeadingZeroCount((ulong)v); // >= 7
        int mantissa = (int)(v >> (e - SubBits)) & ((1 << SubBits) - 1);
        int idx = Linear + (e - 7) * (1 << SubBits) + mantissa;
        return Math.Min(idx, Linear + Octaves * (1 << SubBits) - 1);
    }

    private static double Mid(int idx)
    {
        if (idx < Linear)
        {
            return idx;
        }
        int rel = idx - Linear;
        int e = rel / (1 << SubBits) + 7;
        int mantissa = rel % (1 << SubBits);
        double low = (double)((1L << e) + ((long)mantissa << (e - SubBits)));
        double width = 1L << (e - SubBits);
        return low + width / 2;
    }

    public void Add(Histogram other)
    {
        for (int i = 0; i < _counts.Length; i++)
        {
            _counts[i] += other._counts[i];
        }
        Count += other.Count;
    }

    /// <summary>Value (in recorded units) at quantile q (0..1); NaN when empty.</summary>
    public double Quantile(double q)
    {
        if (Count == 0)
        {
            return double.NaN;
        }
        long rank = Math.Max(1, (long)Math.Ceiling(q * Count));
        long seen = 0;
        for (int i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= rank)
            {
                return Mid(i);
            }
        }
        return Mid(_counts.Length - 1);
    }
}
