using SharpServe.Engine.Loading;
using SharpServe.Engine.Models;

namespace SharpServe.Bench;

/// <summary>Which arithmetic peak bounds a format's multi-token matmuls: f32 FMAs (weights widened) or int8 dot products.</summary>
public enum PeakKind
{
    Float32Fma,
    Int8Dot,
}

/// <summary>
/// One row group of the engine table: the file SharpServe runs (created on first use), how SharpServe opens it,
/// the file llama.cpp runs as its peer (null: no llama.cpp peer), and which arithmetic peak its matmuls reach for.
/// </summary>
/// <param name="EnsureFile">Creates (once) and returns SharpServe's file; the argument is the tokenizer path, if given.</param>
/// <param name="Load">Loads SharpServe's file (quantizing at load, if the format does, with this many threads).</param>
/// <param name="EnsureLlamaCppFile">Creates (once) and returns llama.cpp's file, or null when llama.cpp has no such format.</param>
/// <param name="Cost">
/// What SharpServe streams and computes per token; null counts it from the loaded checkpoint, which is right unless
/// the loader transforms the weights into tensors the checkpoint does not list.
/// </param>
public sealed record BenchFormat(
    string Name,
    Func<string?, string> EnsureFile,
    Func<string, int, ModelCheckpoint> Load,
    Func<string?, string>? EnsureLlamaCppFile,
    PeakKind Peak,
    Func<LoadedModel, ModelCost>? Cost = null)
{
    /// <summary>
    /// The format of llama.cpp's file when llama.cpp cannot run SharpServe's (int8 at load, AWQ) and runs the
    /// closest GGUF it can load instead; null when both engines run the same format.
    /// </summary>
    public string? LlamaCppFormat { get; init; }

    /// <summary>The table's format cell: the name, and what llama.cpp ran when that is another format.</summary>
    public string Label => LlamaCppFormat is { } theirs ? $"{Name} (llama.cpp: {theirs})" : Name;

    /// <summary>SharpServe's cost for the loaded model (see <see cref="Cost"/>).</summary>
    public ModelCost CostOf(LoadedModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Cost is { } cost ? cost(model) : ModelCost.FromCheckpoint(model.Checkpoint);
    }

    /// <summary>Loads a file as it is stored (every format but int8 at load).</summary>
    public static ModelCheckpoint LoadAsIs(string path, int threads) => ModelLoader.Load(path);

    /// <summary>A GGUF given on the command line, run by both engines; its matmul weights' type picks the peak.</summary>
    public static BenchFormat ForFile(string path)
    {
        using var checkpoint = ModelLoader.Load(path);
        var type = checkpoint.Tensors.Values.First(t => t.Shape.Length == 2 && t.Name != checkpoint.Names.TokenEmbedding).Type;
        var peak = type is TensorDType.F32 or TensorDType.F16 or TensorDType.BF16 ? PeakKind.Float32Fma : PeakKind.Int8Dot;
        return new BenchFormat(Path.GetFileName(path), _ => path, LoadAsIs, _ => path, peak);
    }

    /// <summary>A GGUF of <paramref name="type"/> that both engines load as it is.</summary>
    public static BenchFormat Gguf(string name, TensorDType type, PeakKind peak) => new(
        name,
        tokenizer => BenchModels.Ensure(type, tokenizer),
        LoadAsIs,
        tokenizer => BenchModels.Ensure(type, tokenizer),
        peak);

    /// <summary>
    /// <c>--quantization int8</c>: SharpServe quantizes the bf16 GGUF to Q8_0 at load (cached); llama.cpp cannot
    /// quantize at load, so its peer is the Q8_0 GGUF of the same model — the same weight format, written ahead.
    /// </summary>
    public static BenchFormat Int8AtLoad() => new(
        "int8",
        tokenizer => BenchModels.Ensure(TensorDType.BF16, tokenizer),
        (path, threads) => ModelLoader.Load(path, new ModelLoadOptions(WeightQuantization.Int8), threads),
        tokenizer => BenchModels.Ensure(TensorDType.Q8_0, tokenizer),
        PeakKind.Int8Dot)
    {
        LlamaCppFormat = "q8_0",
    };

    /// <summary>
    /// An AutoAWQ GEMM checkpoint (HF, 4-bit groups of 128); llama.cpp loads no AWQ, so its peer is the Q4_0 GGUF,
    /// the other 4-bit format with one scale per small group.
    /// </summary>
    public static BenchFormat AwqHf() => new(
        "awq",
        BenchModels.EnsureAwqHf,
        LoadAsIs,
        tokenizer => BenchModels.Ensure(TensorDType.Q4_0, tokenizer),
        PeakKind.Int8Dot)
    {
        LlamaCppFormat = "q4_0",
    };
}

/// <summary>Every format the engine bench can run; add one entry per new format.</summary>
public static class BenchFormats
{
    public static IReadOnlyList<BenchFormat> All { get; } =
    [
        BenchFormat.Gguf("q8_0", TensorDType.Q8_0, PeakKind.Int8Dot),
        BenchFormat.Gguf("f16", TensorDType.F16, PeakKind.Float32Fma),
        BenchFormat.Gguf("bf16", TensorDType.BF16, PeakKind.Float32Fma),
        BenchFormat.Gguf("q4_0", TensorDType.Q4_0, PeakKind.Int8Dot),
        BenchFormat.Gguf("q6_k", TensorDType.Q6_K, PeakKind.Int8Dot),
        new BenchFormat("q4_k_m", BenchModels.EnsureQ4KMedium, BenchFormat.LoadAsIs, BenchModels.EnsureQ4KMedium, PeakKind.Int8Dot),
        BenchFormat.Int8AtLoad(),
        BenchFormat.AwqHf(),
    ];

    /// <summary>The formats named in a comma-separated list (case-insensitive), in the list's order.</summary>
    public static IReadOnlyList<BenchFormat> Parse(string list)
    {
        ArgumentNullException.ThrowIfNull(list);
        return [.. list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(name =>
            All.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException($"unknown format '{name}'; known formats: {string.Join(",", All.Select(f => f.Name))}"))];
    }
}
