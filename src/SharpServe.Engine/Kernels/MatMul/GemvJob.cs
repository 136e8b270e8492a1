using SharpServe.Engine.Kernels.Simd;
using SharpServe.Engine.Kernels.Threading;
using SharpServe.Engine.Loading;

namespace SharpServe.Engine.Kernels.MatMul;

/// <summary>One token's y = W·x + b, output rows split into contiguous ranges (one weight stream per part).</summary>
internal sealed unsafe class GemvJob<TS, TV> : IParallelWork
    where TS : struct, ISimd<TV>
    where TV : struct
{
    private TensorDType _type;
    private byte* _weights;   // [rows, columns] in _type
    private int _rows;
    private int _columns;
    private float* _x;        // [columns]
    private float* _xPairs;   // [columns] deinterleaved per chunk (F16/BF16)
    private short* _xQuants;  // [columns] (Q8_0)
    private float* _xScales;  // [columns / 32] (Q8_0)
    private float* _bias;     // [rows] or null
    private float* _y;        // [rows]
    private int _parts;

    public void Set(TensorDType type, byte* weights, int rows, int columns, float* x, float* xPairs, short* xQuants, float* xScales, float* bias, float* y, int parts)
    {
        _type = type;
        _weights = weights;
        _rows = rows;
        _columns = columns;
        _x = x;
        _xPairs = xPairs;
        _xQuants = xQuants;
        _xScales = xScales;
        _bias = bias;
        _y = y;
        _parts = parts;
    }

    public void Execute(int part, int worker)
    {
        int start = (int)((long)_rows * part / _parts);
        int end = (int)((long)_rows * (part + 1) / _parts);
        switch (_type)
        {
            case TensorDType.F32:
                GemvRows.F32<TS, TV>(_weights, _x, _bias, _y, start, end, _columns);
                break;
            case TensorDType.F16:
                GemvRows.F16<TS, TV>(_weights, _xPairs, _x, _bias, _y, start, end, _columns);
                break;
            case TensorDType.BF16:
                GemvRows.Bf16<TS, TV>(_weights, _xPairs, _x, _bias, _y, start, end, _columns);
                break;
            case TensorDType.Q8_0:
                GemvRows.Q8_0<TS, TV>(_weights, _xQuants, _xScales, _bias, _y, start, end, _columns);
                break;
            default:
                throw new NotSupportedException($"matmul over {_type} weights");
        }
    }
}
