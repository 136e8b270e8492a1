namespace SharpServe.Bench;

/// <summary>
/// One timed phase of the engine table: <see cref="Sequences"/> sequences each advance by
/// <see cref="TokensPerSequence"/> tokens from <see cref="StartContext"/> cached ones, in <see cref="Forwards"/>
/// forward passes (each streams the weights once), with <see cref="LogitRowsPerSequence"/> LM-head rows each.
/// </summary>
public sealed record PhaseShape(string Name, int Sequences, int StartContext, int TokensPerSequence, int Forwards, int LogitRowsPerSequence)
{
    public int Tokens => Sequences * TokensPerSequence;

    /// <summary>One sequence, one token a forward pass, every token sampled.</summary>
    public static PhaseShape Decode(int startContext, int tokens) => new("decode", 1, startContext, tokens, tokens, tokens);

    /// <summary>One prompt in one forward pass; only its last token's logits.</summary>
    public static PhaseShape Prefill(int tokens) => new($"prefill {tokens}", 1, 0, tokens, 1, 1);

    /// <summary>Decode-only steps of <paramref name="sequences"/> sequences at once, every sequence sampled each step.</summary>
    public static PhaseShape Batched(int sequences, int startContext, int steps) => new($"batched {sequences}", sequences, startContext, steps, steps, steps);
}

/// <summary>This machine's limits, measured in the run: read bandwidth and the f32 FMA and int8 dot peaks (2 threads).</summary>
public sealed record MachineLimits(double BandwidthGBps, double Float32GFlops, double Int8Gops)
{
    public double Peak(PeakKind kind) => kind == PeakKind.Int8Dot ? Int8Gops : Float32GFlops;
}

/// <summary>The most tokens/s a phase can reach, and whether memory or arithmetic sets it.</summary>
public sealed record PhaseLimit(double TokensPerS, string Bound);

/// <summary>What a measured tokens/s means: bytes and FLOPs per second, and the share of the phase's limit.</summary>
public sealed record Achieved(double TokensPerS, double GBps, double GFlops, double PercentOfLimit);

/// <summary>
/// The roofline of one phase: its time cannot be less than its streamed bytes over the bandwidth nor its FLOPs
/// over the arithmetic peak, so the limit is the tokens over the larger of the two.
/// </summary>
public static class Roofline
{
    public static PhaseLimit Limit(ModelCost cost, PhaseShape phase, double bandwidthGBps, double peakGFlops)
    {
        ArgumentNullException.ThrowIfNull(cost);
        ArgumentNullException.ThrowIfNull(phase);
        double memorySeconds = (double)phase.Forwards * cost.WeightBytes / (bandwidthGBps * 1e9);
        double computeSeconds = Flops(cost, phase) / (peakGFlops * 1e9);
        return memorySeconds >= computeSeconds
            ? new PhaseLimit(phase.Tokens / memorySeconds, "memory")
            : new PhaseLimit(phase.Tokens / computeSeconds, "compute");
    }

    public static Achieved Achieved(ModelCost cost, PhaseShape phase, double tokensPerS, PhaseLimit limit)
    {
        ArgumentNullException.ThrowIfNull(cost);
        ArgumentNullException.ThrowIfNull(phase);
        ArgumentNullException.ThrowIfNull(limit);
        double seconds = phase.Tokens / tokensPerS;
        return new Achieved(
            tokensPerS,
            StreamedGBps(cost, phase, tokensPerS),
            Flops(cost, phase) / seconds / 1e9,
            100 * tokensPerS / limit.TokensPerS);
    }

    /// <summary>The weight bytes per second a phase run at <paramref name="tokensPerS"/> streams (each forward pass reads the weights once).</summary>
    public static double StreamedGBps(ModelCost cost, PhaseShape phase, double tokensPerS)
    {
        ArgumentNullException.ThrowIfNull(cost);
        ArgumentNullException.ThrowIfNull(phase);
        return (double)phase.Forwards * cost.WeightBytes * tokensPerS / phase.Tokens / 1e9;
    }

    private static double Flops(ModelCost cost, PhaseShape phase) =>
        cost.Flops(phase.Sequences, phase.StartContext, phase.TokensPerSequence, phase.LogitRowsPerSequence);
}
