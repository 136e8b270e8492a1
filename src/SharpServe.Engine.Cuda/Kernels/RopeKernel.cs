using ILGPU;

namespace SharpServe.Engine.Cuda.Kernels;

/// <summary>
/// NEOX rotary embedding in place: pairs (j, j + d/2) of every head rotated by angle_j. The angle follows the CPU engine
/// (and llama.cpp) bit for bit: angle_0 = position, angle_{j+1} = angle_j · step in f32, step = theta^(−2/d) computed on
/// the host. The angle is then reduced to [−π, π] in f64 before cos/sin: the PTX backend's cos.approx/sin.approx are
/// accurate only near zero, and positions run to 131072 radians.
/// </summary>
internal static class RopeKernel
{
    public const int GroupSize = 128;

    /// <summary>x: [tokens, heads, headDim]; positions: [tokens]. Launch: tokens groups of <see cref="GroupSize"/>.</summary>
    public static void Run(ArrayView<float> x, ArrayView<int> positions, int heads, int headDim, float step)
    {
        int token = Grid.IdxX;
        int half = headDim / 2;
        for (int pair = Group.IdxX; pair < heads * half; pair += GroupSize)
        {
            int head = pair / half;
            int j = pair - (head * half);
            float angle = positions[token];
            for (int k = 0; k < j; k++)
            {
                angle *= step;
            }

            float reduced = Reduce(angle);
            float cos = MathF.Cos(reduced);
            float sin = MathF.Sin(reduced);
            long at = (((long)token * heads) + head) * headDim;
            float x0 = x[at + j];
            float x1 = x[at + half + j];
            x[at + j] = (x0 * cos) - (x1 * sin);
            x[at + half + j] = (x0 * sin) + (x1 * cos);
        }
    }

    /// <summary>angle − 2π·round(angle / 2π), in f64, rounded to f32.</summary>
    public static float Reduce(float angle)
    {
        const double TwoPi = 2 * Math.PI;
        double turns = Math.Floor((angle / TwoPi) + 0.5);
        return (float)(angle - (turns * TwoPi));
    }
}
