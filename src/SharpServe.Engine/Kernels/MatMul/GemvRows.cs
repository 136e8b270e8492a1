using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using SharpServe.Engine.Kernels.Simd;

namespace SharpServe.Engine.Kernels.MatMul;

/// <summary>
/// Matrix-vector rows for a few tokens: y[t, r] = W[r, :] · x[t, :] + bias[r] for r in [rowStart, rowEnd)
/// and the <c>TN.Count</c> tokens starting at t0. Memory-bound: each weight chunk is loaded and widened once
/// and used for every token of the group. One row at a time keeps a single sequential weight stream per
/// thread (measured: four rows in lockstep ran at a third of the bandwidth), helped by a software prefetch.
/// </summary>
internal static unsafe class GemvRows
{
    /// <summary>
    /// Bytes ahead of the weight stream to prefetch. Measured on the 2-core Zen 5 (one thread):
    /// none → 13–23 GB/s on 8960-wide rows, whose x no longer stays in L1; 4 KiB → 24–29; 8 KiB → 29–35;
    /// 16 KiB is worse again.
    /// </summary>
    public const int PrefetchDistance = 8192;

    /// <summary>
    /// Prefetches the cache lines of the <paramref name="bytes"/>-byte block at <paramref name="ahead"/>, one every 64
    /// bytes: the blocks are not line-aligned, but the prefetches of consecutive blocks are never more than a line
    /// apart (the last one lies within 64 bytes of the block's end), so every line of the stream is fetched. One
    /// prefetch per Q4_K (144-byte) or Q6_K (210-byte) block left a line or two of each block to the hardware.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void PrefetchBlock<TS, TV>(byte* ahead, int bytes)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        TS.Prefetch(ahead);
        if (bytes > 64)
        {
            TS.Prefetch(ahead + 64);
        }

        if (bytes > 128)
        {
            TS.Prefetch(ahead + 128);
        }

        if (bytes > 192)
        {
            TS.Prefetch(ahead + 192);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void F32<TS, TV, TN>(in GemvOperands op, int t0, int rowStart, int rowEnd)
        where TS : struct, ISimd<TV>
        where TV : struct
        where TN : struct, ITokenGroup
    {
        int count = TS.Count;
        int columns = op.Columns;
        float* x0 = op.X + ((long)t0 * columns);
        float* x1 = x0 + columns;
        float* x2 = x1 + columns;
        float* x3 = x2 + columns;
        for (int r = rowStart; r < rowEnd; r++)
        {
            float* w = (float*)op.Weights + ((long)r * columns);
            TV a0 = TS.Zero, a1 = TS.Zero, a2 = TS.Zero, a3 = TS.Zero;
            int i = 0;
            for (; i <= columns - count; i += count)
            {
                TS.Prefetch((byte*)(w + i) + PrefetchDistance);
                TV wv = TS.Load(w + i);
                a0 = TS.MultiplyAdd(wv, TS.Load(x0 + i), a0);
                if (TN.Count > 1)
                {
                    a1 = TS.MultiplyAdd(wv, TS.Load(x1 + i), a1);
                }

                if (TN.Count > 2)
                {
                    a2 = TS.MultiplyAdd(wv, TS.Load(x2 + i), a2);
                }

                if (TN.Count > 3)
                {
                    a3 = TS.MultiplyAdd(wv, TS.Load(x3 + i), a3);
                }
            }

            float s0 = TS.Sum(a0), s1 = TS.Sum(a1), s2 = TS.Sum(a2), s3 = TS.Sum(a3);
            for (; i < columns; i++)
            {
                s0 += w[i] * x0[i];
                s1 += TN.Count > 1 ? w[i] * x1[i] : 0;
                s2 += TN.Count > 2 ? w[i] * x2[i] : 0;
                s3 += TN.Count > 3 ? w[i] * x3[i] : 0;
            }

            Store<TN>(op, t0, r, s0, s1, s2, s3);
        }
    }

    /// <summary>F16 or BF16 weights (<typeparamref name="TF"/>) against deinterleaved activations.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Pairs<TS, TV, TN, TF>(in GemvOperands op, int t0, int rowStart, int rowEnd)
        where TS : struct, ISimd<TV>
        where TV : struct
        where TN : struct, ITokenGroup
        where TF : struct, IPairFormat
    {
        int count = TS.Count;
        int columns = op.Columns;
        int full = columns - (columns % (2 * count));
        float* p0 = op.XPairs + ((long)t0 * columns);
        float* p1 = p0 + columns;
        float* p2 = p1 + columns;
        float* p3 = p2 + columns;
        for (int r = rowStart; r < rowEnd; r++)
        {
            ushort* w = (ushort*)op.Weights + ((long)r * columns);
            TV e0 = TS.Zero, o0 = TS.Zero, e1 = TS.Zero, o1 = TS.Zero, e2 = TS.Zero, o2 = TS.Zero, e3 = TS.Zero, o3 = TS.Zero;
            for (int i = 0; i < full; i += 2 * count)
            {
                TS.Prefetch((byte*)(w + i) + PrefetchDistance);
                TV pairs = TS.LoadPairs(w + i);
                TV even = TF.Even<TS, TV>(pairs);
                TV odd = TF.Odd<TS, TV>(pairs);
                e0 = TS.MultiplyAdd(even, TS.Load(p0 + i), e0);
                o0 = TS.MultiplyAdd(odd, TS.Load(p0 + i + count), o0);
                if (TN.Count > 1)
                {
                    e1 = TS.MultiplyAdd(even, TS.Load(p1 + i), e1);
                    o1 = TS.MultiplyAdd(odd, TS.Load(p1 + i + count), o1);
                }

                if (TN.Count > 2)
                {
                    e2 = TS.MultiplyAdd(even, TS.Load(p2 + i), e2);
                    o2 = TS.MultiplyAdd(odd, TS.Load(p2 + i + count), o2);
                }

                if (TN.Count > 3)
                {
                    e3 = TS.MultiplyAdd(even, TS.Load(p3 + i), e3);
                    o3 = TS.MultiplyAdd(odd, TS.Load(p3 + i + count), o3);
                }
            }

            float scale = TF.SumScale;
            float s0 = TS.Sum(TS.Add(e0, o0)) * scale, s1 = TS.Sum(TS.Add(e1, o1)) * scale, s2 = TS.Sum(TS.Add(e2, o2)) * scale, s3 = TS.Sum(TS.Add(e3, o3)) * scale;
            float* x0 = op.X + ((long)t0 * columns);
            for (int i = full; i < columns; i++)
            {
                float weight = TF.Scalar(w[i]);
                s0 += weight * x0[i];
                s1 += TN.Count > 1 ? weight * x0[columns + i] : 0;
                s2 += TN.Count > 2 ? weight * x0[(2 * columns) + i] : 0;
                s3 += TN.Count > 3 ? weight * x0[(3 * columns) + i] : 0;
            }

            Store<TN>(op, t0, r, s0, s1, s2, s3);
        }
    }

    /// <summary>y[t0 + j, r] = s_j + bias[r] for the group's tokens (inlined so unused sums fold away).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store<TN>(in GemvOperands op, int t0, int r, float s0, float s1, float s2, float s3)
        where TN : struct, ITokenGroup
    {
        // No bias means no add at all, as in ggml (x + 0 would turn −0 into +0).
        float* bias = op.Bias == null ? null : op.Bias + r;
        float* y = op.Y + ((long)t0 * op.Rows) + r;
        y[0] = bias == null ? s0 : s0 + *bias;
        if (TN.Count > 1)
        {
            y[op.Rows] = bias == null ? s1 : s1 + *bias;
        }

        if (TN.Count > 2)
        {
            y[2L * op.Rows] = bias == null ? s2 : s2 + *bias;
        }

        if (TN.Count > 3)
        {
            y[3L * op.Rows] = bias == null ? s3 : s3 + *bias;
        }
    }
}
