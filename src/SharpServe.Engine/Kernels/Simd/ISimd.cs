namespace SharpServe.Engine.Kernels.Simd;

/// <summary>
/// The primitive operations of one vector width. Kernels are written once as generic methods over
/// <c>TS : struct, ISimd&lt;TV&gt;</c>; the JIT compiles a separate copy per struct type argument and inlines
/// these static calls, so each tier runs straight-line code of its own width (the scalar tier has TV = float).
/// A "pair" vector holds 2·Count packed 16-bit values, Count 32-bit lanes each holding elements (2i, 2i+1).
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

    static abstract TV Exp(TV value);

    static abstract float Sum(TV value);

    static abstract float MaxAcross(TV value);

    /// <summary>Σ x[i]² over n values: each square rounded to f32 (like ggml), the sum kept in f64.</summary>
    static abstract double SumOfSquares(float* x, int n);

    /// <summary>Raw bits of 2·Count packed 16-bit values.</summary>
    static abstract TV LoadPairs(void* source);

    static abstract TV Bf16Even(TV pairs);

    static abstract TV Bf16Odd(TV pairs);

    static abstract TV F16Even(TV pairs);

    static abstract TV F16Odd(TV pairs);

    /// <summary>Count bf16 values widened to f32, in order.</summary>
    static abstract TV LoadBf16(ushort* source);

    /// <summary>Count IEEE half values widened to f32, in order.</summary>
    static abstract TV LoadF16(ushort* source);

    /// <summary>Count int8 values converted to f32, in order.</summary>
    static abstract TV LoadInt8(sbyte* source);

    /// <summary>Splits 2·Count floats into their even-indexed then odd-indexed elements (the order <see cref="Bf16Even"/>/<see cref="Bf16Odd"/> produce).</summary>
    static abstract void Deinterleave(float* source, float* destination);

    /// <summary>Products of 32 int8 weights with 32 int16 activations, summed exactly in int32 lanes and returned as f32 lanes.</summary>
    static abstract TV DotQ8Block(sbyte* weights, short* activations);

    /// <summary>Count values of round-to-nearest-even(x · scale) stored as int16 (|x · scale| ≤ 127.5).</summary>
    static abstract void QuantizeToInt16(float* source, float scale, short* destination);
}
