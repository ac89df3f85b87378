using System;

namespace Conserv.Bench.LoadClient;

/// <summary>
/// Round-trip times in fixed buckets, one histogram per connection so recording takes no lock:
/// 0.1 µs steps to 1 ms, 10 µs steps to 100 ms, 1 ms steps to 10 s, then one overflow bucket.
/// </summary>
public sealed class LatencyHistogram
{
    private const int FineCount = 10_000;   // 0.1 µs steps up to 1 ms
    private const int MidCount = 9_900;     // 10 µs steps up to 100 ms
    private const int CoarseCount = 9_900;  // 1 ms steps up to 10 s
    private readonly long[] _counts = new long[FineCount + MidCount + CoarseCount + 1];

    /// <summary>Samples recorded.</summary>
    public long Count { get; private set; }

    /// <summary>The largest sample, in nanoseconds.</summary>
    public double MaxNanoseconds { get; private set; }

    /// <summary>Records one round trip.</summary>
    /// <param name="nanoseconds">Its duration.</param>
    public void Record(double nanoseconds)
    {
        _counts[Index(nanoseconds)]++;
        Count++;
        if (nanoseconds > MaxNanoseconds)
        {
            MaxNanoseconds = nanoseconds;
        }
    }

    /// <summary>Adds another histogram's samples to this one.</summary>
    /// <param name="other">The histogram to add.</param>
    public void Add(LatencyHistogram other)
    {
        for (int i = 0; i < _counts.Length; i++)
        {
            _counts[i] += other._counts[i];
        }

        Count += other.Count;
        MaxNanoseconds = Math.Max(MaxNanoseconds, other.MaxNanoseconds);
    }

    /// <summary>The smallest bucket bound below which <paramref name="fraction"/> of the samples lie, in microseconds.</summary>
    /// <param name="fraction">0 to 1, e.g. 0.99.</param>
    /// <returns>The percentile in microseconds, or NaN without samples.</returns>
    public double PercentileMicroseconds(double fraction)
    {
        if (Count == 0)
        {
            return double.NaN;
        }

        long rank = Math.Max(1, (long)Math.Ceiling(fraction * Count));
        long seen = 0;
        for (int i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= rank)
            {
                return i == _counts.Length - 1 ? MaxNanoseconds / 1000 : UpperBoundMicroseconds(i);
            }
        }

        return MaxNanoseconds / 1000;
    }

    private static int Index(double ns)
    {
        if (ns < 1_000_000)
        {
            return (int)(ns / 100);
        }

        if (ns < 100_000_000)
        {
            return FineCount + (int)((ns - 1_000_000) / 10_000);
        }

        if (ns < 10_000_000_000)
        {
            return FineCount + MidCount + (int)((ns - 100_000_000) / 1_000_000);
        }

        return FineCount + MidCount + CoarseCount;
    }

    private static double UpperBoundMicroseconds(int index)
    {
        if (index < FineCount)
        {
            return (index + 1) * 0.1;
        }

        if (index < FineCount + MidCount)
        {
            return 1_000 + ((index - FineCount + 1) * 10.0);
        }

        return 100_000 + ((index - FineCount - MidCount + 1) * 1_000.0);
    }
}
