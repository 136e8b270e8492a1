using System.Buffers.Binary;

namespace SharpServe.Engine.Creation;

/// <summary>
/// One [out, in] f32 matrix quantized the way AutoAWQ's pseudo_quantize_tensor does (without its activation-aware
/// scale search, which needs calibration data): per output row and group of 128 inputs, s = max(max − min, 1e-5) / 15
/// rounded to f16, z = clamp(−round(min / s), 0, 15), q = clamp(round(w / s) + z, 0, 15), rounding half to even as
/// torch.round; then packed as WQLinear_GEMM stores it (nibble i of each int32 holds output column 8c + ORDER[i]).
/// </summary>
internal sealed class AwqQuantizer
{
    public const int GroupSize = 128;

    /// <summary>AutoAWQ's pack order: nibble i of an int32 holds column ORDER[i] of its 8 output columns.</summary>
    private static readonly int[] Order = [0, 2, 4, 6, 1, 3, 5, 7];

    private readonly byte[] _q;       // [out, in]
    private readonly byte[] _zeros;   // [out, in / 128]
    private readonly Half[] _scales;  // [out, in / 128]

    public AwqQuantizer(ReadOnlySpan<float> weights, int outputs, int inputs)
    {
        Outputs = outputs;
        Inputs = inputs;
        Groups = inputs / GroupSize;
        _q = new byte[(long)outputs * inputs];
        _zeros = new byte[outputs * Groups];
        _scales = new Half[outputs * Groups];
        for (int o = 0; o < outputs; o++)
        {
            for (int g = 0; g < Groups; g++)
            {
                var values = weights.Slice((o * inputs) + (g * GroupSize), GroupSize);
                float max = float.MinValue, min = float.MaxValue;
                foreach (float v in values)
                {
                    max = Math.Max(max, v);
                    min = Math.Min(min, v);
                }

                var scale = (Half)(Math.Max(max - min, 1e-5f) / 15f);
                float s = (float)scale;
                float zero = Math.Clamp(-MathF.Round(min / s), 0f, 15f);
                _scales[(o * Groups) + g] = scale;
                _zeros[(o * Groups) + g] = (byte)zero;
                for (int i = 0; i < GroupSize; i++)
                {
                    _q[((long)o * inputs) + (g * GroupSize) + i] = (byte)Math.Clamp(MathF.Round(values[i] / s) + zero, 0f, 15f);
                }
            }
        }
    }

    public int Outputs { get; }
    public int Inputs { get; }
    public int Groups { get; }

    /// <summary>qweight: int32 [in, out / 8].</summary>
    public void WriteQWeight(Stream stream)
    {
        var row = new byte[Outputs / 8 * sizeof(int)];
        for (int i = 0; i < Inputs; i++)
        {
            PackRow(row, o => _q[((long)o * Inputs) + i]);
            stream.Write(row);
        }
    }

    /// <summary>qzeros: int32 [in / 128, out / 8].</summary>
    public void WriteQZeros(Stream stream)
    {
        var row = new byte[Outputs / 8 * sizeof(int)];
        for (int g = 0; g < Groups; g++)
        {
            PackRow(row, o => _zeros[(o * Groups) + g]);
            stream.Write(row);
        }
    }

    /// <summary>scales: f16 [in / 128, out].</summary>
    public void WriteScales(Stream stream)
    {
        var row = new byte[Outputs * 2];
        for (int g = 0; g < Groups; g++)
        {
            for (int o = 0; o < Outputs; o++)
            {
                BinaryPrimitives.WriteHalfLittleEndian(row.AsSpan(2 * o), _scales[(o * Groups) + g]);
            }

            stream.Write(row);
        }
    }

    private void PackRow(byte[] row, Func<int, byte> valueOfColumn)
    {
        for (int c = 0; c < Outputs / 8; c++)
        {
            int packed = 0;
            for (int nibble = 0; nibble < 8; nibble++)
            {
                packed |= valueOfColumn((8 * c) + Order[nibble]) << (4 * nibble);
            }

            BinaryPrimitives.WriteInt32LittleEndian(row.AsSpan(4 * c), packed);
        }
    }
}
