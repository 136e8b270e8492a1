using System.Runtime.InteropServices;

namespace SharpServe.Engine.Loading;

/// <summary>
/// Turns an AutoAWQ "GEMM" checkpoint's projections (per linear layer X: <c>X.qweight</c> int32 [in, out/8],
/// <c>X.qzeros</c> int32 [in/128, out/8], <c>X.scales</c> f16 [in/128, out]; value = (q − z) · s) into one
/// <see cref="TensorDType.Awq4"/> tensor <c>X.weight</c> [out, in].
/// Why repack instead of reading in place: AWQ packs along the output dimension (8 output columns per int32, in the
/// interleaved order 0 2 4 6 1 3 5 7) with scales and zeros in separate tensors, which suits a GPU tile, while the
/// CPU kernels stream one output row at a time. Row-major groups of 128 (scale, zero, 64 bytes of nibbles) give the decode
/// GEMV one sequential stream at 68 bytes per 128 weights (4.25 bits), the same as the file, and let the kernel reuse
/// Q4_0's integer dot on Q8_0 activations. The cost is one pass at load and an anonymous copy instead of the page cache.
/// </summary>
public static class AwqRepacker
{
    /// <summary>Shift of output column k (of each 8) inside its int32: AutoAWQ packs column ORDER[i] at nibble i, ORDER = 0 2 4 6 1 3 5 7.</summary>
    private static readonly int[] NibbleOfColumn = [0, 4, 1, 5, 2, 6, 3, 7];

    private static readonly LayerTensor[] Projections =
        [LayerTensor.QWeight, LayerTensor.KWeight, LayerTensor.VWeight, LayerTensor.OWeight, LayerTensor.GateWeight, LayerTensor.UpWeight, LayerTensor.DownWeight];

    /// <summary>
    /// The checkpoint's tensors with every layer's seven projections repacked; other tensors (embedding, norms, biases,
    /// lm_head, which AutoAWQ leaves in f16) pass through untouched.
    /// </summary>
    public static IReadOnlyDictionary<string, WeightTensor> Repack(Qwen2Config config, IReadOnlyDictionary<string, WeightTensor> tensors, string path)
    {
        var result = new Dictionary<string, WeightTensor>(tensors, StringComparer.Ordinal);
        for (int layer = 0; layer < config.NumHiddenLayers; layer++)
        {
            foreach (var projection in Projections)
            {
                string weightName = WeightNames.HuggingFace.Layer(layer, projection);
                string prefix = weightName[..^".weight".Length];
                var qweight = Take(result, prefix + ".qweight", path);
                var qzeros = Take(result, prefix + ".qzeros", path);
                var scales = Take(result, prefix + ".scales", path);
                result[weightName] = Repack(weightName, qweight, qzeros, scales, path);
            }
        }

        return result;
    }

    /// <summary>One projection: checks the three tensors' dtypes and shapes, then writes its Awq4 rows.</summary>
    public static WeightTensor Repack(string name, WeightTensor qweight, WeightTensor qzeros, WeightTensor scales, string path)
    {
        const int group = TensorDTypeInfo.Awq4BlockSize;
        Check(qweight, TensorDType.I32, 2, path);
        int inputs = qweight.Shape[0];
        int outputs = qweight.Shape[1] * 8;
        if (inputs % group != 0)
        {
            throw new ModelFormatException(path, $"{qweight}: {inputs} input features are not whole groups of {group}");
        }

        int groups = inputs / group;
        Check(qzeros, TensorDType.I32, 2, path);
        Check(scales, TensorDType.F16, 2, path);
        if (qzeros.Shape[0] != groups || qzeros.Shape[1] * 8 != outputs || scales.Shape[0] != groups || scales.Shape[1] != outputs)
        {
            throw new ModelFormatException(
                path, $"{qzeros} and {scales} do not fit {qweight}: expected [{groups}, {outputs / 8}] and [{groups}, {outputs}]");
        }

        long rowBytes = (long)groups * TensorDTypeInfo.Awq4BlockBytes;
        var packed = new byte[rowBytes * outputs]; // [out, in / 128] groups of 68 bytes
        // Each group of 128 input rows writes only its own 68 bytes of every output row, so groups run in parallel.
        Parallel.For(0, groups, g => RepackGroup(g, qweight.Data, qzeros.Data, scales.Data, outputs, rowBytes, packed));
        return new WeightTensor(name, TensorDType.Awq4, [outputs, inputs], packed);
    }

    private static void RepackGroup(int g, ReadOnlyMemory<byte> qweightData, ReadOnlyMemory<byte> qzerosData, ReadOnlyMemory<byte> scalesData, int outputs, long rowBytes, byte[] packed)
    {
        const int group = TensorDTypeInfo.Awq4BlockSize;
        int packedColumns = outputs / 8;
        var qweight = MemoryMarshal.Cast<byte, int>(qweightData.Span);   // [in, out / 8]
        var qzeros = MemoryMarshal.Cast<byte, int>(qzerosData.Span);     // [in / 128, out / 8]
        var scales = MemoryMarshal.Cast<byte, ushort>(scalesData.Span);  // [in / 128, out] f16 bits
        long groupOffset = (long)g * TensorDTypeInfo.Awq4BlockBytes;
        for (int o = 0; o < outputs; o++)
        {
            long block = (o * rowBytes) + groupOffset;
            ushort scale = scales[(g * outputs) + o];
            packed[block] = (byte)scale;
            packed[block + 1] = (byte)(scale >> 8);
            packed[block + 2] = Nibble(qzeros[(g * packedColumns) + (o / 8)], o);
        }

        for (int e = 0; e < group; e++)
        {
            // Element e of the group: run e / 32, byte (e % 32) % 16 of it, high nibble for the run's second half.
            int shift = e % 32 >= 16 ? 4 : 0;
            long byteOffset = groupOffset + 4 + (e / 32 * 16) + (e % 16);
            var row = qweight.Slice(((g * group) + e) * packedColumns, packedColumns);
            for (int o = 0; o < outputs; o++)
            {
                packed[(o * rowBytes) + byteOffset] |= (byte)(Nibble(row[o / 8], o) << shift);
            }
        }
    }

    /// <summary>The 4-bit value of output column <paramref name="output"/> in its packed int32.</summary>
    private static byte Nibble(int packed, int output) => (byte)((packed >> (4 * NibbleOfColumn[output % 8])) & 0xF);

    private static WeightTensor Take(Dictionary<string, WeightTensor> tensors, string name, string path)
    {
        if (!tensors.Remove(name, out var tensor))
        {
            throw new ModelFormatException(path, $"tensor {name} is missing (config.json declares AutoAWQ weights: {AwqQuantizationConfig.Supported})");
        }

        return tensor;
    }

    private static void Check(WeightTensor tensor, TensorDType type, int rank, string path)
    {
        if (tensor.Type != type || tensor.Shape.Length != rank)
        {
            throw new ModelFormatException(path, $"{tensor}: an AutoAWQ GEMM checkpoint stores it as {type} with {rank} dimensions");
        }
    }
}
