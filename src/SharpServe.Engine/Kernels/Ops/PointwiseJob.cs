using System.Runtime.CompilerServices;
using SharpServe.Engine.Kernels.Simd;
using SharpServe.Engine.Kernels.Threading;

namespace SharpServe.Engine.Kernels.Ops;

/// <summary>
/// A multi-token step's element-wise and per-token ops split across the pool: SiluMul by whole vectors of elements (so every
/// element takes the same vector or scalar path as on one thread), RmsNorm and Rope by tokens. The same bits as one thread;
/// in a 512-token prefill these ops had been ~5 % of the time, all on the calling thread.
/// </summary>
internal sealed unsafe class PointwiseJob<TS, TV> : IParallelWork
    where TS : struct, ISimd<TV>
    where TV : struct
{
    /// <summary>Elements below which SiluMul stays on the caller: a decode step's 8960 take a few µs, about a dispatch.</summary>
    public const long MinParallelElements = 32 * 1024;

    private PointwiseOp _op;
    private int _parts;
    private float* _a;          // SiluMul: gate; RmsNorm, Rope: x
    private float* _b;          // SiluMul: up; RmsNorm: weight
    private float* _y;          // SiluMul, RmsNorm: y
    private long _count;        // SiluMul: elements; RmsNorm, Rope: tokens
    private int _dim;           // RmsNorm: dim; Rope: headDim
    private float _scalar;      // RmsNorm: eps; Rope: theta
    private int* _positions;    // Rope: [tokens]
    private int _heads;         // Rope
    private float* _tables;     // Rope: [workers, headDim] cos and sin

    public void SetSiluMul(float* gate, float* up, float* y, long count, int parts)
    {
        _op = PointwiseOp.SiluMul;
        _a = gate;
        _b = up;
        _y = y;
        _count = count;
        _parts = parts;
    }

    public void SetRmsNorm(float* x, float* weight, float eps, float* y, int tokens, int dim, int parts)
    {
        _op = PointwiseOp.RmsNorm;
        _a = x;
        _b = weight;
        _scalar = eps;
        _y = y;
        _count = tokens;
        _dim = dim;
        _parts = parts;
    }

    public void SetRope(float* x, int* positions, int tokens, int heads, int headDim, float theta, float* tables, int parts)
    {
        _op = PointwiseOp.Rope;
        _a = x;
        _positions = positions;
        _count = tokens;
        _heads = heads;
        _dim = headDim;
        _scalar = theta;
        _tables = tables;
        _parts = parts;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Execute(int part, int worker)
    {
        if (_op == PointwiseOp.SiluMul)
        {
            long vectors = _count / TS.Count;
            long start = vectors * part / _parts * TS.Count;
            long end = part == _parts - 1 ? _count : vectors * (part + 1) / _parts * TS.Count;
            VectorOps.SiluMul<TS, TV>(_a + start, _b + start, _y + start, end - start);
            return;
        }

        int first = (int)(_count * part / _parts);
        int tokens = (int)(_count * (part + 1) / _parts) - first;
        if (_op == PointwiseOp.RmsNorm)
        {
            RmsNormKernel.Run<TS, TV>(_a + ((long)first * _dim), _b, _scalar, _y + ((long)first * _dim), tokens, _dim);
        }
        else
        {
            RopeKernel.Run<TS, TV>(_a + ((long)first * _heads * _dim), _positions + first, tokens, _heads, _dim, _scalar, _tables + ((long)worker * _dim));
        }
    }
}

internal enum PointwiseOp
{
    SiluMul,
    RmsNorm,
    Rope,
}
