using System.Buffers.Binary;
using SharpServe.Engine.Loading;
using SharpServe.Engine.Tokenization;

namespace SharpServe.Engine.Tests.Loading;

/// <summary>One tensor of a generated checkpoint, with the exact bytes written for it.</summary>
internal sealed record TensorData(string Name, TensorDType Type, int[] Shape, byte[] Bytes);

/// <summary>Tiny Qwen2 checkpoints in the real architecture, with random weights, written in either format.</summary>
internal static class TinyQwen2
{
    public static Qwen2Config Config(bool tied = false, int hidden = 64, int layers = 2, int heads = 4, int kvHeads = 2, int intermediate = 128, int vocab = 300) => new()
    {
        HiddenSize = hidden,
        IntermediateSize = intermediate,
        NumHiddenLayers = layers,
        NumAttentionHeads = heads,
        NumKeyValueHeads = kvHeads,
        VocabSize = vocab,
        MaxPositionEmbeddings = 256,
        RmsNormEps = 1e-6f,
        RopeTheta = 10000f,
        TieWordEmbeddings = tied,
        BosTokenId = vocab - 2,
        EosTokenId = vocab - 3,
        TorchDtype = "bfloat16",
    };

    /// <summary>Every tensor the config implies, matrices in <paramref name="matrixType"/>, norms and biases in <paramref name="vectorType"/>.</summary>
    public static List<TensorData> Tensors(Qwen2Config config, WeightNames names, TensorDType matrixType, TensorDType vectorType, int seed = 1)
    {
        var rng = new Random(seed);
        int hidden = config.HiddenSize;
        int q = config.NumAttentionHeads * config.HeadDim;
        int kv = config.KvDim;
        int ffn = config.IntermediateSize;
        var shapes = new List<(string Name, int[] Shape)> { (names.TokenEmbedding, [config.VocabSize, hidden]) };
        for (int i = 0; i < config.NumHiddenLayers; i++)
        {
            shapes.AddRange(
            [
                (names.Layer(i, LayerTensor.AttnNorm), [hidden]),
                (names.Layer(i, LayerTensor.QWeight), [q, hidden]),
                (names.Layer(i, LayerTensor.QBias), [q]),
                (names.Layer(i, LayerTensor.KWeight), [kv, hidden]),
                (names.Layer(i, LayerTensor.KBias), [kv]),
                (names.Layer(i, LayerTensor.VWeight), [kv, hidden]),
                (names.Layer(i, LayerTensor.VBias), [kv]),
                (names.Layer(i, LayerTensor.OWeight), [hidden, q]),
                (names.Layer(i, LayerTensor.FfnNorm), [hidden]),
                (names.Layer(i, LayerTensor.GateWeight), [ffn, hidden]),
                (names.Layer(i, LayerTensor.UpWeight), [ffn, hidden]),
                (names.Layer(i, LayerTensor.DownWeight), [hidden, ffn]),
            ]);
        }

        shapes.Add((names.FinalNorm, [hidden]));
        if (!config.TieWordEmbeddings)
        {
            shapes.Add((names.LmHead, [config.VocabSize, hidden]));
        }

        return shapes.Select(s =>
        {
            var type = s.Shape.Length == 1 ? vectorType : matrixType;
            return new TensorData(s.Name, type, s.Shape, RandomData(type, s.Shape.Aggregate(1L, (a, b) => a * b), rng));
        }).ToList();
    }

    /// <summary>Plausible values in <paramref name="type"/>'s encoding (no kernel helpers needed).</summary>
    public static byte[] RandomData(TensorDType type, long elements, Random rng)
    {
        var bytes = new byte[TensorDTypeInfo.ByteSize(type, elements)];
        float Next() => (float)(rng.NextDouble() * 2 - 1);
        switch (type)
        {
            case TensorDType.F32:
                for (int i = 0; i < elements; i++)
                {
                    BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), Next());
                }

                break;
            case TensorDType.F16:
                for (int i = 0; i < elements; i++)
                {
                    BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(i * 2), (Half)Next());
                }

                break;
            case TensorDType.BF16:
                for (int i = 0; i < elements; i++)
                {
                    BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(i * 2), (ushort)(BitConverter.SingleToUInt32Bits(Next()) >> 16));
                }

                break;
            case TensorDType.Q8_0:
                rng.NextBytes(bytes);
                for (int block = 0; block < bytes.Length; block += TensorDTypeInfo.Q8_0BlockBytes)
                {
                    BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(block), (Half)(Next() / 127));
                }

                break;
            case TensorDType.Q4_0:
                rng.NextBytes(bytes);
                for (int block = 0; block < bytes.Length; block += TensorDTypeInfo.Q4_0BlockBytes)
                {
                    BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(block), (Half)(Next() / 8));
                }

                break;
            case TensorDType.Q6_K:
                rng.NextBytes(bytes);
                for (int block = 0; block < bytes.Length; block += TensorDTypeInfo.Q6_KBlockBytes)
                {
                    BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(block + 208), (Half)(Next() / (32 * 127)));
                }

                break;
            case TensorDType.Q4_K:
                rng.NextBytes(bytes);
                for (int block = 0; block < bytes.Length; block += TensorDTypeInfo.Q4_KBlockBytes)
                {
                    BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(block), (Half)(Math.Abs(Next()) / (63 * 15)));
                    BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(block + 2), (Half)(Math.Abs(Next()) / (2 * 63)));
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(type));
        }

        return bytes;
    }

    /// <summary>A small byte-level-BPE-shaped vocabulary: regular tokens, a few added ones, one per embedding row.</summary>
    public static TokenizerSpec Tokenizer(int vocab)
    {
        var tokens = Enumerable.Range(0, vocab).Select(i => i % 7 == 0 ? $"Ġt{i}" : $"t{i}").ToArray();
        var kinds = Enumerable.Repeat(TokenKind.Normal, vocab).ToArray();
        (tokens[vocab - 3], kinds[vocab - 3]) = ("<｜end▁of▁sentence｜>", TokenKind.Control);
        (tokens[vocab - 2], kinds[vocab - 2]) = ("<｜begin▁of▁sentence｜>", TokenKind.Control);
        (tokens[vocab - 1], kinds[vocab - 1]) = ("<think>", TokenKind.UserDefined);
        return new TokenizerSpec(
            tokens, kinds, ["t 1", "Ġ t", "t1 2"], "deepseek-r1-qwen", BosId: vocab - 2, EosId: vocab - 3, PadId: vocab - 3, AddBos: true,
            ChatTemplate: "{% for m in messages %}<｜User｜>{{ m['content'] }}{% endfor %}");
    }

    /// <summary>Writes a GGUF file; <paramref name="metadata"/> replaces the standard qwen2 metadata when given.</summary>
    public static void WriteGguf(string path, Qwen2Config config, IEnumerable<TensorData> tensors, TokenizerSpec? tokenizer, Action<GgufWriter>? metadata = null)
    {
        var writer = new GgufWriter();
        if (metadata is null)
        {
            GgufQwen2Metadata.Write(writer, config, tokenizer, "tiny-qwen2");
        }
        else
        {
            metadata(writer);
        }

        foreach (var t in tensors)
        {
            writer.AddTensor(t.Name, t.Type, t.Shape, s => s.Write(t.Bytes));
        }

        writer.Write(path);
    }

    /// <summary>Writes an HF directory: config.json and safetensors weights (sharded when <paramref name="maxShardBytes"/> is given).</summary>
    public static void WriteHf(string directory, Qwen2Config config, IEnumerable<TensorData> tensors, long? maxShardBytes = null)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "config.json"), config.ToJson());
        var writer = new SafetensorsWriter();
        foreach (var t in tensors)
        {
            writer.AddTensor(t.Name, t.Type, t.Shape, s => s.Write(t.Bytes));
        }

        if (maxShardBytes is long max)
        {
            writer.WriteSharded(directory, max);
        }
        else
        {
            writer.Write(Path.Combine(directory, "model.safetensors"));
        }
    }
}
