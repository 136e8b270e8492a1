using System.Runtime.CompilerServices;
using SharpServe.Engine.Kernels.Simd;
using SharpServe.Engine.Kernels.Threading;
using SharpServe.Engine.Loading;

namespace SharpServe.Engine.Kernels.MatMul;

/// <summary>
/// y = x·Wᵀ + b streamed row by row: decode, batched decode, Awq4, Q6_K and Q4_K at any token count, and Q8_0 and Q4_0 below
/// <see cref="CpuKernels.PanelMinTokens"/> tokens (from there <see cref="PanelGemmJob{TS, TV}"/>). One job may cover several
/// weights of one dtype that read the same activations (q, k and v; gate and up): their rows count as one run, which is
/// split into contiguous ranges (one weight stream per part, crossing from one weight into the next), so small matrices
/// such as k and v cost no dispatch of their own. Tokens go in groups of up to four per pass over
/// the weights; with more than four, rows are walked in blocks small enough to stay in L1 between the groups'
/// passes, so the weights still come from memory once. Q8_0 rows go in register tiles (<see cref="Q8Tiles"/>); a
/// single Q4_K token on AVX-512 with GFNI goes to <see cref="Q4KWideRows"/>.
/// </summary>
internal sealed unsafe class GemvJob<TS, TV> : IParallelWork
    where TS : struct, ISimd<TV>
    where TV : struct
{
    /// <summary>Weight bytes of a row block that every token group re-reads (L1 is 48 KiB; x shares it).</summary>
    private const int RowBlockBytes = 16 * 1024;

    /// <summary>
    /// Q8_0/Q4_0/Awq4 row block: its tiles are compute-bound, so the block only has to stay in L2 (1 MiB) beside one token
    /// group's activations, and whole tiles avoid repeated rows at block ends.
    /// </summary>
    private const int Q8RowBlockBytes = 128 * 1024;

    /// <summary>
    /// Up to this many tokens Q8_0 is memory-bound: one-row tiles keep one weight stream per thread. Q4_0 and Awq4 always take
    /// four-row tiles: one row's blocks form a single fma chain whose latency bound their decode (measured 2026-12-06, Q4_0
    /// gate/up GEMV 20.5 → 25.1 GB/s median of 5, 2 threads); a tile's rows are adjacent, so it is still one linear stream.
    /// A single Q4_0 or Awq4 token on AVX-512 with VBMI and GFNI goes to <see cref="Q4PairRows"/> or <see cref="AwqPairRows"/>
    /// (two rows per register).
    /// </summary>
    private const int Q8SingleRowTokens = 2;

    private TensorDType _type;
    private GemvOperands[] _ops = new GemvOperands[3];
    private int _weightCount;
    private long _rows;
    private int _tokens;
    private int _parts;

    /// <summary>The weights (all of <paramref name="type"/>, all over the same activations) and how many parts split their rows.</summary>
    public void Set(TensorDType type, ReadOnlySpan<GemvOperands> ops, int tokens, int parts)
    {
        if (_ops.Length < ops.Length)
        {
            _ops = new GemvOperands[ops.Length];
        }

        ops.CopyTo(_ops);
        _weightCount = ops.Length;
        _rows = 0;
        foreach (var op in ops)
        {
            _rows += op.Rows;
        }

        _type = type;
        _tokens = tokens;
        _parts = parts;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Execute(int part, int worker)
    {
        // [start, end) of the weights' rows taken end to end; each weight gets the stretch that falls on it.
        long start = _rows * part / _parts;
        long end = _rows * (part + 1) / _parts;
        long first = 0;
        for (int m = 0; m < _weightCount; m++)
        {
            ref readonly var op = ref _ops[m];
            int from = (int)Math.Clamp(start - first, 0, op.Rows);
            int to = (int)Math.Clamp(end - first, 0, op.Rows);
            if (from < to)
            {
                RowRange(in op, from, to);
            }

            first += op.Rows;
        }
    }

    private void RowRange(in GemvOperands op, int start, int end)
    {
        long rowBytes = TensorDTypeInfo.ByteSize(_type, op.Columns);
        int blockRows = _tokens <= 4 ? end - start
            : TensorDTypeInfo.IsQuantized(_type) ? (int)Math.Max(1, Q8RowBlockBytes / rowBytes / Q8Tiles.Rows) * Q8Tiles.Rows
            : (int)Math.Max(1, RowBlockBytes / rowBytes);
        for (int r0 = start; r0 < end; r0 += blockRows)
        {
            int r1 = Math.Min(end, r0 + blockRows);
            for (int t0 = 0; t0 < _tokens; t0 += 4)
            {
                switch (Math.Min(4, _tokens - t0))
                {
                    case 1:
                        Rows<OneToken>(in op, t0, r0, r1);
                        break;
                    case 2:
                        Rows<TwoTokens>(in op, t0, r0, r1);
                        break;
                    case 3:
                        Rows<ThreeTokens>(in op, t0, r0, r1);
                        break;
                    default:
                        Rows<FourTokens>(in op, t0, r0, r1);
                        break;
                }
            }
        }
    }

    private void Rows<TN>(in GemvOperands op, int t0, int r0, int r1)
        where TN : struct, ITokenGroup
    {
        switch (_type)
        {
            case TensorDType.F32:
                GemvRows.F32<TS, TV, TN>(in op, t0, r0, r1);
                break;
            case TensorDType.F16:
                GemvRows.Pairs<TS, TV, TN, F16Pairs>(in op, t0, r0, r1);
                break;
            case TensorDType.BF16:
                GemvRows.Pairs<TS, TV, TN, Bf16Pairs>(in op, t0, r0, r1);
                break;
            case TensorDType.Q8_0:
                if (_tokens <= Q8SingleRowTokens)
                {
                    Q8Tiles.Run<TS, TV, TN, OneToken>(in op, t0, r0, r1);
                }
                else
                {
                    Q8Tiles.Run<TS, TV, TN, FourTokens>(in op, t0, r0, r1);
                }

                break;
            case TensorDType.Q4_0:
                if (TN.Count == 1 && TS.Count == 16 && Q4PairRows.IsSupported)
                {
                    Q4PairRows.Run<TS, TV>(in op, t0, r0, r1);
                }
                else
                {
                    BiasedRows.Run<TS, TV, TN, FourTokens, Q4Rows>(in op, t0, r0, r1);
                }

                break;
            case TensorDType.Awq4:
                if (TN.Count == 1 && TS.Count == 16 && AwqPairRows.IsSupported)
                {
                    AwqPairRows.Run<TS, TV>(in op, t0, r0, r1);
                }
                else
                {
                    BiasedRows.Run<TS, TV, TN, FourTokens, AwqRows>(in op, t0, r0, r1);
                }

                break;
            case TensorDType.Q6_K:
                Q6Rows.Run<TS, TV, TN>(in op, t0, r0, r1);
                break;
            case TensorDType.Q4_K:
                if (Q4KWideRows.Takes<TS, TV>(_tokens))
                {
                    Q4KWideRows.Run<TS, TV>(in op, t0, r0, r1);
                }
                else
                {
                    Q4KRows.Run<TS, TV, TN>(in op, t0, r0, r1);
                }

                break;
            default:
                throw new NotSupportedException($"matmul over {_type} weights");
        }
    }
}
