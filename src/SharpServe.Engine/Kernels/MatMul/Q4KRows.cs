using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using SharpServe.Engine.Loading;

namespace SharpServe.Engine.Kernels.MatMul;

/// <summary>
/// Q4_K weights against Q8_K activations (<see cref="Q8KActivations"/>), each (row, token) in the order of llama.cpp's
/// AVX2 ggml_vec_dot_q4_K_q8_K: per super-block, 8 exact int32 lanes, lane k summing sc[c] · q4 · q8 over elements
/// 32c + 4k .. 32c + 4k + 3 of every 32-value chunk c, then acc[k] = fma(x.d · fp32(w.d), lane k, acc[k]); beside it
/// 4 min lanes prod[k] = m[2k]·s[2k] + m[2k+1]·s[2k+1] (s[j] the q8 sum of chunk j, ggml's bsums added pairwise),
/// accMin[k] = fma(−x.d · fp32(w.dmin), prod[k], accMin[k]). Result hsum_float_8(acc) + ((accMin0 + accMin2) +
/// (accMin1 + accMin3)). Scalar for now: correct and in llama.cpp's order, not yet fast.
/// </summary>
internal static unsafe class Q4KRows
{
    private const int Size = TensorDTypeInfo.Q4_KBlockSize;
    private const int Bytes = TensorDTypeInfo.Q4_KBlockBytes;

    /// <summary>y[t, r] for r in [rowStart, rowEnd) and the TN.Count tokens from t0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<TN>(in GemvOperands op, int t0, int rowStart, int rowEnd)
        where TN : struct, ITokenGroup
    {
        int blocks = op.Columns / Size;
        long rowBytes = (long)blocks * Bytes;
        float* halfTable = HalfTable.Pointer;
        byte* w = stackalloc byte[Size];          // one super-block's q4 (0..15)
        int* scaleMin = stackalloc int[16];       // sc[0..8), m[0..8)
        int* lanes = stackalloc int[8];
        int* chunkSums = stackalloc int[8];
        float* acc = stackalloc float[4 * 8];     // [token, lane]
        float* accMin = stackalloc float[4 * 4];  // [token, min lane]
        for (int r = rowStart; r < rowEnd; r++)
        {
            new Span<float>(acc, 4 * 8).Clear();
            new Span<float>(accMin, 4 * 4).Clear();
            byte* block = op.Weights + (r * rowBytes);
            for (int b = 0; b < blocks; b++, block += Bytes)
            {
                Unpack(block, w, scaleMin);
                float wd = halfTable[*(ushort*)block];
                float wMin = halfTable[*(ushort*)(block + 2)];
                for (int t = 0; t < TN.Count; t++)
                {
                    long token = t0 + t;
                    sbyte* x = op.XQuants + (token * op.Columns) + ((long)b * Size);
                    float xd = op.XScales[(token * blocks) + b];
                    Lanes(w, scaleMin, x, lanes, chunkSums);
                    float d = xd * wd;
                    for (int k = 0; k < 8; k++)
                    {
                        acc[(8 * t) + k] = MathF.FusedMultiplyAdd(d, lanes[k], acc[(8 * t) + k]);
                    }

                    float dMin = -xd * wMin;
                    for (int k = 0; k < 4; k++)
                    {
                        int prod = (scaleMin[8 + (2 * k)] * chunkSums[2 * k]) + (scaleMin[8 + (2 * k) + 1] * chunkSums[(2 * k) + 1]);
                        accMin[(4 * t) + k] = MathF.FusedMultiplyAdd(dMin, prod, accMin[(4 * t) + k]);
                    }
                }
            }

            GemvRows.Store<TN>(op, t0, r, Sum(acc, accMin), Sum(acc + 8, accMin + 4), Sum(acc + 16, accMin + 8), Sum(acc + 24, accMin + 12));
        }
    }

    private static float Sum(float* lanes, float* minLanes) =>
        GgmlQ8.Sum(Vector256.Load(lanes)) + ((minLanes[0] + minLanes[2]) + (minLanes[1] + minLanes[3]));

    /// <summary>
    /// lanes[k] = Σ over chunks c of sc[c] · Σ_{m &lt; 4} x[e] · w[e], e = 32c + 4k + m, and chunkSums[c] = Σ x over
    /// chunk c (exact int32).
    /// </summary>
    private static void Lanes(byte* w, int* scaleMin, sbyte* x, int* lanes, int* chunkSums)
    {
        for (int k = 0; k < 8; k++)
        {
            int sum = 0;
            for (int c = 0; c < Size / 32; c++)
            {
                int e = (32 * c) + (4 * k);
                sum += scaleMin[c] * ((x[e] * w[e]) + (x[e + 1] * w[e + 1]) + (x[e + 2] * w[e + 2]) + (x[e + 3] * w[e + 3]));
            }

            lanes[k] = sum;
        }

        for (int c = 0; c < Size / 32; c++)
        {
            int sum = 0;
            for (int i = 32 * c; i < (32 * c) + 32; i++)
            {
                sum += x[i];
            }

            chunkSums[c] = sum;
        }
    }

    /// <summary>A super-block's 256 quants and its 8 scales and 8 mins (layout in <see cref="Q4KCodec"/>).</summary>
    private static void Unpack(byte* block, byte* w, int* scaleMin)
    {
        var bytes = new ReadOnlySpan<byte>(block, Bytes);
        for (int j = 0; j < 8; j++)
        {
            (scaleMin[j], scaleMin[8 + j]) = Q4KCodec.ScaleMin(bytes, j);
        }

        byte* q = block + 16;
        for (int g = 0; g < 4; g++, q += 32)
        {
            for (int l = 0; l < 32; l++)
            {
                w[(64 * g) + l] = (byte)(q[l] & 0xF);
                w[(64 * g) + 32 + l] = (byte)(q[l] >> 4);
            }
        }
    }
}
