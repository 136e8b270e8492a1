using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using SharpServe.Engine.Loading;

namespace SharpServe.Engine.Kernels.MatMul;

/// <summary>
/// Q6_K weights against Q8_K activations (<see cref="Q8KActivations"/>), each (row, token) in the order of llama.cpp's
/// AVX2 ggml_vec_dot_q6_K_q8_K: per super-block, 8 exact int32 lanes, lane k summing scale · q8 · (q6 − 32) over
/// elements 32c + 4k .. 32c + 4k + 3 of every 32-value chunk c; then acc[k] = fma(x.d · fp32(w.d), lane k, acc[k]) and
/// hsum_float_8 at the end. Scalar for now: correct and in llama.cpp's order, not yet fast.
/// </summary>
internal static unsafe class Q6Rows
{
    private const int Size = TensorDTypeInfo.Q6_KBlockSize;
    private const int Bytes = TensorDTypeInfo.Q6_KBlockBytes;

    /// <summary>y[t, r] for r in [rowStart, rowEnd) and the TN.Count tokens from t0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<TN>(in GemvOperands op, int t0, int rowStart, int rowEnd)
        where TN : struct, ITokenGroup
    {
        int blocks = op.Columns / Size;
        long rowBytes = (long)blocks * Bytes;
        float* halfTable = HalfTable.Pointer;
        sbyte* w = stackalloc sbyte[Size];     // one super-block's q6 − 32
        int* lanes = stackalloc int[8];
        float* acc = stackalloc float[4 * 8];  // [token, lane]
        for (int r = rowStart; r < rowEnd; r++)
        {
            new Span<float>(acc, 4 * 8).Clear();
            byte* block = op.Weights + (r * rowBytes);
            for (int b = 0; b < blocks; b++, block += Bytes)
            {
                Unpack(block, w);
                sbyte* scales = (sbyte*)block + 192;
                float wd = halfTable[*(ushort*)(block + 208)];
                for (int t = 0; t < TN.Count; t++)
                {
                    long token = t0 + t;
                    sbyte* x = op.XQuants + (token * op.Columns) + ((long)b * Size);
                    float d = op.XScales[(token * blocks) + b] * wd;
                    Lanes(w, scales, x, lanes);
                    for (int k = 0; k < 8; k++)
                    {
                        acc[(8 * t) + k] = MathF.FusedMultiplyAdd(d, lanes[k], acc[(8 * t) + k]);
                    }
                }
            }

            GemvRows.Store<TN>(op, t0, r, Sum(acc), Sum(acc + 8), Sum(acc + 16), Sum(acc + 24));
        }
    }

    private static float Sum(float* lanes) => GgmlQ8.Sum(Vector256.Load(lanes));

    /// <summary>lanes[k] = Σ over chunks c of Σ_{m &lt; 4} scale[e / 16] · x[e] · w[e], e = 32c + 4k + m (exact int32).</summary>
    private static void Lanes(sbyte* w, sbyte* scales, sbyte* x, int* lanes)
    {
        for (int k = 0; k < 8; k++)
        {
            int sum = 0;
            for (int c = 0; c < Size / 32; c++)
            {
                int e = (32 * c) + (4 * k);
                int s = scales[e / 16];
                sum += s * ((x[e] * w[e]) + (x[e + 1] * w[e + 1]) + (x[e + 2] * w[e + 2]) + (x[e + 3] * w[e + 3]));
            }

            lanes[k] = sum;
        }
    }

    /// <summary>A super-block's 256 quants as q − 32 (layout in <see cref="Q6KCodec"/>).</summary>
    private static void Unpack(byte* block, sbyte* w)
    {
        for (int h = 0; h < 2; h++)
        {
            byte* ql = block + (64 * h);
            byte* qh = block + 128 + (32 * h);
            sbyte* o = w + (128 * h);
            for (int l = 0; l < 32; l++)
            {
                o[l] = (sbyte)(((ql[l] & 0xF) | ((qh[l] & 3) << 4)) - 32);
                o[l + 32] = (sbyte)(((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32);
                o[l + 64] = (sbyte)(((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32);
                o[l + 96] = (sbyte)(((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32);
            }
        }
    }
}
