using System.Text.Json;
using System.Text.Json.Nodes;

namespace SharpServe.Engine.Loading;

/// <summary>Hyper-parameters of a Qwen2ForCausalLM model (the fields of HF <c>config.json</c> we use).</summary>
public sealed record Qwen2Config
{
    public const string Architecture = "Qwen2ForCausalLM";

    public required int HiddenSize { get; init; }
    public required int IntermediateSize { get; init; }
    public required int NumHiddenLayers { get; init; }
    public required int NumAttentionHeads { get; init; }
    public required int NumKeyValueHeads { get; init; }
    public required int VocabSize { get; init; }
    public int MaxPositionEmbeddings { get; init; } = 32768;
    public float RmsNormEps { get; init; } = 1e-6f;
    public float RopeTheta { get; init; } = 10000f;
    public bool TieWordEmbeddings { get; init; }
    public int? BosTokenId { get; init; }
    public int? EosTokenId { get; init; }
    public string TorchDtype { get; init; } = "float32";

    /// <summary>quantization_config: null for float weights, else the AutoAWQ layout of the projections.</summary>
    public AwqQuantizationConfig? Quantization { get; init; }

    public int HeadDim => HiddenSize / NumAttentionHeads;
    public int KvDim => NumKeyValueHeads * HeadDim;

    /// <summary>Throws <see cref="ModelFormatException"/> naming <paramref name="path"/> if the numbers cannot describe a Qwen2 model.</summary>
    public void Validate(string path)
    {
        void Positive(int value, string name)
        {
            if (value <= 0)
            {
                throw new ModelFormatException(path, $"{name} must be positive, got {value}");
            }
        }

        Positive(HiddenSize, "hidden_size");
        Positive(IntermediateSize, "intermediate_size");
        Positive(NumHiddenLayers, "num_hidden_layers");
        Positive(NumAttentionHeads, "num_attention_heads");
        Positive(NumKeyValueHeads, "num_key_value_heads");
        Positive(VocabSize, "vocab_size");
        Positive(MaxPositionEmbeddings, "max_position_embeddings");
        if (HiddenSize % NumAttentionHeads != 0)
        {
            throw new ModelFormatException(path, $"hidden_size {HiddenSize} is not a multiple of num_attention_heads {NumAttentionHeads}");
        }

        if (NumAttentionHeads % NumKeyValueHeads != 0)
        {
            throw new ModelFormatException(path, $"num_attention_heads {NumAttentionHeads} is not a multiple of num_key_value_heads {NumKeyValueHeads}");
        }

        if (HeadDim % 2 != 0)
        {
            throw new ModelFormatException(path, $"head_dim {HeadDim} must be even for rotary embeddings");
        }

        if (!(RmsNormEps > 0) || !(RopeTheta > 0) || float.IsInfinity(RopeTheta))
        {
            throw new ModelFormatException(path, $"rms_norm_eps ({RmsNormEps}) and rope_theta ({RopeTheta}) must be positive and finite");
        }
    }

    /// <summary>Parses a config.json; refuses any architecture other than Qwen2ForCausalLM.</summary>
    public static Qwen2Config FromJson(string json, string path)
    {
        JsonObject root;
        try
        {
            root = JsonNode.Parse(json) as JsonObject ?? throw new ModelFormatException(path, "config is not a JSON object");
        }
        catch (JsonException e)
        {
            throw new ModelFormatException(path, $"invalid JSON: {e.Message}", e);
        }

        try
        {
            var architectures = root["architectures"] as JsonArray;
            string? arch = architectures?.Count > 0 ? architectures[0]?.GetValue<string>() : null;
            if (arch != Architecture)
            {
                throw new ModelFormatException(path, $"unsupported architecture '{arch ?? "(none)"}': SharpServe runs {Architecture} only");
            }

            var config = new Qwen2Config
            {
                HiddenSize = Required<int>(root, "hidden_size", path),
                IntermediateSize = Required<int>(root, "intermediate_size", path),
                NumHiddenLayers = Required<int>(root, "num_hidden_layers", path),
                NumAttentionHeads = Required<int>(root, "num_attention_heads", path),
                NumKeyValueHeads = root["num_key_value_heads"]?.GetValue<int>() ?? Required<int>(root, "num_attention_heads", path),
                VocabSize = Required<int>(root, "vocab_size", path),
                MaxPositionEmbeddings = root["max_position_embeddings"]?.GetValue<int>() ?? 32768,
                RmsNormEps = root["rms_norm_eps"]?.GetValue<float>() ?? 1e-6f,
                RopeTheta = root["rope_theta"]?.GetValue<float>() ?? 10000f,
                TieWordEmbeddings = root["tie_word_embeddings"]?.GetValue<bool>() ?? false,
                BosTokenId = root["bos_token_id"]?.GetValue<int>(),
                EosTokenId = root["eos_token_id"] is JsonValue eos ? eos.GetValue<int>() : null,
                TorchDtype = root["torch_dtype"]?.GetValue<string>() ?? "float32",
                Quantization = AwqQuantizationConfig.Parse(root["quantization_config"], path),
            };
            config.Validate(path);
            return config;
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new ModelFormatException(path, $"a field has the wrong type: {e.Message}", e);
        }
    }

    /// <summary>Writes config.json in the layout transformers uses for Qwen2.</summary>
    public string ToJson()
    {
        var root = new JsonObject
        {
            ["architectures"] = new JsonArray(Architecture),
            ["attention_dropout"] = 0.0,
            ["bos_token_id"] = BosTokenId,
            ["eos_token_id"] = EosTokenId,
            ["hidden_act"] = "silu",
            ["hidden_size"] = HiddenSize,
            ["initializer_range"] = 0.02,
            ["intermediate_size"] = IntermediateSize,
            ["max_position_embeddings"] = MaxPositionEmbeddings,
            ["max_window_layers"] = NumHiddenLayers,
            ["model_type"] = "qwen2",
            ["num_attention_heads"] = NumAttentionHeads,
            ["num_hidden_layers"] = NumHiddenLayers,
            ["num_key_value_heads"] = NumKeyValueHeads,
            ["rms_norm_eps"] = RmsNormEps,
            ["rope_theta"] = RopeTheta,
            ["sliding_window"] = 4096,
            ["tie_word_embeddings"] = TieWordEmbeddings,
            ["torch_dtype"] = TorchDtype,
            ["use_cache"] = true,
            ["use_sliding_window"] = false,
            ["vocab_size"] = VocabSize,
        };
        if (Quantization is not null)
        {
            root["quantization_config"] = Quantization.ToJson();
        }

        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    private static T Required<T>(JsonObject root, string key, string path) =>
        root[key] is JsonNode node ? node.GetValue<T>() : throw new ModelFormatException(path, $"missing required field '{key}'");
}
