using System.Runtime.Intrinsics;

namespace SharpServe.Engine.Kernels.Simd;

/// <summary>
/// The primitive operations of one vector width. Kernels are written once as generic methods over
/// <c>TS : struct, ISimd&lt;TV&gt;</c>; the JIT compiles a separate copy per struct type argument and inlines
/// these static calls, so each tier runs straight-line code of its own width (the scalar tier has TV = float).
/// A "pair" vector holds 2·Count packed 16-bit values, Count 32-bit lanes each holding elements (2i, 2i+1).
/// Kernels with loops are marked AggressiveOptimization: Tier-0 code does not inline these helpers and
/// runs many times slower, which showed up as multi-millisecond first calls before tiering caught up.
/// </summary>
internal unsafe interface ISimd<TV>
    where TV : struct
{
    /// <summary>f32 lanes per vector.</summary>
    static abstract int Count { get; }

    static abstract TV Zero { get; }

    static abstract TV Broadcast(float value);

    static abstract TV Load(float* source);

    static abstract void Store(float* destination, TV value);

    static abstract TV Add(TV left, TV right);

    static abstract TV Subtract(TV left, TV right);

    static abstract TV Multiply(TV left, TV right);

    static abstract TV Divide(TV left, TV right);

    /// <summary>a · b + c with one rounding.</summary>
    static abstract TV MultiplyAdd(TV a, TV b, TV c);

    static abstract TV Max(TV left, TV right);

    static abstract TV Abs(TV value);

    /// <summary>
    /// e^x exactly as llama.cpp computes it for this width (ggml_v_expf: a polynomial within 1.5 ulp; the
    /// scalar tier uses the C library's expf like ggml's scalar code), so softmax and SiLU match it bit for bit.
    /// </summary>
    static abstract TV Exp(TV value);

    static abstract float Sum(TV value);

    static abstract float MaxAcross(TV value);

    /// <summary>Σ x[i]² over n values: each square rounded to f32 (like ggml), the sum kept in f64.</summary>
    static abstract double SumOfSquares(float* x, int n);

    /// <summary>Hints the cache line at address into L1 (never faults, even past the end of a buffer).</summary>
    static abstract void Prefetch(void* address);

    /// <summary>Raw bits of 2·Count packed 16-bit values.</summary>
    static abstract TV LoadPairs(void* source);

    static abstract TV Bf16Even(TV pairs);

    static abstract TV Bf16Odd(TV pairs);

    /// <summary>
    /// The even (low) halves of pairs as f32 times 2^-112: sign and exponent/mantissa moved into place
    /// without the exponent rebias, which the caller applies once to a whole sum. Three integer
    /// operations instead of a full conversion; only for finite halves (inf/NaN come out finite).
    /// </summary>
    static abstract TV F16EvenUnbiased(TV pairs);

    /// <summary>The odd (high) halves of pairs as f32 times 2^-112; see <see cref="F16EvenUnbiased"/>.</summary>
    static abstract TV F16OddUnbiased(TV pairs);

    /// <summary>Count bf16 values widened to f32, in order.</summary>
    static abstract TV LoadBf16(ushort* source);

    /// <summary>Count IEEE half values widened to f32, in order.</summary>
    static abstract TV LoadF16(ushort* source);

    /// <summary>Count int8 values converted to f32, in order.</summary>
    static abstract TV LoadInt8(sbyte* source);

    /// <summary>Splits 2·Count floats into their even-indexed then odd-indexed elements (the order <see cref="Bf16Even"/>/<see cref="Bf16Odd"/> produce).</summary>
    static abstract void Deinterleave(float* source, float* destination);

    /// <summary>
    /// VNNI's vpdpbusd on one Q8_0 block: 8 int32 lanes, lane k = correction[k] + Σ u[i]·x[i] over i in [4k, 4k + 4),
    /// exact (u unsigned, x signed). With u = w + 128 (w ^ 0x80) and correction = −128·Σ x over the lane's four
    /// values this is ggml's lane k = Σ w[i]·x[i]: a weight block is offset once and serves every token, where
    /// the sign trick (|w| times x with w's signs) costs an extra operation for every weight-token pair.
    /// </summary>
    static abstract Vector256<int> DotQ8Biased(Vector256<int> correction, Vector256<byte> unsignedWeights, Vector256<sbyte> activations);

    /// <summary>
    /// accumulator + 8 int32 lanes, lane k = scales[2k]·(u[4k]·x[4k] + u[4k+1]·x[4k+1]) + scales[2k+1]·(u[4k+2]·x[4k+2] +
    /// u[4k+3]·x[4k+3]), exact while u ≤ 127 (the pair sums are formed in int16, vpmaddubsw, which saturates beyond).
    /// With both scales of a lane equal this is scale · Σ u·x over the lane's four values, and the scale comes for free
    /// in vpmaddwd (or vpdpwssd with AVX-VNNI) instead of a separate int32 multiply.
    /// </summary>
    static abstract Vector256<int> DotQ8Scaled(Vector256<int> accumulator, Vector256<byte> unsignedWeights, Vector256<sbyte> activations, Vector256<short> scales);

    /// <summary>
    /// One Q4_K super-block against one token: 8 int32 lanes, lane k = Σ_c scales[c] · Σ q4·q8 over elements 32c + 4k ..
    /// 32c + 4k + 3 of each 32-value chunk c (exact, like <see cref="DotQ8Scaled"/>). <paramref name="packedQuants"/>: 128
    /// bytes, byte j of 32-byte group g holding chunk 2g's element j in its low nibble and chunk 2g + 1's in its high one;
    /// <paramref name="activations"/>: the 256 Q8_K quants; <paramref name="scales"/>: the 8 six-bit chunk scales.
    /// A single token has no unpacked chunk to share, so the whole super-block is one call and a wide tier can take
    /// two chunks per instruction.
    /// </summary>
    static abstract Vector256<int> DotQ4K(byte* packedQuants, sbyte* activations, Vector128<short> scales);

    /// <summary>
    /// One Q6_K super-block against one token: 8 int32 lanes, lane k = Σ_c scale(c, k) · (offsets[8c + k] + Σ q6·q8 over
    /// elements 32c + 4k .. 32c + 4k + 3), scale(c, k) = scales[2c] for k &lt; 4, else scales[2c + 1] (exact).
    /// <paramref name="quants"/>: ql[128] then qh[64] (layout in Q6Rows); <paramref name="offsets"/>: −32 · the q8 sum of
    /// each 4 values, so the sum is over q6 − 32.
    /// </summary>
    static abstract Vector256<int> DotQ6K(byte* quants, sbyte* activations, int* offsets, Vector128<sbyte> scales);

    /// <summary>Count values of round-to-nearest-even(x · scale) stored as int8 (|x · scale| ≤ 127.5).</summary>
    static abstract void QuantizeToInt8(float* source, float scale, sbyte* destination);
}
