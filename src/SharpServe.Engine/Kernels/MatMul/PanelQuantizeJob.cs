using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using SharpServe.Engine.Kernels.Simd;
using SharpServe.Engine.Kernels.Threading;

namespace SharpServe.Engine.Kernels.MatMul;

/// <summary>
/// The panel GEMM's activations (<see cref="PanelGemmJob{TS, TV}"/>): each token quantized to Q8_0 blocks by
/// <see cref="ActivationQuantizer"/> (the same quants and scales as every other Q8_0 path). For <see cref="PanelTile"/> they
/// are stored as unsigned bytes x + 128 (= x ^ 0x80), the operand vpdpbusd takes unsigned; the weight panel carries the
/// −128·Σw that undoes the offset. For <see cref="NibbleTile"/> (given pair sums) they stay signed, and each block also gets
/// its two pair sums: Σ x over the values 4g, 4g + 1 and over 4g + 2, 4g + 3 (g = 0..7), int16 each, low then high.
/// Token-major, so a micro-kernel reads each of its tokens' blocks as one contiguous run. Tokens past the real ones, up to
/// a whole tile, are zero (scale 0): the tile computes them and never stores them.
/// </summary>
internal sealed unsafe class PanelQuantizeJob<TS, TV> : IParallelWork
    where TS : struct, ISimd<TV>
    where TV : struct
{
    private float* _x;         // [tokens, columns]
    private int _tokens;
    private int _paddedTokens;
    private int _columns;
    private byte* _quants;     // [paddedTokens, columns / 32, 32] x + 128, or x given pair sums
    private float* _scales;    // [paddedTokens, columns / 32]
    private int* _pairSums;    // [paddedTokens, columns / 32] two int16, or null
    private int _parts;

    public void Set(float* x, int tokens, int paddedTokens, int columns, byte* quants, float* scales, int* pairSums, int parts)
    {
        _pairSums = pairSums;
        _x = x;
        _tokens = tokens;
        _paddedTokens = paddedTokens;
        _columns = columns;
        _quants = quants;
        _scales = scales;
        _parts = parts;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Execute(int part, int worker)
    {
        int blocks = _columns / 32;
        long end = (long)_paddedTokens * (part + 1) / _parts;
        for (long t = (long)_paddedTokens * part / _parts; t < end; t++)
        {
            byte* quants = _quants + (t * _columns);
            float* scales = _scales + (t * blocks);
            int* pairSums = _pairSums + (t * blocks);
            if (t >= _tokens)
            {
                new Span<byte>(quants, _columns).Fill(_pairSums == null ? (byte)0x80 : (byte)0);
                new Span<float>(scales, blocks).Clear();
                if (_pairSums != null)
                {
                    new Span<int>(pairSums, blocks).Clear();
                }

                continue;
            }

            ActivationQuantizer.Quantize<TS, TV>(_x + (t * _columns), _columns, (sbyte*)quants, scales, null, 1);
            if (_pairSums != null)
            {
                for (int b = 0; b < blocks; b++)
                {
                    pairSums[b] = PairSums((sbyte*)quants + (32 * b));
                }

                continue;
            }

            for (int i = 0; i < _columns; i += 32)
            {
                (Vector256.Load(quants + i) ^ Vector256.Create((byte)0x80)).Store(quants + i);
            }
        }
    }

    /// <summary>
    /// A block's Σ x over values 4g, 4g + 1 (low int16) and over 4g + 2, 4g + 3 (high int16); |Σ| ≤ 16·127 each, so int16
    /// lanes never overflow: vpmaddubsw against ones gives the 16 adjacent-pair sums, whose even and odd int16 lanes are the
    /// two kinds, and int16 adds of dword-shuffled copies fold 8 dwords into one without mixing them. Only the nibble path
    /// (AVX-512BW, so AVX2) calls it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int PairSums(sbyte* block)
    {
        var pairs = Avx2.MultiplyAddAdjacent(Vector256<byte>.One, Vector256.Load(block));
        var sums = pairs.GetLower() + pairs.GetUpper();
        sums += Sse2.Shuffle(sums.AsInt32(), 0b01_00_11_10).AsInt16();
        sums += Sse2.Shuffle(sums.AsInt32(), 0b10_11_00_01).AsInt16();
        return sums.AsInt32().ToScalar();
    }
}
