using System.Buffers.Binary;
using SharpServe.Engine.Loading;
using SharpServe.Engine.Tests.Kernels;

namespace SharpServe.Engine.Tests.Awq;

/// <summary>
/// AutoAWQ GEMM tensors from the tests' side, written from the format's description and independent of the loader:
/// element (i, o) of a [in, out] packed tensor is the 4-bit field at bit 4·p of int32 [i, o / 8], where p is the
/// position AutoAWQ's pack loop gave column o % 8 (its order 0 2 4 6 1 3 5 7); value = (q − z) · s.
/// </summary>
internal static class AwqReference
{
    private static readonly int[] PackOrder = [0, 2, 4, 6, 1, 3, 5, 7];

    /// <summary>The 4-bit field of column <paramref name="column"/> in a packed row.</summary>
    public static int Unpack(ReadOnlySpan<byte> packed, int packedColumns, int row, int column)
    {
        int word = BinaryPrimitives.ReadInt32LittleEndian(packed[(4 * ((row * packedColumns) + (column / 8)))..]);
        int position = Array.IndexOf(PackOrder, column % 8);
        return (word >> (4 * position)) & 0xF;
    }

    /// <summary>The dequantized matrix [out, in] of one projection, element by element.</summary>
    public static float[] Dequantize(WeightTensor qweight, WeightTensor qzeros, WeightTensor scales)
    {
        int inputs = qweight.Shape[0];
        int outputs = qweight.Shape[1] * 8;
        var w = new float[(long)outputs * inputs];
        var q = qweight.Data.Span;
        var z = qzeros.Data.Span;
        var s = scales.Data.Span;
        for (int o = 0; o < outputs; o++)
        {
            for (int i = 0; i < inputs; i++)
            {
                int g = i / 128;
                float scale = (float)BinaryPrimitives.ReadHalfLittleEndian(s[(2 * ((g * outputs) + o))..]);
                w[((long)o * inputs) + i] = (Unpack(q, outputs / 8, i, o) - Unpack(z, outputs / 8, g, o)) * scale;
            }
        }

        return w;
    }

    /// <summary>Packs q [out, in] (one value per byte) as a [in, out / 8] int32 tensor.</summary>
    public static byte[] Pack(byte[] values, int outputs, int inputs)
    {
        var packed = new byte[inputs * outputs / 2];
        for (int i = 0; i < inputs; i++)
        {
            for (int o = 0; o < outputs; o++)
            {
                int offset = 4 * ((i * (outputs / 8)) + (o / 8));
                int word = BinaryPrimitives.ReadInt32LittleEndian(packed.AsSpan(offset));
                word |= values[(o * inputs) + i] << (4 * Array.IndexOf(PackOrder, o % 8));
                BinaryPrimitives.WriteInt32LittleEndian(packed.AsSpan(offset), word);
            }
        }

        return packed;
    }

    /// <summary>A random AutoAWQ projection [out, in]: its three tensors and its dequantized f32 values.</summary>
    public static (WeightTensor QWeight, WeightTensor QZeros, WeightTensor Scales, float[] Dequantized) Random(Random random, int outputs, int inputs)
    {
        int groups = inputs / 128;
        var q = new byte[outputs * inputs];
        random.NextBytes(q);
        var z = new byte[outputs * groups];
        random.NextBytes(z);
        var scales = new byte[2 * groups * outputs];
        var w = new float[outputs * inputs];
        for (int o = 0; o < outputs; o++)
        {
            for (int g = 0; g < groups; g++)
            {
                var scale = (Half)(0.001 + (0.05 * random.NextDouble()));
                BinaryPrimitives.WriteHalfLittleEndian(scales.AsSpan(2 * ((g * outputs) + o)), scale);
                z[(o * groups) + g] &= 0xF;
                for (int i = g * 128; i < (g + 1) * 128; i++)
                {
                    q[(o * inputs) + i] &= 0xF;
                    w[(o * inputs) + i] = (q[(o * inputs) + i] - z[(o * groups) + g]) * (float)scale;
                }
            }
        }

        // qzeros is packed like qweight with the group in place of the input: z is already [out, groups] as Pack takes it.
        return (
            new WeightTensor("p.qweight", TensorDType.I32, [inputs, outputs / 8], Pack(q, outputs, inputs)),
            new WeightTensor("p.qzeros", TensorDType.I32, [groups, outputs / 8], Pack(z, outputs, groups)),
            new WeightTensor("p.scales", TensorDType.F16, [groups, outputs], scales),
            w);
    }

    /// <summary>
    /// The Awq4 GEMV's order, operation for operation, read from the AutoAWQ tensors: activations quantized per token as
    /// llama.cpp does (<see cref="KernelReference.QuantizeActivations"/>); per (row, token) 8 f32 lanes, lane k collecting
    /// per 32-value run the exact integer Σ (q − z)·x of products 4k..4k + 3 via fma(fp32(s)·fp32(x.d), lane, acc), runs in
    /// order; then hsum_float_8 and the bias add (ggml_vec_dot_q4_0_q8_0's shape with AWQ's zero in place of 8).
    /// </summary>
    public static float[] MatMul(WeightTensor qweight, WeightTensor qzeros, WeightTensor scales, float[] bias, float[] x, int tokens)
    {
        int inputs = qweight.Shape[0];
        int outputs = qweight.Shape[1] * 8;
        var q = qweight.Data.Span;
        var z = qzeros.Data.Span;
        var s = scales.Data.Span;
        var y = new float[tokens * outputs];
        var lanes = new float[8];
        for (int t = 0; t < tokens; t++)
        {
            var (xq, xd) = KernelReference.QuantizeActivations(x.AsSpan(t * inputs, inputs));
            for (int o = 0; o < outputs; o++)
            {
                Array.Clear(lanes);
                for (int b = 0; b < inputs / 32; b++)
                {
                    int g = b / 4;
                    float d = (float)BinaryPrimitives.ReadHalfLittleEndian(s[(2 * ((g * outputs) + o))..]) * xd[b];
                    int zero = Unpack(z, outputs / 8, g, o);
                    for (int k = 0; k < 8; k++)
                    {
                        int dot = 0;
                        for (int i = (32 * b) + (4 * k); i < (32 * b) + (4 * k) + 4; i++)
                        {
                            dot += (Unpack(q, outputs / 8, i, o) - zero) * xq[i];
                        }

                        lanes[k] = MathF.FusedMultiplyAdd(d, dot, lanes[k]);
                    }
                }

                float sum = ((lanes[0] + lanes[4]) + (lanes[2] + lanes[6])) + ((lanes[1] + lanes[5]) + (lanes[3] + lanes[7]));
                y[(t * outputs) + o] = bias.Length == 0 ? sum : sum + bias[o];
            }
        }

        return y;
    }
}
