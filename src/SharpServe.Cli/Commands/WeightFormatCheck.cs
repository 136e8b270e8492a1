using SharpServe.Engine.Loading;
using SharpServe.Engine.Models;

namespace SharpServe.Cli.Commands;

/// <summary>
/// --dtype and --quantization describe the weights as they are stored, except <c>--quantization int8</c>, the one
/// conversion implemented (float matrices re-encoded as Q8_0 at load, see <see cref="QuantizedWeightCache"/>):
/// any other value that asks for a conversion is refused at startup instead of being ignored.
/// </summary>
internal static class WeightFormatCheck
{
    public const string AutoDType = "auto";

    public static readonly string[] DTypes = [AutoDType, "float32", "bfloat16", "float16"];

    /// <summary>The values naming a stored type (ggml's names and awq); int8 is the conversion.</summary>
    private static readonly string[] StoredQuantizations = ["none", "q8_0", "q4_0", "q6_k", "q4_k", "awq"];

    /// <summary>How to load for the weight flags; checked before the (possibly long) load.</summary>
    /// <exception cref="ArgumentException">An unknown value, or head types with int8.</exception>
    public static ModelLoadOptions LoadOptions(string? quantization, string? tokenEmbeddingType = null, string? outputTensorType = null)
    {
        string? asked = quantization?.ToLowerInvariant();
        if (asked is not null && asked != WeightQuantizationNames.Int8 && !StoredQuantizations.Contains(asked))
        {
            throw new ArgumentException($"--quantization {quantization}: not supported yet (issue 8); supported: none, q8_0, q4_0, q6_k, q4_k (as stored in a GGUF file; q4_k also names a Q4_K_M mix), awq (an AutoAWQ GEMM checkpoint), int8 (bf16/f16/f32 matrices quantized to q8_0 at load)");
        }

        var options = new ModelLoadOptions(
            asked == WeightQuantizationNames.Int8 ? WeightQuantization.Int8 : WeightQuantization.None,
            TokenEmbeddingType: HeadTensorTypes.Parse(tokenEmbeddingType, HeadTensorTypes.TokenEmbeddingFlag),
            OutputTensorType: HeadTensorTypes.Parse(outputTensorType, HeadTensorTypes.OutputTensorFlag));
        options.Check();
        return options;
    }

    /// <summary>
    /// Loads <paramref name="path"/> with <paramref name="options"/> (from <see cref="LoadOptions"/>) onto <paramref name="device"/>
    /// (passing its description to <paramref name="describe"/>), and refuses a checkpoint that does not hold what --quantization names.
    /// </summary>
    /// <exception cref="ArgumentException">A --quantization value the checkpoint does not hold, or a device that cannot run it.</exception>
    public static LoadedModel Open(string path, string? quantization, ModelLoadOptions options, int threads, string device, Action<string> describe)
    {
        var model = CommonOptions.OpenOnDevice(path, options, threads, device, describe);
        try
        {
            Ensure(model.Checkpoint, AutoDType, quantization);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <exception cref="ArgumentException">The flags ask for something other than what the checkpoint holds.</exception>
    public static void Ensure(ModelCheckpoint checkpoint, string dtype, string? quantization)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        // Head tensors converted at load (--token-embedding-type, --output-tensor-type) say nothing about how the checkpoint is stored.
        var tensors = checkpoint.Tensors.Values.Where(tensor => checkpoint.HeadTypes?.Converted.ContainsKey(tensor.Name) != true).ToArray();
        TensorDType stored;
        if (checkpoint.Quantization is { } report)
        {
            // Quantized at load: --dtype names the source's floats, which the cache file no longer holds.
            stored = report.SourceType;
        }
        else
        {
            // A GGUF file may mix quantizations (llama.cpp keeps some matrices at higher precision); naming any of them is enough.
            string[] quantized = tensors.Where(tensor => TensorDTypeInfo.IsQuantized(tensor.Type))
                .Select(tensor => QuantizationName(tensor.Type))
                .Distinct().Order(StringComparer.Ordinal).ToArray();
            string? asked = quantization?.ToLowerInvariant();

            // Without the flag the checkpoint is taken as it is stored (a GGUF's types, an AWQ config.json), as vLLM does.
            if (asked is not null && (asked == "none" ? quantized.Length > 0 : !quantized.Contains(asked)))
            {
                string holds = quantized.Length == 0 ? "not quantized" : string.Join(" and ", quantized);
                throw new ArgumentException($"--quantization {asked}: the checkpoint is {holds}; converting weights is not implemented (except to int8, from bf16, f16 or f32)");
            }

            // The float type holding most of the unquantized bytes names the checkpoint (norms may be float32 in a float16 file).
            stored = tensors.Where(tensor => !TensorDTypeInfo.IsQuantized(tensor.Type))
                .GroupBy(tensor => tensor.Type)
                .MaxBy(group => group.Sum(tensor => (long)tensor.Data.Length))?.Key ?? TensorDType.F32;
        }

        string storedName = stored switch
        {
            TensorDType.F16 => "float16",
            TensorDType.BF16 => "bfloat16",
            _ => "float32",
        };
        if (dtype != AutoDType && dtype != storedName)
        {
            throw new ArgumentException($"--dtype {dtype}: the checkpoint's weights are {storedName} and converting them is not implemented; use --dtype auto or {storedName}");
        }
    }

    /// <summary>The --quantization value naming a stored type: ggml's type names, and "awq" for AutoAWQ's repacked projections.</summary>
    private static string QuantizationName(TensorDType type) => type == TensorDType.Awq4 ? "awq" : type.ToString().ToLowerInvariant();
}
