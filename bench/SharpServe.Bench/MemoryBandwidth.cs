using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace SharpServe.Bench;

/// <summary>
/// Measures this machine's memory read bandwidth (the decode limit) instead of assuming it: a
/// 1 GiB buffer, far larger than any cache, summed with 512-bit loads by each thread over its own
/// slice; best of several passes.
/// </summary>
public static class MemoryBandwidth
{
    public static double MeasureGBps(int threads)
    {
        const int bytes = 1 << 30;
        var buffer = new Vector512<long>[bytes / 64];
        Array.Fill(buffer, Vector512<long>.One);
        double best = 0;
        for (int pass = 0; pass < 5; pass++)
        {
            var clock = Stopwatch.StartNew();
            var sums = new long[threads];
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
            {
                int per = buffer.Length / threads;
                var slice = buffer.AsSpan(t * per, per);
                var acc0 = Vector512<long>.Zero;
                var acc1 = Vector512<long>.Zero;
                for (int i = 0; i + 1 < slice.Length; i += 2)
                {
                    acc0 += slice[i];
                    acc1 += slice[i + 1];
                }

                sums[t] = Vector512.Sum(acc0 + acc1);
            });
            best = Math.Max(best, bytes / clock.Elapsed.TotalSeconds / 1e9);
            GC.KeepAlive(sums);
        }

        return best;
    }
}
