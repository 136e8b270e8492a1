using System.Runtime.CompilerServices;
using SharpServe.Engine.Kernels.Simd;
using SharpServe.Engine.Kernels.Threading;

namespace SharpServe.Engine.Kernels.MatMul;

/// <summary>Quantizes many tokens' activations to Q8_0 blocks (<see cref="ActivationQuantizer"/>), tokens split across parts.</summary>
internal sealed unsafe class QuantizeJob<TS, TV> : IParallelWork
    where TS : struct, ISimd<TV>
    where TV : struct
{
    private float* _x;        // [tokens, columns]
    private int _tokens;
    private int _columns;
    private sbyte* _quants;   // [columns / 32, tokens, 32]
    private float* _scales;   // [columns / 32, tokens]
    private int* _corrections;  // [columns / 32, tokens, 8]
    private int _parts;

    public void Set(float* x, int tokens, int columns, sbyte* quants, float* scales, int* corrections, int parts)
    {
        _x = x;
        _tokens = tokens;
        _columns = columns;
        _quants = quants;
        _scales = scales;
        _corrections = corrections;
        _parts = parts;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Execute(int part, int worker)
    {
        long end = (long)_tokens * (part + 1) / _parts;
        for (long t = (long)_tokens * part / _parts; t < end; t++)
        {
            ActivationQuantizer.Quantize<TS, TV>(_x + (t * _columns), _columns, _quants + (t * 32), _scales + t, _corrections + (t * 8), _tokens);
        }
    }
}
