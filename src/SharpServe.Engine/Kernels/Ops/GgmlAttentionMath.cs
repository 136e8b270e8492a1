using System.Runtime.CompilerServices;
using SharpServe.Engine.Kernels.Simd;

namespace SharpServe.Engine.Kernels.Ops;

/// <summary>
/// The f32 arithmetic of llama.cpp's CPU attention (flash attention off), reproduced operation for
/// operation at the tier's width, so that a Q8_0 model's next activation quantization sees the same bits
/// (an ulp of difference can flip a rounding tie there). Lane width Count plays the role of ggml's vector
/// width: 16 matches its AVX-512 build, 8 its AVX2 build.
/// </summary>
internal static unsafe class GgmlAttentionMath
{
    /// <summary>
    /// q·k as llamafile's tinyBLAS computes it (ggml's choice when n is a multiple of its vector width): one
    /// accumulator over the Count-wide chunks, then the halving-tree sum. n % Count == 0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float DotOneAccumulator<TS, TV>(float* key, float* query, int n)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        TV acc = TS.Zero;
        for (int i = 0; i < n; i += TS.Count)
        {
            acc = TS.MultiplyAdd(TS.Load(key + i), TS.Load(query + i), acc);
        }

        return TS.Sum(acc);
    }

    /// <summary>
    /// <see cref="DotOneAccumulator{TS, TV}"/> of four keys (rows <paramref name="stride"/> floats apart) against two queries (two
    /// heads of one KV group): eight independent fma chains, each key chunk loaded once for both heads, so the fmas rather than
    /// one chain's latency (a prefill's scores had run at ~32 cycles a dot) or the loads set the pace. Each dot keeps its own
    /// chain in chunk order and the same tree, so the same bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void DotOneAccumulator2x4<TS, TV>(float* key, long stride, float* query0, float* query1, int n, float scale, float* scores0, float* scores1)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        TV a0 = TS.Zero, a1 = TS.Zero, a2 = TS.Zero, a3 = TS.Zero;
        TV b0 = TS.Zero, b1 = TS.Zero, b2 = TS.Zero, b3 = TS.Zero;
        for (int i = 0; i < n; i += TS.Count)
        {
            Step2x4<TS, TV>(key + i, stride, TS.Load(query0 + i), TS.Load(query1 + i), ref a0, ref a1, ref a2, ref a3, ref b0, ref b1, ref b2, ref b3);
        }

        scores0[0] = TS.Sum(a0) * scale;
        scores0[1] = TS.Sum(a1) * scale;
        scores0[2] = TS.Sum(a2) * scale;
        scores0[3] = TS.Sum(a3) * scale;
        scores1[0] = TS.Sum(b0) * scale;
        scores1[1] = TS.Sum(b1) * scale;
        scores1[2] = TS.Sum(b2) * scale;
        scores1[3] = TS.Sum(b3) * scale;
    }

    /// <summary>
    /// One step of a 2×4 tile: four rows' vectors (<paramref name="rows"/>, <paramref name="stride"/> floats apart) against two
    /// heads' vectors, a_i = fma(row_i, x0, a_i) and b_i = fma(row_i, x1, b_i), each row vector loaded once for both.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step2x4<TS, TV>(
        float* rows, long stride, TV x0, TV x1, ref TV a0, ref TV a1, ref TV a2, ref TV a3, ref TV b0, ref TV b1, ref TV b2, ref TV b3)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        TV w0 = TS.Load(rows);
        TV w1 = TS.Load(rows + stride);
        TV w2 = TS.Load(rows + (2 * stride));
        TV w3 = TS.Load(rows + (3 * stride));
        a0 = TS.MultiplyAdd(w0, x0, a0);
        a1 = TS.MultiplyAdd(w1, x0, a1);
        a2 = TS.MultiplyAdd(w2, x0, a2);
        a3 = TS.MultiplyAdd(w3, x0, a3);
        b0 = TS.MultiplyAdd(w0, x1, b0);
        b1 = TS.MultiplyAdd(w1, x1, b1);
        b2 = TS.MultiplyAdd(w2, x1, b2);
        b3 = TS.MultiplyAdd(w3, x1, b3);
    }

    /// <summary>
    /// q·k as ggml_vec_dot_f32 computes it (n not a multiple of the width): four accumulators over 4·Count-wide
    /// steps, folded (0+2, 1+3, then 0+1) and tree-summed; the remaining elements added one at a time with FMA.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float DotFourAccumulators<TS, TV>(float* key, float* query, int n)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        int c = TS.Count;
        int steps = n - (n % (4 * c));
        TV s0 = TS.Zero, s1 = TS.Zero, s2 = TS.Zero, s3 = TS.Zero;
        for (int i = 0; i < steps; i += 4 * c)
        {
            s0 = TS.MultiplyAdd(TS.Load(key + i), TS.Load(query + i), s0);
            s1 = TS.MultiplyAdd(TS.Load(key + i + c), TS.Load(query + i + c), s1);
            s2 = TS.MultiplyAdd(TS.Load(key + i + (2 * c)), TS.Load(query + i + (2 * c)), s2);
            s3 = TS.MultiplyAdd(TS.Load(key + i + (3 * c)), TS.Load(query + i + (3 * c)), s3);
        }

        float sum = TS.Sum(TS.Add(TS.Add(s0, s2), TS.Add(s1, s3)));
        for (int i = steps; i < n; i++)
        {
            sum = MathF.FusedMultiplyAdd(key[i], query[i], sum);
        }

        return sum;
    }

    /// <summary>
    /// ggml's soft_max over a row padded to a multiple of Count with −∞ (its masked cells): e = exp(x − max) per
    /// Count-wide chunk, each chunk tree-summed into a double total, then p = e · (float)(1 / total).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Softmax<TS, TV>(float* row, int paddedLength, float max)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        TV shift = TS.Broadcast(max);
        double total = 0;
        for (int i = 0; i < paddedLength; i += TS.Count)
        {
            TV e = TS.Exp(TS.Subtract(TS.Load(row + i), shift));
            TS.Store(row + i, e);
            total += TS.Sum(e);
        }

        TV scale = TS.Broadcast((float)(1.0 / total));
        for (int i = 0; i < paddedLength; i += TS.Count)
        {
            TS.Store(row + i, TS.Multiply(TS.Load(row + i), scale));
        }
    }

    /// <summary>lane[0, n) = fma(row, weight, lane): one position's contribution to its lane (position mod Count).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AccumulateLane<TS, TV>(float* lane, float* row, float weight, int n)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        TV w = TS.Broadcast(weight);
        int i = 0;
        for (; i <= n - TS.Count; i += TS.Count)
        {
            TS.Store(lane + i, TS.MultiplyAdd(TS.Load(row + i), w, TS.Load(lane + i)));
        }

        for (; i < n; i++)
        {
            lane[i] = MathF.FusedMultiplyAdd(row[i], weight, lane[i]);
        }
    }

    /// <summary>
    /// <see cref="AccumulateLane{TS, TV}"/> for four consecutive positions (lanes and value rows each <paramref name="laneStride"/>
    /// and <paramref name="rowStride"/> floats apart), chunk by chunk so the four independent load-fma-store chains overlap.
    /// n % Count == 0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AccumulateLanes4<TS, TV>(float* lane, long laneStride, float* row, long rowStride, float* weights, int n)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        TV w0 = TS.Broadcast(weights[0]), w1 = TS.Broadcast(weights[1]), w2 = TS.Broadcast(weights[2]), w3 = TS.Broadcast(weights[3]);
        float* l1 = lane + laneStride;
        float* l2 = l1 + laneStride;
        float* l3 = l2 + laneStride;
        float* r1 = row + rowStride;
        float* r2 = r1 + rowStride;
        float* r3 = r2 + rowStride;
        for (int i = 0; i < n; i += TS.Count)
        {
            TS.Store(lane + i, TS.MultiplyAdd(TS.Load(row + i), w0, TS.Load(lane + i)));
            TS.Store(l1 + i, TS.MultiplyAdd(TS.Load(r1 + i), w1, TS.Load(l1 + i)));
            TS.Store(l2 + i, TS.MultiplyAdd(TS.Load(r2 + i), w2, TS.Load(l2 + i)));
            TS.Store(l3 + i, TS.MultiplyAdd(TS.Load(r3 + i), w3, TS.Load(l3 + i)));
        }
    }

    /// <summary>
    /// Four dims (d .. d + 3) of two heads' weighted values over the first <paramref name="positions"/> positions of a chunk of
    /// V tiles (<paramref name="tiles"/>[i]: [headDim, 16] f32, positions 16·i .. 16·i + 15): eight Count-wide chains, lane l
    /// of a vector taking the positions ≡ l mod Count in order, loaded from and stored back to the accumulators
    /// ([4, Count] each, dims apart by Count). Each tile row's vectors are loaded once for both heads' probabilities.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AccumulateTiles2x4<TS, TV>(float** tiles, int positions, int d, float* probabilities0, float* probabilities1, float* accumulators0, float* accumulators1)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        const int Slots = 16;
        int c = TS.Count;
        TV a0 = TS.Load(accumulators0), a1 = TS.Load(accumulators0 + c), a2 = TS.Load(accumulators0 + (2 * c)), a3 = TS.Load(accumulators0 + (3 * c));
        TV b0 = TS.Load(accumulators1), b1 = TS.Load(accumulators1 + c), b2 = TS.Load(accumulators1 + (2 * c)), b3 = TS.Load(accumulators1 + (3 * c));
        for (int p = 0; p < positions; p += c)
        {
            float* v = tiles[p / Slots] + ((long)d * Slots) + (p % Slots);
            Step2x4<TS, TV>(v, Slots, TS.Load(probabilities0 + p), TS.Load(probabilities1 + p), ref a0, ref a1, ref a2, ref a3, ref b0, ref b1, ref b2, ref b3);
        }

        TS.Store(accumulators0, a0);
        TS.Store(accumulators0 + c, a1);
        TS.Store(accumulators0 + (2 * c), a2);
        TS.Store(accumulators0 + (3 * c), a3);
        TS.Store(accumulators1, b0);
        TS.Store(accumulators1 + c, b1);
        TS.Store(accumulators1 + (2 * c), b2);
        TS.Store(accumulators1 + (3 * c), b3);
    }

    /// <summary>
    /// output[0, n) = the halving-tree sum of the Count lane rows ([Count, n]), the same tree tinyBLAS's hsum
    /// applies to each output's accumulator (lane i + lane i+half, halving down to one).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SumLanes<TS, TV>(float* lanes, int n, float* output)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        for (int half = TS.Count / 2; half >= 1; half /= 2)
        {
            for (int l = 0; l < half; l++)
            {
                VectorOps.Add<TS, TV>(lanes + ((long)l * n), lanes + ((long)(l + half) * n), n);
            }
        }

        new ReadOnlySpan<float>(lanes, n).CopyTo(new Span<float>(output, n));
    }
}
