using SharpServe.Engine.Tokenization;

namespace SharpServe.Engine.Loading;

/// <summary>
/// The one definition of how a Qwen2 model is described in GGUF metadata, with llama.cpp's key
/// names and value types (counts and token ids uint32, epsilon and rope base float32, token types
/// int32, add_bos bool), used both to write files (create-model, tests) and to read them back.
/// </summary>
public static class GgufQwen2Metadata
{
    public const string Architecture = "qwen2";
    public const string TokenizerModel = "gpt2";

    public const string ArchitectureKey = "general.architecture";
    public const string NameKey = "general.name";
    public const string ContextLengthKey = "qwen2.context_length";
    public const string EmbeddingLengthKey = "qwen2.embedding_length";
    public const string BlockCountKey = "qwen2.block_count";
    public const string FeedForwardLengthKey = "qwen2.feed_forward_length";
    public const string HeadCountKey = "qwen2.attention.head_count";
    public const string HeadCountKvKey = "qwen2.attention.head_count_kv";
    public const string RmsEpsilonKey = "qwen2.attention.layer_norm_rms_epsilon";
    public const string RopeFreqBaseKey = "qwen2.rope.freq_base";

    public const string TokenizerModelKey = "tokenizer.ggml.model";
    public const string TokenizerPreKey = "tokenizer.ggml.pre";
    public const string TokensKey = "tokenizer.ggml.tokens";
    public const string TokenTypeKey = "tokenizer.ggml.token_type";
    public const string MergesKey = "tokenizer.ggml.merges";
    public const string BosIdKey = "tokenizer.ggml.bos_token_id";
    public const string EosIdKey = "tokenizer.ggml.eos_token_id";
    public const string PadIdKey = "tokenizer.ggml.padding_token_id";
    public const string AddBosKey = "tokenizer.ggml.add_bos_token";
    public const string ChatTemplateKey = "tokenizer.chat_template";

    /// <summary>
    /// Adds general.*, qwen2.* and (when <paramref name="tokenizer"/> is given) tokenizer.* keys.
    /// llama.cpp takes the vocabulary size from the token list, so it must have one entry per
    /// embedding row (padding rows included).
    /// </summary>
    public static void Write(GgufWriter writer, Qwen2Config config, TokenizerSpec? tokenizer, string name = "Qwen2")
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(config);
        writer.AddString(ArchitectureKey, Architecture);
        writer.AddString(NameKey, name);
        writer.AddUInt32(GgufReader.AlignmentKey, GgufReader.DefaultAlignment);
        writer.AddUInt32(ContextLengthKey, (uint)config.MaxPositionEmbeddings);
        writer.AddUInt32(EmbeddingLengthKey, (uint)config.HiddenSize);
        writer.AddUInt32(BlockCountKey, (uint)config.NumHiddenLayers);
        writer.AddUInt32(FeedForwardLengthKey, (uint)config.IntermediateSize);
        writer.AddUInt32(HeadCountKey, (uint)config.NumAttentionHeads);
        writer.AddUInt32(HeadCountKvKey, (uint)config.NumKeyValueHeads);
        writer.AddFloat32(RmsEpsilonKey, config.RmsNormEps);
        writer.AddFloat32(RopeFreqBaseKey, config.RopeTheta);
        if (tokenizer is not null)
        {
            WriteTokenizer(writer, tokenizer);
        }
    }

    /// <summary>
    /// Hyper-parameters of a qwen2 GGUF file; vocabulary size and tying come from the tensors.
    /// BOS/EOS ids are tokenizer keys (see <see cref="ReadTokenizer"/>) and are left unset here.
    /// </summary>
    public static Qwen2Config ReadConfig(GgufFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var metadata = file.Metadata;
        string architecture = metadata.Get<string>(ArchitectureKey);
        if (architecture != Architecture)
        {
            throw new ModelFormatException(file.Path, $"unsupported architecture '{architecture}': SharpServe runs {Architecture} only");
        }

        var embedding = file.Tensors.GetValueOrDefault(WeightNames.Gguf.TokenEmbedding)
            ?? throw new ModelFormatException(file.Path, $"tensor {WeightNames.Gguf.TokenEmbedding} is missing");
        var config = new Qwen2Config
        {
            HiddenSize = Count(metadata, EmbeddingLengthKey),
            IntermediateSize = Count(metadata, FeedForwardLengthKey),
            NumHiddenLayers = Count(metadata, BlockCountKey),
            NumAttentionHeads = Count(metadata, HeadCountKey),
            // llama.cpp defaults the KV head count to the head count (plain multi-head attention).
            NumKeyValueHeads = metadata.Contains(HeadCountKvKey) ? Count(metadata, HeadCountKvKey) : Count(metadata, HeadCountKey),
            VocabSize = embedding.Rows,
            MaxPositionEmbeddings = Count(metadata, ContextLengthKey),
            RmsNormEps = metadata.Get<float>(RmsEpsilonKey),
            RopeTheta = metadata.TryGet<float>(RopeFreqBaseKey, out float ropeBase) ? ropeBase : 10000f,
            TieWordEmbeddings = !file.Tensors.ContainsKey(WeightNames.Gguf.LmHead),
            TorchDtype = TorchDtype(embedding.Type),
        };
        config.Validate(file.Path);
        return config;
    }

    /// <summary>The tokenizer.* keys as a <see cref="TokenizerSpec"/>; null when the file has no tokenizer.</summary>
    public static TokenizerSpec? ReadTokenizer(GgufMetadata metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        if (!metadata.TryGet<string>(TokenizerModelKey, out string? model))
        {
            return null;
        }

        if (model != TokenizerModel)
        {
            throw new ModelFormatException(metadata.Path, $"{TokenizerModelKey} is '{model}'; only '{TokenizerModel}' (byte-level BPE) is supported");
        }

        string[] tokens = metadata.Get<string[]>(TokensKey);
        var kinds = new TokenKind[tokens.Length];
        if (metadata.TryGet<int[]>(TokenTypeKey, out int[]? types))
        {
            if (types.Length != tokens.Length)
            {
                throw new ModelFormatException(metadata.Path, $"{TokenTypeKey} has {types.Length} entries for {tokens.Length} tokens");
            }

            for (int i = 0; i < types.Length; i++)
            {
                kinds[i] = Enum.IsDefined((TokenKind)types[i])
                    ? (TokenKind)types[i]
                    : throw new ModelFormatException(metadata.Path, $"{TokenTypeKey}[{i}] = {types[i]} is not a token type");
            }
        }
        else
        {
            Array.Fill(kinds, TokenKind.Normal);
        }

        return new TokenizerSpec(
            tokens,
            kinds,
            metadata.Get<string[]>(MergesKey),
            metadata.TryGet<string>(TokenizerPreKey, out string? pre) ? pre : "default",
            TokenId(metadata, BosIdKey, tokens.Length),
            TokenId(metadata, EosIdKey, tokens.Length),
            TokenId(metadata, PadIdKey, tokens.Length),
            metadata.TryGet<bool>(AddBosKey, out bool addBos) && addBos,
            metadata.TryGet<string>(ChatTemplateKey, out string? template) ? template : null);
    }

    private static void WriteTokenizer(GgufWriter writer, TokenizerSpec tokenizer)
    {
        if (tokenizer.Kinds.Count != tokenizer.Tokens.Count)
        {
            throw new ArgumentException($"tokenizer has {tokenizer.Kinds.Count} kinds for {tokenizer.Tokens.Count} tokens", nameof(tokenizer));
        }

        writer.AddString(TokenizerModelKey, TokenizerModel);
        writer.AddString(TokenizerPreKey, tokenizer.Pre);
        writer.AddStringArray(TokensKey, tokenizer.Tokens);
        writer.AddInt32Array(TokenTypeKey, tokenizer.Kinds.Select(k => (int)k).ToArray());
        writer.AddStringArray(MergesKey, tokenizer.Merges);
        AddId(writer, BosIdKey, tokenizer.BosId);
        AddId(writer, EosIdKey, tokenizer.EosId);
        AddId(writer, PadIdKey, tokenizer.PadId);
        writer.AddBool(AddBosKey, tokenizer.AddBos);
        if (tokenizer.ChatTemplate is not null)
        {
            writer.AddString(ChatTemplateKey, tokenizer.ChatTemplate);
        }
    }

    private static void AddId(GgufWriter writer, string key, int? id)
    {
        if (id is int value)
        {
            writer.AddUInt32(key, checked((uint)value));
        }
    }

    private static int? TokenId(GgufMetadata metadata, string key, int vocabulary)
    {
        if (!metadata.TryGetInteger(key, out long id))
        {
            return null;
        }

        return id >= 0 && id < vocabulary
            ? (int)id
            : throw new ModelFormatException(metadata.Path, $"{key} = {id} is outside the {vocabulary}-token vocabulary");
    }

    private static int Count(GgufMetadata metadata, string key)
    {
        long value = metadata.GetInteger(key);
        return value is > 0 and <= int.MaxValue
            ? (int)value
            : throw new ModelFormatException(metadata.Path, $"{key} = {value} must be a positive 32-bit count");
    }

    // Q8_0, Q4_0 and Q6_K have no torch dtype; dequantizing them gives float32.
    private static string TorchDtype(TensorDType type) => type switch
    {
        TensorDType.F16 => "float16",
        TensorDType.BF16 => "bfloat16",
        _ => "float32",
    };
}
