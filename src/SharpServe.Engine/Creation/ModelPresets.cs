using SharpServe.Engine.Loading;

namespace SharpServe.Engine.Creation;

/// <summary>Configurations create-model knows by name.</summary>
public static class ModelPresets
{
    /// <summary>The embedded default: small enough to create in seconds, with the real vocabulary so the real tokenizer applies.</summary>
    public static Qwen2Config Tiny { get; } = new()
    {
        HiddenSize = 64,
        IntermediateSize = 128,
        NumHiddenLayers = 2,
        NumAttentionHeads = 4,
        NumKeyValueHeads = 2,
        VocabSize = 151936,
        MaxPositionEmbeddings = 4096,
        RmsNormEps = 1e-6f,
        RopeTheta = 10000f,
        TieWordEmbeddings = true,
        BosTokenId = 151643,
        EosTokenId = 151643,
    };

    /// <summary>DeepSeek-R1-Distill-Qwen-1.5B's config.json (DESIGN.md §2).</summary>
    public static Qwen2Config R1Distill1_5B { get; } = new()
    {
        HiddenSize = 1536,
        IntermediateSize = 8960,
        NumHiddenLayers = 28,
        NumAttentionHeads = 12,
        NumKeyValueHeads = 2,
        VocabSize = 151936,
        MaxPositionEmbeddings = 131072,
        RmsNormEps = 1e-6f,
        RopeTheta = 10000f,
        TieWordEmbeddings = false,
        BosTokenId = 151643,
        EosTokenId = 151643,
        TorchDtype = "bfloat16",
    };

    public static IReadOnlyList<string> Names { get; } = ["tiny", "r1-distill-1.5b"];

    public static Qwen2Config Get(string name) => name switch
    {
        "tiny" => Tiny,
        "r1-distill-1.5b" => R1Distill1_5B,
        _ => throw new ArgumentException($"unknown preset '{name}'; known presets: {string.Join(", ", Names)}", nameof(name)),
    };
}
