using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using SharpServe.Engine.Kernels.Simd;

namespace SharpServe.Engine.Kernels.MatMul;

/// <summary>
/// A 4-bit weight format run by <see cref="BiasedRows"/>: rows of equal groups, each group <see cref="RunsPerGroup"/> runs
/// of 32 values, and how one run of up to four rows becomes a <see cref="BiasedTile"/> (Q4_0: <see cref="Q4Rows"/>,
/// Awq4: <see cref="AwqRows"/>).
/// </summary>
internal unsafe interface IBiasedFormat
{
    static abstract int GroupBytes { get; }

    static abstract int RunsPerGroup { get; }

    /// <summary>Run <paramref name="run"/> of the groups at w0..w3 (TR.Count == 1: w0 only) as DotQ8Biased's weights and scales.</summary>
    static abstract BiasedTile Tile<TR>(byte* w0, byte* w1, byte* w2, byte* w3, int run, float* halfTable)
        where TR : struct, ITokenGroup;
}

/// <summary>
/// 4-bit weights against Q8_0-quantized activations (<see cref="ActivationQuantizer"/>) in tiles of TR.Count rows ×
/// TN.Count tokens, each (row, token) in llama.cpp's ggml_vec_dot order (<see cref="GgmlQ8"/>): per 32-value run 8 exact
/// integer lanes, acc = fma(fp32(w.d)·fp32(x.d), lanes, acc), then hsum_float_8. A tile's rows are adjacent, so they are
/// one linear stream of TR.Count·GroupBytes bytes per group, prefetched as such at least a whole tile ahead (as
/// <see cref="Q8Tiles"/> does; without a software prefetch one stream per thread reaches about half the bandwidth).
/// </summary>
internal static unsafe class BiasedRows
{
    /// <summary>y[t, r] for r in [rowStart, rowEnd) and the TN.Count tokens from t0 (a group of <see cref="QuantizeJob{TS, TV}"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<TS, TV, TN, TR, TF>(in GemvOperands op, int t0, int rowStart, int rowEnd)
        where TS : struct, ISimd<TV>
        where TV : struct
        where TN : struct, ITokenGroup
        where TR : struct, ITokenGroup
        where TF : struct, IBiasedFormat
    {
        int columns = op.Columns;
        int blocks = columns / 32;
        int groups = blocks / TF.RunsPerGroup;
        long rowBytes = (long)groups * TF.GroupBytes;
        float* halfTable = HalfTable.Pointer;
        // The group's tokens, block after block (QuantizeJob's layout): group t0 starts at t0·columns quants.
        long quantStride = 32L * TN.Count;
        long correctionStride = 8L * TN.Count;
        for (int r = rowStart; r < rowEnd; r += TR.Count)
        {
            // A short last tile repeats its last row: the copies cost a little compute and are never stored.
            int last = rowEnd - 1;
            byte* w0 = op.Weights + (r * rowBytes);
            byte* w1 = op.Weights + (Math.Min(r + 1, last) * rowBytes);
            byte* w2 = op.Weights + (Math.Min(r + 2, last) * rowBytes);
            byte* w3 = op.Weights + (Math.Min(r + 3, last) * rowBytes);
            sbyte* q = op.XQuants + ((long)t0 * columns);          // [TN.Count, 32] of the current block
            int* c = op.XCorrections + ((long)t0 * blocks * 8);    // [TN.Count, 8]
            float* xd = op.XScales + ((long)t0 * blocks);          // [TN.Count] of the current block
            Vector256<float> a00 = default, a10 = default, a20 = default, a30 = default;
            Vector256<float> a01 = default, a11 = default, a21 = default, a31 = default;
            Vector256<float> a02 = default, a12 = default, a22 = default, a32 = default;
            Vector256<float> a03 = default, a13 = default, a23 = default, a33 = default;
            byte* ahead = w0 + Math.Max(TR.Count * rowBytes, GemvRows.PrefetchDistance);
            for (int g = 0; g < groups; g++, w0 += TF.GroupBytes, w1 += TF.GroupBytes, w2 += TF.GroupBytes, w3 += TF.GroupBytes, ahead += TR.Count * TF.GroupBytes)
            {
                GemvRows.PrefetchBlock<TS, TV>(ahead, TR.Count * TF.GroupBytes);
                for (int run = 0; run < TF.RunsPerGroup; run++, q += quantStride, c += correctionStride, xd += TN.Count)
                {
                    var tile = TF.Tile<TR>(w0, w1, w2, w3, run, halfTable);
                    GgmlQ8.AccumulateToken<TS, TV, TR>(tile, q, c, xd[0], ref a00, ref a10, ref a20, ref a30);
                    if (TN.Count > 1)
                    {
                        GgmlQ8.AccumulateToken<TS, TV, TR>(tile, q + 32, c + 8, xd[1], ref a01, ref a11, ref a21, ref a31);
                    }

                    if (TN.Count > 2)
                    {
                        GgmlQ8.AccumulateToken<TS, TV, TR>(tile, q + 64, c + 16, xd[2], ref a02, ref a12, ref a22, ref a32);
                    }

                    if (TN.Count > 3)
                    {
                        GgmlQ8.AccumulateToken<TS, TV, TR>(tile, q + 96, c + 24, xd[3], ref a03, ref a13, ref a23, ref a33);
                    }
                }
            }

            GgmlQ8.StoreTile<TN, TR>(
                op, t0, r, rowEnd, a00, a01, a02, a03, a10, a11, a12, a13, a20, a21, a22, a23, a30, a31, a32, a33);
        }
    }
}
