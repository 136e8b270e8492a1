using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using SharpServe.Engine.Kernels.Simd;
using SharpServe.Engine.Kernels.Threading;

namespace SharpServe.Engine.Kernels.MatMul;

/// <summary>
/// The panel GEMM's activations (<see cref="PanelGemmJob{TS, TV}"/>): each token quantized to Q8_0 blocks by
/// <see cref="ActivationQuantizer"/> (the same quants and scales as every other Q8_0 path), then stored as unsigned bytes
/// x + 128 (= x ^ 0x80), the operand vpdpbusd takes unsigned; the weight panel carries the −128·Σw that undoes the offset.
/// Token-major, so a micro-kernel reads each of its tokens' blocks as one contiguous run. Tokens past the real ones, up to
/// a whole tile, are zero (0x80, scale 0): the tile computes them and never stores them.
/// </summary>
internal sealed unsafe class PanelQuantizeJob<TS, TV> : IParallelWork
    where TS : struct, ISimd<TV>
    where TV : struct
{
    private float* _x;         // [tokens, columns]
    private int _tokens;
    private int _paddedTokens;
    private int _columns;
    private byte* _quants;     // [paddedTokens, columns / 32, 32] x + 128
    private float* _scales;    // [paddedTokens, columns / 32]
    private int _parts;

    public void Set(float* x, int tokens, int paddedTokens, int columns, byte* quants, float* scales, int parts)
    {
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
            if (t >= _tokens)
            {
                new Span<byte>(quants, _columns).Fill(0x80);
                new Span<float>(scales, blocks).Clear();
                continue;
            }

            ActivationQuantizer.Quantize<TS, TV>(_x + (t * _columns), _columns, (sbyte*)quants, scales, null, 1);
            for (int i = 0; i < _columns; i += 32)
            {
                (Vector256.Load(quants + i) ^ Vector256.Create((byte)0x80)).Store(quants + i);
            }
        }
    }
}
