using SharpServe.Engine.Loading;

namespace SharpServe.Engine.Creation;

/// <summary>One tensor of a random model: its role-independent identity, shape and value distribution.</summary>
internal sealed record RandomTensor(string HfName, string GgufName, int[] Shape, float Mean, float Std)
{
    public bool IsVector => Shape.Length == 1;
}

/// <summary>
/// The tensors of a Qwen2 model with the spread of their random values. Matrices get std
/// 1/sqrt(fan_in) so activations keep unit scale through every layer; norm weights sit near 1;
/// the output head is scaled so logits spread over a few units (clear argmax, no overflow). The
/// embedding is kept small next to the layers' outputs: with tied embeddings a dominant residual
/// would make every token predict itself, and greedy decoding would just repeat the prompt's end.
/// </summary>
internal static class RandomTensorPlan
{
    public static IReadOnlyList<RandomTensor> For(Qwen2Config c)
    {
        var hf = WeightNames.HuggingFace;
        var gguf = WeightNames.Gguf;
        int qDim = c.NumAttentionHeads * c.HeadDim;
        float InvSqrt(int fanIn) => 1f / MathF.Sqrt(fanIn);

        var tensors = new List<RandomTensor>
        {
            new(hf.TokenEmbedding, gguf.TokenEmbedding, [c.VocabSize, c.HiddenSize], 0f, 0.25f),
        };
        for (int i = 0; i < c.NumHiddenLayers; i++)
        {
            RandomTensor T(LayerTensor t, int[] shape, float mean, float std) => new(hf.Layer(i, t), gguf.Layer(i, t), shape, mean, std);
            tensors.Add(T(LayerTensor.AttnNorm, [c.HiddenSize], 1f, 0.1f));
            tensors.Add(T(LayerTensor.QWeight, [qDim, c.HiddenSize], 0f, InvSqrt(c.HiddenSize)));
            tensors.Add(T(LayerTensor.QBias, [qDim], 0f, 0.1f));
            tensors.Add(T(LayerTensor.KWeight, [c.KvDim, c.HiddenSize], 0f, InvSqrt(c.HiddenSize)));
            tensors.Add(T(LayerTensor.KBias, [c.KvDim], 0f, 0.1f));
            tensors.Add(T(LayerTensor.VWeight, [c.KvDim, c.HiddenSize], 0f, InvSqrt(c.HiddenSize)));
            tensors.Add(T(LayerTensor.VBias, [c.KvDim], 0f, 0.1f));
            tensors.Add(T(LayerTensor.OWeight, [c.HiddenSize, qDim], 0f, InvSqrt(qDim)));
            tensors.Add(T(LayerTensor.FfnNorm, [c.HiddenSize], 1f, 0.1f));
            tensors.Add(T(LayerTensor.GateWeight, [c.IntermediateSize, c.HiddenSize], 0f, InvSqrt(c.HiddenSize)));
            tensors.Add(T(LayerTensor.UpWeight, [c.IntermediateSize, c.HiddenSize], 0f, InvSqrt(c.HiddenSize)));
            tensors.Add(T(LayerTensor.DownWeight, [c.HiddenSize, c.IntermediateSize], 0f, InvSqrt(c.IntermediateSize)));
        }

        tensors.Add(new(hf.FinalNorm, gguf.FinalNorm, [c.HiddenSize], 1f, 0.1f));
        if (!c.TieWordEmbeddings)
        {
            tensors.Add(new(hf.LmHead, gguf.LmHead, [c.VocabSize, c.HiddenSize], 0f, 2f * InvSqrt(c.HiddenSize)));
        }

        return tensors;
    }
}
