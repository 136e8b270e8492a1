using System.Text.Json.Nodes;
using SharpServe.Engine.Kernels;
using SharpServe.Engine.Loading;
using SharpServe.Engine.Tokenization;

namespace SharpServe.Engine.Creation;

/// <summary>What create-model writes; <paramref name="Q4KMedium"/>: llama.cpp's Q4_K_M mix instead of one type (<paramref name="DType"/> Q4_K).</summary>
public sealed record RandomModelSpec(Qwen2Config Config, ModelFileFormat Format, TensorDType DType, ulong Seed, TokenizerSpec? Tokenizer, bool Q4KMedium = false);

/// <summary>
/// Writes a random-weight Qwen2 model in the real architecture (no real weights can be downloaded
/// here), deterministic for a seed. Values are generated and encoded in chunks while the file is
/// written, so even the 1.5B preset never sits in memory whole. The output appears atomically:
/// a failed or interrupted write leaves nothing that looks like a model.
/// </summary>
public static class RandomModelWriter
{
    private const int ChunkValues = 1 << 20;
    private const long MaxShardBytes = 5L << 30;

    public static void Write(RandomModelSpec spec, string outPath)
    {
        bool awq = spec.DType == TensorDType.Awq4;
        if (spec.Format == ModelFileFormat.Hf && TensorDTypeInfo.IsQuantized(spec.DType) && !awq)
        {
            throw new ArgumentException($"{spec.DType} is a GGUF type: use --format gguf (safetensors holds f32, f16 and bf16, and AutoAWQ's layout)");
        }

        if (spec.Format == ModelFileFormat.Gguf && awq)
        {
            throw new ArgumentException("AWQ checkpoints are Hugging Face directories: use --format hf");
        }

        // AutoAWQ packs 8 output columns per int32: every projection's output size must be a multiple of 8.
        if (awq && spec.Config.KvDim % 8 != 0)
        {
            throw new ArgumentException($"AWQ packs 8 output columns per int32: the key/value size {spec.Config.KvDim} must be a multiple of 8");
        }

        if (spec.Tokenizer is { } tokenizer && tokenizer.Tokens.Count > spec.Config.VocabSize)
        {
            throw new ArgumentException($"the tokenizer has {tokenizer.Tokens.Count} tokens but vocab_size is {spec.Config.VocabSize}");
        }

        if (spec.Q4KMedium && (spec.DType != TensorDType.Q4_K || spec.Format != ModelFileFormat.Gguf))
        {
            throw new ArgumentException("Q4_K_M is a GGUF mix of Q4_K and Q6_K: use --format gguf");
        }

        spec.Config.Validate(outPath);

        // Every matrix row (hidden or intermediate long) must be whole blocks; llama.cpp would fall back to another
        // type for such rows, but a file of mixed types is not what --dtype asked for.
        int block = TensorDTypeInfo.BlockSize(spec.DType);
        if (spec.Config.HiddenSize % block != 0 || spec.Config.IntermediateSize % block != 0)
        {
            throw new ArgumentException(
                $"{spec.DType} stores rows in blocks of {block} values: hidden_size {spec.Config.HiddenSize} and intermediate_size "
                + $"{spec.Config.IntermediateSize} must both be multiples of {block} (pass a --config with such sizes)");
        }

        if (spec.Format == ModelFileFormat.Gguf)
        {
            WriteGguf(spec, outPath); // GgufWriter already writes under a temporary name and renames
            return;
        }

        // A model directory is several files: build it beside the target and move it in whole.
        string temp = outPath + ".partial";
        DeletePath(temp);
        try
        {
            WriteHf(spec, temp);
        }
        catch
        {
            DeletePath(temp);
            throw;
        }

        DeletePath(outPath);
        Directory.Move(temp, outPath);
    }

    private static void WriteHf(RandomModelSpec spec, string directory)
    {
        Directory.CreateDirectory(directory);
        var config = spec.Config with
        {
            TorchDtype = TorchDtypeName(spec.DType),
            Quantization = spec.DType == TensorDType.Awq4 ? AwqQuantizationConfig.Instance : null,
        };
        File.WriteAllText(Path.Combine(directory, "config.json"), config.ToJson());
        File.WriteAllText(Path.Combine(directory, "generation_config.json"), GenerationConfigJson(spec));
        if (spec.Tokenizer is not null)
        {
            HfTokenizerFiles.Write(spec.Tokenizer, directory);
        }

        var writer = new SafetensorsWriter();
        foreach (var tensor in RandomTensorPlan.For(spec.Config))
        {
            if (spec.DType == TensorDType.Awq4)
            {
                AddAwq(writer, spec.Seed, tensor);
            }
            else
            {
                writer.AddTensor(tensor.HfName, spec.DType, tensor.Shape, stream => WriteValues(spec.Seed, tensor, spec.DType, stream));
            }
        }

        writer.WriteSharded(directory, MaxShardBytes);
    }

    private static void WriteGguf(RandomModelSpec spec, string file)
    {
        var writer = new GgufWriter();
        GgufQwen2Metadata.Write(writer, spec.Config, spec.Tokenizer);
        if (spec.Q4KMedium)
        {
            writer.AddUInt32(Q4KMediumMix.FileTypeKey, Q4KMediumMix.FileType);
        }

        foreach (var tensor in RandomTensorPlan.For(spec.Config))
        {
            // llama.cpp keeps 1-D tensors (norms, biases) in F32 whatever the file type.
            var type = spec.Q4KMedium ? Q4KMediumMix.TypeOf(tensor, spec.Config) : tensor.IsVector ? TensorDType.F32 : spec.DType;
            writer.AddTensor(tensor.GgufName, type, tensor.Shape, stream => WriteValues(spec.Seed, tensor, type, stream));
        }

        writer.Write(file);
    }

    /// <summary>
    /// AutoAWQ's layout: the layers' projections as qweight/qzeros/scales, everything else (embedding, norms, biases,
    /// lm_head) in f16 as AutoAWQ leaves it. Each of the three callbacks quantizes its matrix again, so no more than one
    /// matrix is in memory at a time (the writer lays tensors out by dtype, not by layer).
    /// </summary>
    private static void AddAwq(SafetensorsWriter writer, ulong seed, RandomTensor tensor)
    {
        string suffix = ".weight";
        bool projection = !tensor.IsVector && tensor.HfName.StartsWith("model.layers.", StringComparison.Ordinal) && tensor.HfName.EndsWith(suffix, StringComparison.Ordinal);
        if (!projection)
        {
            writer.AddTensor(tensor.HfName, TensorDType.F16, tensor.Shape, stream => WriteValues(seed, tensor, TensorDType.F16, stream));
            return;
        }

        string prefix = tensor.HfName[..^suffix.Length];
        int outputs = tensor.Shape[0];
        int inputs = tensor.Shape[1];
        int groups = inputs / AwqQuantizer.GroupSize;
        AwqQuantizer Quantize()
        {
            var values = new float[(long)outputs * inputs];
            new TensorRandom(seed, tensor.HfName).Fill(values, tensor.Mean, tensor.Std);
            return new AwqQuantizer(values, outputs, inputs);
        }

        writer.AddTensor(prefix + ".qweight", TensorDType.I32, [inputs, outputs / 8], stream => Quantize().WriteQWeight(stream));
        writer.AddTensor(prefix + ".qzeros", TensorDType.I32, [groups, outputs / 8], stream => Quantize().WriteQZeros(stream));
        writer.AddTensor(prefix + ".scales", TensorDType.F16, [groups, outputs], stream => Quantize().WriteScales(stream));
    }

    /// <summary>Generates the tensor's values row-chunk by row-chunk and writes them encoded as <paramref name="type"/>.</summary>
    private static void WriteValues(ulong seed, RandomTensor tensor, TensorDType type, Stream stream)
    {
        var random = new TensorRandom(seed, tensor.HfName);
        int columns = tensor.Shape[^1];
        long total = tensor.Shape.Aggregate(1L, (a, b) => a * b);
        int chunk = Math.Max(1, ChunkValues / columns) * columns; // whole rows, so quantized blocks never straddle chunks
        var values = new float[Math.Min(chunk, total)];
        var bytes = new byte[TensorDTypeInfo.ByteSize(type, values.Length)];
        for (long done = 0; done < total; done += values.Length)
        {
            var part = values.AsSpan(0, (int)Math.Min(values.Length, total - done));
            random.Fill(part, tensor.Mean, tensor.Std);
            var encoded = bytes.AsSpan(0, (int)TensorDTypeInfo.ByteSize(type, part.Length));
            WeightCodec.Encode(type, part, encoded);
            stream.Write(encoded);
        }
    }

    private static string GenerationConfigJson(RandomModelSpec spec)
    {
        var root = new JsonObject
        {
            ["_from_model_config"] = true,
            ["bos_token_id"] = spec.Tokenizer?.BosId ?? spec.Config.BosTokenId,
            ["eos_token_id"] = spec.Tokenizer?.EosId ?? spec.Config.EosTokenId,
            ["do_sample"] = true,
            ["temperature"] = 0.6,
            ["top_p"] = 0.95,
        };
        return root.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
    }

    private static string TorchDtypeName(TensorDType type) => type switch
    {
        TensorDType.F32 => "float32",
        TensorDType.F16 => "float16",
        TensorDType.BF16 => "bfloat16",
        TensorDType.Awq4 => "float16",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "no torch dtype"),
    };

    private static void DeletePath(string path)
    {
        if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }
        else if (File.Exists(path))
        {
            File.Delete(path);
        }
    }
}
