namespace SharpServe.Engine.Kernels.MatMul;

/// <summary>
/// How many tokens one GEMV pass serves (1–4), as a type: kernels are generic over it, so the JIT
/// folds every <c>if (TN.Count &gt; k)</c> and keeps exactly the accumulators in use in registers.
/// </summary>
internal interface ITokenGroup
{
    static abstract int Count { get; }
}

internal readonly struct OneToken : ITokenGroup
{
    public static int Count => 1;
}

internal readonly struct TwoTokens : ITokenGroup
{
    public static int Count => 2;
}

internal readonly struct ThreeTokens : ITokenGroup
{
    public static int Count => 3;
}

internal readonly struct FourTokens : ITokenGroup
{
    public static int Count => 4;
}

internal readonly struct EightTokens : ITokenGroup
{
    public static int Count => 8;
}

internal readonly struct SixTokens : ITokenGroup
{
    public static int Count => 6;
}
