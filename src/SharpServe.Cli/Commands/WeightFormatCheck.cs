using SharpServe.Engine.Loading;

namespace SharpServe.Cli.Commands;

/// <summary>
/// --dtype and --quantization may only describe the weights as they are stored: converting weights on load is
/// not implemented, so a value that asks for a conversion is refused at startup instead of being ignored.
/// </summary>
internal static class WeightFormatCheck
{
    public const string AutoDType = "auto";

    public static readonly string[] DTypes = [AutoDType, "float32", "bfloat16", "float16"];

    /// <exception cref="ArgumentException">The flags ask for something other than what the checkpoint holds.</exception>
    public static void Ensure(ModelCheckpoint checkpoint, string dtype, string? quantization)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        var tensors = checkpoint.Tensors.Values;
        // A GGUF file may mix quantizations (llama.cpp keeps some matrices at higher precision); naming any of them is enough.
        string[] quantized = tensors.Where(tensor => TensorDTypeInfo.IsQuantized(tensor.Type))
            .Select(tensor => QuantizationName(tensor.Type))
            .Distinct().Order(StringComparer.Ordinal).ToArray();
        string asked = quantization?.ToLowerInvariant() ?? "none";
        if (asked is not ("none" or "q8_0" or "q4_0" or "q6_k" or "q4_k" or "awq"))
        {
            throw new ArgumentException($"--quantization {quantization}: not supported yet (issue 8); supported: none, q8_0, q4_0, q6_k, q4_k (as stored in a GGUF file; q4_k also names a Q4_K_M mix), awq (an AutoAWQ GEMM checkpoint)");
        }

        // Without the flag an AWQ checkpoint is taken as its config.json declares it, as vLLM detects it.
        bool autoAwq = quantization is null && quantized is ["awq"];
        if (!autoAwq && (asked == "none" ? quantized.Length > 0 : !quantized.Contains(asked)))
        {
            string holds = quantized.Length == 0 ? "not quantized" : string.Join(" and ", quantized);
            throw new ArgumentException($"--quantization {asked}: the checkpoint is {holds}; converting weights is not implemented");
        }

        // The float type holding most of the unquantized bytes names the checkpoint (norms may be float32 in a float16 file).
        TensorDType stored = tensors.Where(tensor => !TensorDTypeInfo.IsQuantized(tensor.Type))
            .GroupBy(tensor => tensor.Type)
            .MaxBy(group => group.Sum(tensor => (long)tensor.Data.Length))?.Key ?? TensorDType.F32;
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
