using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using SharpServe.Engine.Kernels.Native;

namespace SharpServe.Bench;

/// <summary>
/// Measures this machine's memory read bandwidth (the decode limit) instead of assuming it: a
/// 1 GiB buffer, far larger than any cache, summed with 512-bit loads by each thread over its own
/// slice (four independent accumulators, no bounds checks); best of several passes. The buffer is native memory
/// aligned to a cache line and in huge pages where the weights are (<see cref="AlignedBuffer"/>): a managed array's
/// elements sit 16 bytes past a line boundary, so every 64-byte load straddled two lines, which read ~12 % slower
/// and understated the limit (2026-12-07: 51–53 GB/s misaligned against 58–60 aligned, 2 threads, same run).
/// </summary>
public static class MemoryBandwidth
{
    public static double MeasureGBps(int threads)
    {
        const int bytes = 1 << 30;
        using var memory = new AlignedBuffer(bytes);
        memory.Memory.Span.Fill(1);
        double best = 0;
        for (int pass = 0; pass < 5; pass++)
        {
            var clock = Stopwatch.StartNew();
            var sums = new long[threads];
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
            {
                var buffer = MemoryMarshal.Cast<byte, Vector512<long>>(memory.Memory.Span);
                int per = buffer.Length / threads;
                ref var item = ref MemoryMarshal.GetReference(buffer);
                item = ref Unsafe.Add(ref item, t * per);
                var acc0 = Vector512<long>.Zero;
                var acc1 = Vector512<long>.Zero;
                var acc2 = Vector512<long>.Zero;
                var acc3 = Vector512<long>.Zero;
                for (int i = 0; i + 3 < per; i += 4)
                {
                    acc0 += Unsafe.Add(ref item, i);
                    acc1 += Unsafe.Add(ref item, i + 1);
                    acc2 += Unsafe.Add(ref item, i + 2);
                    acc3 += Unsafe.Add(ref item, i + 3);
                }

                var acc = acc0 + acc1 + acc2 + acc3;
                sums[t] = Vector512.Sum(acc);
            });
            best = Math.Max(best, bytes / clock.Elapsed.TotalSeconds / 1e9);
            GC.KeepAlive(sums);
        }

        return best;
    }
}
