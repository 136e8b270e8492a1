using System.Buffers.Binary;
using System.Runtime.InteropServices;
using SharpServe.Engine.Loading;

namespace SharpServe.Engine.Kernels;

/// <summary>Conversions between f32 and the stored weight dtypes (load-time and create-model use, and the KV cache's stores).</summary>
public static class WeightCodec
{
    /// <summary>Widens a whole tensor (any dtype) to f32; used once at load for norms and biases.</summary>
    public static float[] ToFloat(WeightTensor tensor)
    {
        var values = new float[tensor.ElementCount];
        long bytes = TensorDTypeInfo.ByteSize(tensor.Type, values.Length);
        if (tensor.Data.Length < bytes)
        {
            throw new ArgumentException($"{tensor} has {tensor.Data.Length} bytes of data, needs {bytes}", nameof(tensor));
        }

        Decode(tensor.Type, tensor.Data.Span[..(int)bytes], values);
        return values;
    }

    /// <summary>Widens <paramref name="source"/> (exactly the bytes of destination.Length values of <paramref name="type"/>) to f32.</summary>
    public static void Decode(TensorDType type, ReadOnlySpan<byte> source, Span<float> destination)
    {
        CheckSizes(type, destination.Length, source.Length);
        switch (type)
        {
            case TensorDType.F32:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = BinaryPrimitives.ReadSingleLittleEndian(source[(4 * i)..]);
                }

                break;
            case TensorDType.F16:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(source[(2 * i)..]);
                }

                break;
            case TensorDType.BF16:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = BitConverter.UInt32BitsToSingle((uint)BinaryPrimitives.ReadUInt16LittleEndian(source[(2 * i)..]) << 16);
                }

                break;
            case TensorDType.Q8_0:
                DecodeBlocks(type, source, destination, DecodeQ8_0Block);
                break;
            case TensorDType.Q6_K:
                DecodeBlocks(type, source, destination, Q6KCodec.Decode);
                break;
            case TensorDType.Q4_K:
                DecodeBlocks(type, source, destination, Q4KCodec.Decode);
                break;
            case TensorDType.Q4_0:
                DecodeBlocks(type, source, destination, DecodeQ4_0Block);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(type), type, null);
        }
    }

    /// <summary>Encodes f32 values into <paramref name="type"/>'s bytes (BF16 round-to-nearest-even, F16 IEEE, Q8_0, Q4_0, Q6_K and Q4_K like ggml's quantize_row_q8_0_ref, quantize_row_q4_0_ref, quantize_row_q6_K_ref and quantize_row_q4_K_ref).</summary>
    public static void Encode(TensorDType type, ReadOnlySpan<float> source, Span<byte> destination)
    {
        CheckSizes(type, source.Length, destination.Length);
        switch (type)
        {
            case TensorDType.F32:
                // The kernels assume a little-endian host already: the bytes are the floats' own.
                MemoryMarshal.AsBytes(source).CopyTo(destination);
                break;
            case TensorDType.F16:
                for (int i = 0; i < source.Length; i++)
                {
                    BinaryPrimitives.WriteHalfLittleEndian(destination[(2 * i)..], (Half)source[i]);
                }

                break;
            case TensorDType.BF16:
                for (int i = 0; i < source.Length; i++)
                {
                    BinaryPrimitives.WriteUInt16LittleEndian(destination[(2 * i)..], ToBFloat16(source[i]));
                }

                break;
            case TensorDType.Q8_0:
                EncodeBlocks(type, source, destination, EncodeQ8_0Block);
                break;
            case TensorDType.Q6_K:
                EncodeBlocks(type, source, destination, Q6KCodec.Encode);
                break;
            case TensorDType.Q4_K:
                EncodeBlocks(type, source, destination, Q4KCodec.Encode);
                break;
            case TensorDType.Q4_0:
                EncodeBlocks(type, source, destination, EncodeQ4_0Block);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(type), type, null);
        }
    }

    /// <summary>f32 → bf16 with round-to-nearest-even, as ggml's fp32_to_bf16: NaN stays NaN (quieted).</summary>
    private static ushort ToBFloat16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if ((bits & 0x7FFFFFFF) > 0x7F800000)
        {
            return (ushort)((bits >> 16) | 0x40);
        }

        return (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
    }

    /// <summary>ggml's quantize_row_q8_0_ref for one block: d = amax/127, q = roundf(x / d) (half away from zero), d stored as fp16.</summary>
    private delegate void BlockDecoder(ReadOnlySpan<byte> block, Span<float> values);

    private delegate void BlockEncoder(ReadOnlySpan<float> values, Span<byte> block);

    /// <summary>Runs a block codec over every quantization block: it sees exactly one block's bytes and values.</summary>
    private static void DecodeBlocks(TensorDType type, ReadOnlySpan<byte> source, Span<float> destination, BlockDecoder decode)
    {
        int size = TensorDTypeInfo.BlockSize(type);
        int bytes = (int)TensorDTypeInfo.ByteSize(type, size);
        for (int block = 0; block < destination.Length / size; block++)
        {
            decode(source.Slice(block * bytes, bytes), destination.Slice(block * size, size));
        }
    }

    private static void EncodeBlocks(TensorDType type, ReadOnlySpan<float> source, Span<byte> destination, BlockEncoder encode)
    {
        int size = TensorDTypeInfo.BlockSize(type);
        int bytes = (int)TensorDTypeInfo.ByteSize(type, size);
        for (int block = 0; block < source.Length / size; block++)
        {
            encode(source.Slice(block * size, size), destination.Slice(block * bytes, bytes));
        }
    }

    private static void DecodeQ8_0Block(ReadOnlySpan<byte> block, Span<float> values)
    {
        float d = (float)BinaryPrimitives.ReadHalfLittleEndian(block);
        for (int j = 0; j < values.Length; j++)
        {
            values[j] = d * (sbyte)block[2 + j];
        }
    }

    private static void EncodeQ8_0Block(ReadOnlySpan<float> values, Span<byte> block)
    {
        float amax = 0f;
        foreach (float v in values)
        {
            float magnitude = MathF.Abs(v);
            amax = amax > magnitude ? amax : magnitude; // C's MAX macro, NaN handling included
        }

        float d = amax / 127f;
        float inverse = d != 0f ? 1f / d : 0f;
        BinaryPrimitives.WriteHalfLittleEndian(block, (Half)d);
        for (int j = 0; j < values.Length; j++)
        {
            float rounded = MathF.Round(values[j] * inverse, MidpointRounding.AwayFromZero);
            block[2 + j] = (byte)(sbyte)Math.Clamp(rounded, sbyte.MinValue, sbyte.MaxValue);
        }
    }

    /// <summary>
    /// ggml's quantize_row_q4_0_ref for one block: max is the value of largest magnitude (sign kept, first one on
    /// ties), d = max / −8, q = (int)(x / d + 8.5) truncated toward zero and clamped to [0, 15], d stored as fp16. Byte j holds
    /// element j in its low nibble and element j + 16 in its high nibble.
    /// </summary>
    private static void EncodeQ4_0Block(ReadOnlySpan<float> values, Span<byte> block)
    {
        float amax = 0f;
        float max = 0f;
        foreach (float v in values)
        {
            if (amax < MathF.Abs(v))
            {
                amax = MathF.Abs(v);
                max = v;
            }
        }

        float d = max / -8f;
        float inverse = d != 0f ? 1f / d : 0f;
        BinaryPrimitives.WriteHalfLittleEndian(block, (Half)d);
        const int half = TensorDTypeInfo.Q4_0BlockSize / 2;
        for (int j = 0; j < half; j++)
        {
            int low = Math.Clamp((int)((values[j] * inverse) + 8.5f), 0, 15);
            int high = Math.Clamp((int)((values[half + j] * inverse) + 8.5f), 0, 15);
            block[2 + j] = (byte)(low | (high << 4));
        }
    }

    /// <summary>ggml's dequantize_row_q4_0 for one block: x = (q − 8) · d.</summary>
    private static void DecodeQ4_0Block(ReadOnlySpan<byte> block, Span<float> values)
    {
        float d = (float)BinaryPrimitives.ReadHalfLittleEndian(block);
        const int half = TensorDTypeInfo.Q4_0BlockSize / 2;
        for (int j = 0; j < half; j++)
        {
            values[j] = ((block[2 + j] & 0x0F) - 8) * d;
            values[half + j] = ((block[2 + j] >> 4) - 8) * d;
        }
    }

    private static void CheckSizes(TensorDType type, int elements, int bytes)
    {
        long needed = TensorDTypeInfo.ByteSize(type, elements);
        if (bytes != needed)
        {
            throw new ArgumentException($"{elements} {type} values take {needed} bytes, got a buffer of {bytes}");
        }
    }
}
