namespace SharpServe.Engine.Loading;

/// <summary>How to load a checkpoint beyond its path.</summary>
/// <param name="CacheDirectory">Where quantized copies live; null means <see cref="QuantizedWeightCache.DefaultDirectory"/>.</param>
/// <param name="TokenEmbeddingType">llama-quantize's --token-embedding-type (see <see cref="HeadTensorTypes"/>); null keeps it as stored.</param>
/// <param name="OutputTensorType">llama-quantize's --output-tensor-type; null keeps lm_head as stored.</param>
public sealed record ModelLoadOptions(
    WeightQuantization Quantization = WeightQuantization.None,
    string? CacheDirectory = null,
    TensorDType? TokenEmbeddingType = null,
    TensorDType? OutputTensorType = null)
{
    public bool ConvertsHeads => TokenEmbeddingType is not null || OutputTensorType is not null;

    /// <summary>Refuses combinations that contradict each other, before anything is loaded.</summary>
    /// <exception cref="ArgumentException">Head types with int8, which already stores the embedding and lm_head as q8_0.</exception>
    public void Check()
    {
        if (Quantization == WeightQuantization.Int8 && ConvertsHeads)
        {
            string flag = TokenEmbeddingType is not null ? HeadTensorTypes.TokenEmbeddingFlag : HeadTensorTypes.OutputTensorFlag;
            throw new ArgumentException(
                $"{flag} cannot be combined with --quantization {WeightQuantizationNames.Int8}: int8 already stores the token embedding and lm_head "
                + "(token_embd.weight / output.weight, model.embed_tokens.weight / lm_head.weight) as q8_0; give one or the other");
        }
    }
}
