namespace SharpServe.Engine.Loading;

/// <summary>
/// llama-quantize's <c>--token-embedding-type</c> and <c>--output-tensor-type</c>, applied at load: the token embedding
/// and the output projection (lm_head) of a checkpoint that stores them as F32/F16/BF16 re-encoded as a ggml type and
/// cached on disk (see <see cref="QuantizedWeightCache.HeadTypes"/>). AutoAWQ keeps both in f16 — 0.87 GiB of the 1.5B
/// distill's 1.52 GiB — where llama.cpp's Q4_K_M stores them as Q4_K and Q6_K.
/// <para>
/// Tied embeddings follow llama-quantize (llama_tensor_get_type): the one shared tensor is the output, so
/// <c>--output-tensor-type</c> converts it and <c>--token-embedding-type</c> has nothing of its own to convert; we
/// refuse that flag instead of ignoring it silently.
/// </para>
/// </summary>
public static class HeadTensorTypes
{
    public const string TokenEmbeddingFlag = "--token-embedding-type";
    public const string OutputTensorFlag = "--output-tensor-type";

    /// <summary>The types the flags accept: those with an encoder in WeightCodec and kernels that read them.</summary>
    public static readonly IReadOnlyList<TensorDType> Supported = [TensorDType.Q8_0, TensorDType.Q6_K, TensorDType.Q4_K, TensorDType.Q4_0];

    /// <summary>ggml's name of <paramref name="type"/>, as the flags spell it (q4_k).</summary>
    public static string Name(TensorDType type) => type.ToString().ToLowerInvariant();

    /// <summary>The type <paramref name="name"/> names (case-insensitive); null when it is not one of <see cref="Supported"/>.</summary>
    public static TensorDType? TryParse(string? name) =>
        Supported.Cast<TensorDType?>().FirstOrDefault(type => string.Equals(Name(type!.Value), name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The value of <paramref name="flag"/> as a type; null when not given.</summary>
    /// <exception cref="ArgumentException">A value that is not one of <see cref="Supported"/>.</exception>
    public static TensorDType? Parse(string? name, string flag) => name is null ? null
        : TryParse(name) ?? throw new ArgumentException($"{flag} {name}: expected one of {string.Join(", ", Supported.Select(Name))}");
}
