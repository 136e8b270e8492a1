using ILGPU;

namespace SharpServe.Engine.Cuda.Kernels;

/// <summary>
/// Butterfly reductions over a 32-lane warp (every lane ends with the result). The order is fixed — lane l adds lane
/// l ^ 16, then l ^ 8, … — so a plain C# loop doing the same pairings reproduces the sum bit for bit.
/// </summary>
internal static class WarpReduce
{
    public const int Lanes = 32;

    public static float Sum(float value)
    {
        for (int offset = Lanes / 2; offset > 0; offset /= 2)
        {
            value += Warp.ShuffleXor(value, offset);
        }

        return value;
    }
}
