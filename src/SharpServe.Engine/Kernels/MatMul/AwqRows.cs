using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SharpServe.Engine.Kernels.MatMul;

/// <summary>
/// Awq4 weights (AutoAWQ's w = s·(q − z), repacked by <see cref="Loading.AwqRepacker"/>) for <see cref="BiasedRows"/>:
/// 68-byte groups (fp16 scale, zero, padding, 4 runs of 16 bytes of nibbles). The zero is folded into the unsigned weights
/// DotQ8Biased takes: u = q − z + 128, so each 32-value run gives 8 exact integer lanes of Σ (q − z)·x and one fma by
/// s·d_x. Integer dots on 8-bit activations beat widening every nibble to f32 (the Q4_0 kernel measured the same trade);
/// the cost is the activations' 8-bit rounding, which the tests bound against the dequantized f32 model. One token on
/// AVX-512 with VBMI and GFNI goes to <see cref="AwqPairRows"/> instead (same bits, ~16 → ~22 GB/s in cache on one thread).
/// </summary>
internal readonly unsafe struct AwqRows : IBiasedFormat
{
    public static int GroupBytes => 68;

    public static int RunsPerGroup => 4;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static BiasedTile Tile<TR>(byte* w0, byte* w1, byte* w2, byte* w3, int run, float* halfTable)
        where TR : struct, ITokenGroup =>
        TR.Count > 1
            ? new BiasedTile(Unpack(w0, run), Unpack(w1, run), Unpack(w2, run), Unpack(w3, run), halfTable[*(ushort*)w0], halfTable[*(ushort*)w1], halfTable[*(ushort*)w2], halfTable[*(ushort*)w3])
            : new BiasedTile(Unpack(w0, run), default, default, default, halfTable[*(ushort*)w0], 0, 0, 0);

    /// <summary>
    /// The run's 32 quants as DotQ8Biased's offset weights, q − z + 128 (in [113, 143]). Byte j of the run holds
    /// element j in its low nibble and element j + 16 in its high one.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> Unpack(byte* group, int run)
    {
        var packed = Vector128.Load(group + 4 + (16 * run));
        return Vector256.Create(packed & Vector128.Create((byte)0x0F), Vector128.ShiftRightLogical(packed, 4)) + Vector256.Create((byte)(128 - group[2]));
    }
}
