using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using SharpServe.Engine.Kernels.Simd;

namespace SharpServe.Engine.Kernels.MatMul;

/// <summary>
/// Awq4 weights (AutoAWQ's w = s·(q − z), repacked by <see cref="Loading.AwqRepacker"/>) against Q8_0-quantized activations
/// (<see cref="ActivationQuantizer"/>), in tiles of TR.Count rows × TN.Count tokens like <see cref="Q4Rows"/>. The zero is
/// folded into the unsigned weights DotQ8Biased takes: u = q − z + 128, so each 32-value run gives 8 exact integer lanes of
/// Σ (q − z)·x and one fma by s·d_x; a group's four runs share its scale and zero. Integer dots on 8-bit activations beat
/// widening every nibble to f32 (the Q4_0 kernel measured the same trade); the cost is the activations' 8-bit rounding,
/// which the tests bound against the dequantized f32 model.
/// </summary>
internal static unsafe class AwqRows
{
    private const int GroupBytes = 68;  // fp16 scale, zero, padding, 64 bytes of nibbles

    /// <summary>y[t, r] for r in [rowStart, rowEnd) and the TN.Count tokens from t0 (a group of <see cref="QuantizeJob{TS, TV}"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<TS, TV, TN, TR>(in GemvOperands op, int t0, int rowStart, int rowEnd)
        where TS : struct, ISimd<TV>
        where TV : struct
        where TN : struct, ITokenGroup
        where TR : struct, ITokenGroup
    {
        int columns = op.Columns;
        int blocks = columns / 32;
        int groups = columns / 128;
        long rowBytes = (long)groups * GroupBytes;
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
            // The tile's adjacent rows are one linear stream of TR.Count·68 bytes per group, prefetched a tile ahead (see Q4Rows).
            byte* ahead = w0 + Math.Max(TR.Count * rowBytes, GemvRows.PrefetchDistance);
            for (int g = 0; g < groups; g++, w0 += GroupBytes, w1 += GroupBytes, w2 += GroupBytes, w3 += GroupBytes, ahead += TR.Count * GroupBytes)
            {
                GemvRows.PrefetchBlock<TS, TV>(ahead, TR.Count * GroupBytes);
                var scales = new GroupScales(w0, TR.Count > 1 ? w1 : w0, TR.Count > 1 ? w2 : w0, TR.Count > 1 ? w3 : w0, halfTable);
                for (int run = 0; run < 4; run++, q += quantStride, c += correctionStride, xd += TN.Count)
                {
                    var tile = TR.Count > 1
                        ? new BiasedTile(Unpack(w0, run, scales.O0), Unpack(w1, run, scales.O1), Unpack(w2, run, scales.O2), Unpack(w3, run, scales.O3), scales.S0, scales.S1, scales.S2, scales.S3)
                        : new BiasedTile(Unpack(w0, run, scales.O0), default, default, default, scales.S0, 0, 0, 0);
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

    /// <summary>A group's scale and zero offset (128 − z, as DotQ8Biased's unsigned weights need) for up to four rows.</summary>
    private readonly struct GroupScales
    {
        public GroupScales(byte* w0, byte* w1, byte* w2, byte* w3, float* halfTable)
        {
            S0 = halfTable[*(ushort*)w0];
            S1 = halfTable[*(ushort*)w1];
            S2 = halfTable[*(ushort*)w2];
            S3 = halfTable[*(ushort*)w3];
            O0 = (byte)(128 - w0[2]);
            O1 = (byte)(128 - w1[2]);
            O2 = (byte)(128 - w2[2]);
            O3 = (byte)(128 - w3[2]);
        }

        public float S0 { get; }
        public float S1 { get; }
        public float S2 { get; }
        public float S3 { get; }
        public byte O0 { get; }
        public byte O1 { get; }
        public byte O2 { get; }
        public byte O3 { get; }
    }

    /// <summary>
    /// The run's 32 quants as DotQ8Biased's offset weights, q − z + 128 (in [113, 143]). Byte j of the run holds
    /// element j in its low nibble and element j + 16 in its high one.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> Unpack(byte* group, int run, byte offset)
    {
        var packed = Vector128.Load(group + 4 + (16 * run));
        return Vector256.Create(packed & Vector128.Create((byte)0x0F), Vector128.ShiftRightLogical(packed, 4)) + Vector256.Create(offset);
    }
}
