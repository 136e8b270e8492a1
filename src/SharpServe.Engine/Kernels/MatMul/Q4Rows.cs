using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SharpServe.Engine.Kernels.MatMul;

/// <summary>
/// Q4_0 weights for <see cref="BiasedRows"/>: per 18-byte block the nibbles become w = q − 8, 8 exact integer lanes of
/// Σ w·x, acc = fma(fp32(w.d)·fp32(x.d), lanes, acc). Dequantizing to f32 instead left the logits ~0.2 from llama.cpp's
/// and flipped 7 of 64 argmaxes on a random model, because llama.cpp rounds the activations to 8 bits before every Q4_0
/// matmul. Four-row tiles serve decode too (one row's blocks form a single fma chain whose latency bound it), except
/// on AVX-512 with VBMI and GFNI, where a single token takes <see cref="Q4PairRows"/>.
/// </summary>
internal readonly unsafe struct Q4Rows : IBiasedFormat
{
    public static int GroupBytes => 18;

    public static int RunsPerGroup => 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static BiasedTile Tile<TR>(byte* w0, byte* w1, byte* w2, byte* w3, int run, float* halfTable)
        where TR : struct, ITokenGroup =>
        TR.Count > 1
            ? new BiasedTile(Unpack(w0), Unpack(w1), Unpack(w2), Unpack(w3), halfTable[*(ushort*)w0], halfTable[*(ushort*)w1], halfTable[*(ushort*)w2], halfTable[*(ushort*)w3])
            : new BiasedTile(Unpack(w0), default, default, default, halfTable[*(ushort*)w0], 0, 0, 0);

    /// <summary>
    /// The block's 32 quants as DotQ8Biased's offset weights, w + 128 = q − 8 + 128 = q + 120. Byte j holds
    /// element j in its low nibble and element j + 16 in its high one.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> Unpack(byte* block)
    {
        var packed = Vector128.Load(block + 2);
        return Vector256.Create(packed & Vector128.Create((byte)0x0F), Vector128.ShiftRightLogical(packed, 4)) + Vector256.Create((byte)120);
    }
}
