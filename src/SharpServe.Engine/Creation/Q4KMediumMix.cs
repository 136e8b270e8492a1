using SharpServe.Engine.Loading;

namespace SharpServe.Engine.Creation;

/// <summary>
/// The per-tensor types of <c>llama-quantize … Q4_K_M</c> (LLAMA_FTYPE_MOSTLY_Q4_K_M) for a qwen2 model, as
/// llama_tensor_get_type in llama.cpp's src/llama-quant.cpp picks them: output.weight Q6_K (with tied embeddings
/// token_embd.weight takes that rule, having no output.weight); attn_v.weight and ffn_down.weight Q6_K on the layers
/// where <see cref="UseMoreBits"/> holds, Q4_K elsewhere; every other matrix Q4_K; 1-D tensors F32. llama.cpp falls
/// back to Q5_0/Q8_0 for rows that are not whole 256-value super-blocks; we have neither fallback's kernels, so the
/// writer refuses such shapes instead.
/// </summary>
internal static class Q4KMediumMix
{
    /// <summary>general.file_type of a Q4_K_M file (llama_ftype LLAMA_FTYPE_MOSTLY_Q4_K_M).</summary>
    public const uint FileType = 15;

    public const string FileTypeKey = "general.file_type";

    public static TensorDType TypeOf(RandomTensor tensor, Qwen2Config config)
    {
        var gguf = WeightNames.Gguf;
        if (tensor.IsVector)
        {
            return TensorDType.F32;
        }

        if (tensor.GgufName == gguf.LmHead || (config.TieWordEmbeddings && tensor.GgufName == gguf.TokenEmbedding))
        {
            return TensorDType.Q6_K;
        }

        int layers = config.NumHiddenLayers;
        for (int i = 0; i < layers; i++)
        {
            if (tensor.GgufName == gguf.Layer(i, LayerTensor.VWeight) || tensor.GgufName == gguf.Layer(i, LayerTensor.DownWeight))
            {
                return UseMoreBits(i, layers) ? TensorDType.Q6_K : TensorDType.Q4_K;
            }
        }

        return TensorDType.Q4_K;
    }

    /// <summary>llama.cpp's use_more_bits: the first and last eighth of the layers, and every third one between.</summary>
    public static bool UseMoreBits(int layer, int layers) =>
        layer < layers / 8 || layer >= 7 * layers / 8 || (layer - (layers / 8)) % 3 == 2;
}
