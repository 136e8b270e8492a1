using SharpServe.Engine.Sampling;

namespace SharpServe.Engine.Cuda.Kernels;

/// <summary>
/// One <see cref="SamplingRow"/>'s settings as the sampling kernels read them ([rows] on the device). Flags are ints
/// (the kernels never read a bool from memory); <see cref="FirstEdit"/> and <see cref="FirstTop"/> place the row's edits
/// and top-n results in the step's flat arrays.
/// </summary>
/// <param name="MinPShift">T · ln(min_p) as the host computes it (MathF.Log), −∞ when min_p is off.</param>
internal readonly record struct DeviceSamplingRow(
    double Uniform,
    int LogitsRow,
    int Greedy,
    float Temperature,
    int TopK,
    float TopP,
    float MinPShift,
    float Repetition,
    float Presence,
    float Frequency,
    int Logprobs,
    int FirstEdit,
    int EditCount,
    int FirstTop)
{
    public static DeviceSamplingRow From(SamplingRow row, int firstEdit, int firstTop) => new(
        row.Uniform,
        row.LogitsRow,
        row.Greedy ? 1 : 0,
        row.Temperature,
        row.TopK,
        row.TopP,
        row.MinP > 0 ? row.Temperature * MathF.Log(row.MinP) : float.NegativeInfinity,
        row.RepetitionPenalty,
        row.PresencePenalty,
        row.FrequencyPenalty,
        row.Logprobs,
        firstEdit,
        row.EditCount,
        firstTop);
}

/// <summary>A <see cref="LogitEdit"/> with int flags, as stored on the device.</summary>
internal readonly record struct DeviceLogitEdit(int Token, float Bias, int Masked, int Penalized, int OutputCount)
{
    public static DeviceLogitEdit From(LogitEdit edit) =>
        new(edit.Token, edit.Bias, edit.Masked ? 1 : 0, edit.Penalized ? 1 : 0, edit.OutputCount);

    /// <summary>The edited logit by <see cref="LogitEdit.Apply"/> itself, so host and device edit in one order.</summary>
    public float Apply(float raw, float repetition, float presence, float frequency) =>
        new LogitEdit(Token, Bias, Masked != 0, Penalized != 0, OutputCount).Apply(raw, repetition, presence, frequency);
}

/// <summary>What one row's sampling phases hand each other on the device ([rows]).</summary>
internal struct SamplingState
{
    /// <summary>The largest processed logit and its lowest index (the greedy token).</summary>
    public float Max;

    public int ArgMax;

    /// <summary>The min_p / top_k floor: tokens below it are out.</summary>
    public float Floor;

    /// <summary>The weight a token needs to stay in the draw: the top-p cut c, or 0 (every kept token) without top-p.</summary>
    public float Cut;
}
