using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using SharpServe.Engine.Kernels.Simd;

namespace SharpServe.Engine.Kernels.MatMul;

/// <summary>
/// The f32 side of llama.cpp's x86 Q8_0 dot product (ggml_vec_dot_q8_0_q8_0 and llamafile's tinyBLAS_Q0
/// agree): 8 lanes, per block in order acc = fma(fp32(w.d)·fp32(x.d), lanes, acc), then hsum_float_8.
/// Following the same order matters: activations are re-quantized before every matmul, so an ulp of
/// difference can flip a rounding tie and grow into visibly different logits a few tokens later.
/// </summary>
internal static class GgmlQ8
{
    /// <summary>scale: fp32(w.d)·fp32(x.d) in every lane (a product of two broadcasts rounds exactly like the scalar product).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Accumulate(Vector256<float> scale, Vector256<int> lanes, Vector256<float> accumulator) =>
        Vector256.FusedMultiplyAdd(scale, Vector256.ConvertToSingle(lanes), accumulator);

    /// <summary>hsum_float_8: ((x0 + x4) + (x2 + x6)) + ((x1 + x5) + (x3 + x7)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector256<float> accumulator)
    {
        var quarter = accumulator.GetUpper() + accumulator.GetLower();
        return (quarter.GetElement(0) + quarter.GetElement(2)) + (quarter.GetElement(1) + quarter.GetElement(3));
    }

    /// <summary>
    /// Stores a TR.Count rows × TN.Count tokens tile of lane accumulators (aRT: row R, token T) at rows r.. and tokens t0..;
    /// rows past <paramref name="rowEnd"/> were a short tile's repeated last row and are dropped.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreTile<TN, TR>(
        in GemvOperands op, int t0, int r, int rowEnd,
        in Vector256<float> a00, in Vector256<float> a01, in Vector256<float> a02, in Vector256<float> a03,
        in Vector256<float> a10, in Vector256<float> a11, in Vector256<float> a12, in Vector256<float> a13,
        in Vector256<float> a20, in Vector256<float> a21, in Vector256<float> a22, in Vector256<float> a23,
        in Vector256<float> a30, in Vector256<float> a31, in Vector256<float> a32, in Vector256<float> a33)
        where TN : struct, ITokenGroup
        where TR : struct, ITokenGroup
    {
        GemvRows.Store<TN>(op, t0, r, Sum(a00), Sum(a01), Sum(a02), Sum(a03));
        if (TR.Count > 1 && r + 1 < rowEnd)
        {
            GemvRows.Store<TN>(op, t0, r + 1, Sum(a10), Sum(a11), Sum(a12), Sum(a13));
        }

        if (TR.Count > 1 && r + 2 < rowEnd)
        {
            GemvRows.Store<TN>(op, t0, r + 2, Sum(a20), Sum(a21), Sum(a22), Sum(a23));
        }

        if (TR.Count > 1 && r + 3 < rowEnd)
        {
            GemvRows.Store<TN>(op, t0, r + 3, Sum(a30), Sum(a31), Sum(a32), Sum(a33));
        }
    }

    /// <summary>
    /// One token's 32-value block against a tile's rows: acc_R = fma(d_R·x.d, lanes(u_R, x), acc_R), per row R, with
    /// the lanes from DotQ8Biased (the activation block's −128·Σx correction preloaded as the integer accumulator).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void AccumulateToken<TS, TV, TR>(
        in BiasedTile tile, sbyte* q, int* c, float xScale,
        ref Vector256<float> a0, ref Vector256<float> a1, ref Vector256<float> a2, ref Vector256<float> a3)
        where TS : struct, ISimd<TV>
        where TV : struct
        where TR : struct, ITokenGroup
    {
        var x = Vector256.Load(q);
        var l = Vector256.Load(c);
        a0 = Accumulate(Vector256.Create(tile.D0 * xScale), TS.DotQ8Biased(l, tile.U0, x), a0);
        if (TR.Count > 1)
        {
            a1 = Accumulate(Vector256.Create(tile.D1 * xScale), TS.DotQ8Biased(l, tile.U1, x), a1);
            a2 = Accumulate(Vector256.Create(tile.D2 * xScale), TS.DotQ8Biased(l, tile.U2, x), a2);
            a3 = Accumulate(Vector256.Create(tile.D3 * xScale), TS.DotQ8Biased(l, tile.U3, x), a3);
        }
    }
}

/// <summary>
/// 32 values of up to four weight rows as DotQ8Biased's unsigned weights (w + 128), each row with its f32 scale:
/// unpacked once per block and used for every token of a tile (<see cref="Q4Rows"/>, <see cref="AwqRows"/>).
/// </summary>
internal readonly record struct BiasedTile(
    Vector256<byte> U0, Vector256<byte> U1, Vector256<byte> U2, Vector256<byte> U3, float D0, float D1, float D2, float D3);
