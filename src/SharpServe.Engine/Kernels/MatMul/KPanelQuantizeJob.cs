using System.Runtime.CompilerServices;
using SharpServe.Engine.Kernels.Simd;
using SharpServe.Engine.Kernels.Threading;
using SharpServe.Engine.Loading;

namespace SharpServe.Engine.Kernels.MatMul;

/// <summary>
/// The K-quant panel GEMM's activations (<see cref="PanelGemmJob{TS, TV}"/> with <see cref="KPanelTile"/>): each token quantized to Q8_K by
/// <see cref="Q8KActivations"/> (the same quants and scales as the row kernels), token-major int8, plus per token the exact
/// integer sums the tile starts from: Q6_K −32·Σ q8 per 16 values (its unsigned q's offset; for <see cref="KWideTile"/> as two
/// int16 in one int32, −32·Σ over the values k ≡ 0,1 and over k ≡ 2,3 mod 4, its two vpmaddubsw lanes), Q4_K Σ q8 per 32
/// values (its min term). Q4_K tokens in whole groups of 4 take ggml_quantize_mat_q8_K_4x8's scale (1/iscale), the rest the row
/// quantizer's, as llama.cpp's repacked Q4_K GEMM and GEMV see them (Q6_K is not repacked there: the row quantizer's for all).
/// Tokens past the real ones, up to a whole tile, are zero (quants, scale and sums): the tile computes them and never stores them.
/// </summary>
internal sealed unsafe class KPanelQuantizeJob<TS, TV> : IParallelWork
    where TS : struct, ISimd<TV>
    where TV : struct
{
    private TensorDType _type;
    private float* _x;         // [tokens, columns]
    private int _tokens;
    private int _paddedTokens;
    private int _columns;
    private sbyte* _quants;    // [paddedTokens, columns]
    private float* _scales;    // [paddedTokens, columns / 256]
    private int* _sums;        // [paddedTokens, columns / 16]: Q6_K per 16 values (wide tile: two int16), Q4_K per 32 in the first half
    private int _parts;

    public void Set(TensorDType type, float* x, int tokens, int paddedTokens, int columns, sbyte* quants, float* scales, int* sums, int parts)
    {
        _type = type;
        _x = x;
        _tokens = tokens;
        _paddedTokens = paddedTokens;
        _columns = columns;
        _quants = quants;
        _scales = scales;
        _sums = sums;
        _parts = parts;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Execute(int part, int worker)
    {
        int blocks = _columns / Q8KActivations.BlockSize;
        int sumStride = _columns / 16;
        long end = (long)_paddedTokens * (part + 1) / _parts;
        for (long t = (long)_paddedTokens * part / _parts; t < end; t++)
        {
            sbyte* quants = _quants + (t * _columns);
            float* scales = _scales + (t * blocks);
            int* sums = _sums + (t * sumStride);
            if (t >= _tokens)
            {
                new Span<sbyte>(quants, _columns).Clear();
                new Span<float>(scales, blocks).Clear();
                new Span<int>(sums, sumStride).Clear();
                continue;
            }

            bool q6k = _type == TensorDType.Q6_K;
            Q8KActivations.QuantizeBlocks<TS, TV>(_x + (t * _columns), _columns, quants, scales, reciprocalScale: !q6k && t < _tokens - (_tokens % 4));
            int span = q6k ? 16 : 32;
            for (int i = 0; i < _columns / span; i++, quants += span)
            {
                // Lane sums: vpmaddubsw pairs values k ≡ 0,1 and k ≡ 2,3 (mod 4) of each 4-value group.
                int pairs01 = 0, pairs23 = 0;
                for (int j = 0; j < span; j += 4)
                {
                    pairs01 += quants[j] + quants[j + 1];
                    pairs23 += quants[j + 2] + quants[j + 3];
                }

                sums[i] = !q6k ? pairs01 + pairs23
                    : PanelGemmJob<TS, TV>.WideTier ? (ushort)(-32 * pairs01) | (-32 * pairs23 << 16)
                    : -32 * (pairs01 + pairs23);
            }
        }
    }
}
