using SharpServe.Engine.Kernels;
using SharpServe.Engine.Loading;

namespace SharpServe.Engine.Models;

/// <summary>
/// Turns a checkpoint's named tensors into <see cref="Qwen2Weights"/>: checks that every tensor
/// is present with exactly the shape the config implies and a storage the kernels handle, then
/// widens norms and biases to f32. Matrices stay in place in the memory map.
/// </summary>
public static class Qwen2WeightBinder
{
    private static readonly LayerTensor[] LayerTensors = Enum.GetValues<LayerTensor>();

    public static Qwen2Weights Bind(ModelCheckpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        var config = checkpoint.Config;
        var names = checkpoint.Names;
        int hidden = config.HiddenSize;
        int vocab = config.VocabSize;

        // Every tensor is checked before any is widened, so a bad file fails before conversion work.
        var embedding = Require(checkpoint, names.TokenEmbedding, [vocab, hidden]);
        var layers = new Dictionary<LayerTensor, WeightTensor>[config.NumHiddenLayers];
        for (int i = 0; i < layers.Length; i++)
        {
            layers[i] = LayerTensors.ToDictionary(t => t, t => Require(checkpoint, names.Layer(i, t), ExpectedShape(config, t)));
        }

        var finalNorm = Require(checkpoint, names.FinalNorm, [hidden]);
        bool tied = config.TieWordEmbeddings || !checkpoint.Tensors.ContainsKey(names.LmHead);
        var lmHead = tied ? embedding : Require(checkpoint, names.LmHead, [vocab, hidden]);

        return new Qwen2Weights(
            embedding,
            layers.Select(t => new Qwen2LayerWeights(
                WeightCodec.ToFloat(t[LayerTensor.AttnNorm]),
                t[LayerTensor.QWeight],
                WeightCodec.ToFloat(t[LayerTensor.QBias]),
                t[LayerTensor.KWeight],
                WeightCodec.ToFloat(t[LayerTensor.KBias]),
                t[LayerTensor.VWeight],
                WeightCodec.ToFloat(t[LayerTensor.VBias]),
                t[LayerTensor.OWeight],
                WeightCodec.ToFloat(t[LayerTensor.FfnNorm]),
                t[LayerTensor.GateWeight],
                t[LayerTensor.UpWeight],
                t[LayerTensor.DownWeight])).ToArray(),
            WeightCodec.ToFloat(finalNorm),
            lmHead);
    }

    private static int[] ExpectedShape(Qwen2Config config, LayerTensor tensor)
    {
        int hidden = config.HiddenSize;
        int qDim = config.NumAttentionHeads * config.HeadDim;
        int kvDim = config.KvDim;
        int intermediate = config.IntermediateSize;
        return tensor switch
        {
            LayerTensor.AttnNorm or LayerTensor.FfnNorm => [hidden],
            LayerTensor.QWeight => [qDim, hidden],
            LayerTensor.QBias => [qDim],
            LayerTensor.KWeight or LayerTensor.VWeight => [kvDim, hidden],
            LayerTensor.KBias or LayerTensor.VBias => [kvDim],
            LayerTensor.OWeight => [hidden, qDim],
            LayerTensor.GateWeight or LayerTensor.UpWeight => [intermediate, hidden],
            LayerTensor.DownWeight => [hidden, intermediate],
            _ => throw new ArgumentOutOfRangeException(nameof(tensor), tensor, null),
        };
    }

    private static WeightTensor Require(ModelCheckpoint checkpoint, string name, int[] shape)
    {
        if (!checkpoint.Tensors.TryGetValue(name, out var tensor))
        {
            throw new ModelFormatException(checkpoint.Path, $"tensor {name} is missing");
        }

        if (!tensor.Shape.AsSpan().SequenceEqual(shape))
        {
            throw new ModelFormatException(
                checkpoint.Path, $"tensor {name} has shape [{string.Join(", ", tensor.Shape)}], expected [{string.Join(", ", shape)}]");
        }

        if (tensor.Type is not (TensorDType.F32 or TensorDType.F16 or TensorDType.BF16 or TensorDType.Q8_0 or TensorDType.Q4_0 or TensorDType.Q6_K or TensorDType.Q4_K or TensorDType.Awq4))
        {
            throw new ModelFormatException(checkpoint.Path, $"tensor {name} has type {tensor.Type}, which the kernels do not handle");
        }

        // Quantized blocks (32 values; Awq4 128, Q6_K and Q4_K 256) must not straddle rows: the kernels quantize, decode and dot one row at a time.
        if (tensor.Columns % TensorDTypeInfo.BlockSize(tensor.Type) != 0)
        {
            throw new ModelFormatException(
                checkpoint.Path, $"tensor {name} is {tensor.Type} with rows of {tensor.Columns} values, not a multiple of {TensorDTypeInfo.BlockSize(tensor.Type)}");
        }

        // Checkpoints can be built by hand; the kernels read exactly this many bytes.
        long bytes = TensorDTypeInfo.ByteSize(tensor.Type, tensor.ElementCount);
        return tensor.Data.Length == bytes
            ? tensor
            : throw new ModelFormatException(checkpoint.Path, $"tensor {name} holds {tensor.Data.Length} bytes, its {tensor.Type} shape needs {bytes}");
    }
}
