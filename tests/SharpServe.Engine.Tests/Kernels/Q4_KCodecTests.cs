using System.Buffers.Binary;
using SharpServe.Engine.Kernels;
using SharpServe.Engine.Loading;

namespace SharpServe.Engine.Tests.Kernels;

/// <summary>
/// Q4_K: decoding against a per-element formula written from the block layout (d, dmin, 6-bit scale/min pairs, nibbles),
/// and encode→decode within one quantization step of each 32-value sub-block's range.
/// </summary>
public sealed class Q4_KCodecTests
{
    private const int Bytes = 144;

    [Theory]
    [InlineData(1, 1f, 0f)]
    [InlineData(3, 3f, 0.5f)]
    [InlineData(5, 0.02f, -0.01f)]
    public void EncodeThenDecode_StaysWithinAStep_AndMatchesTheLayoutFormula(int blocks, float scale, float offset)
    {
        var random = new Random(blocks);
        var values = Enumerable.Range(0, 256 * blocks).Select(_ => offset + (scale * (float)((random.NextDouble() * 2) - 1))).ToArray();
        var bytes = new byte[blocks * Bytes];
        WeightCodec.Encode(TensorDType.Q4_K, values, bytes);
        var decoded = new float[values.Length];
        WeightCodec.Decode(TensorDType.Q4_K, bytes, decoded);
        for (int i = 0; i < values.Length; i++)
        {
            Assert.Equal(LayoutFormula(bytes, i), decoded[i], 1e-6 * scale);
            var sub = values.AsSpan(i / 32 * 32, 32).ToArray();
            double step = (sub.Max() - Math.Min(0f, sub.Min())) / 15.0;
            Assert.True(Math.Abs(decoded[i] - values[i]) <= step, $"value {i}: {values[i]} → {decoded[i]} (step {step})");
        }
    }

    [Fact]
    public void AllZero_IsStoredAsZeros()
    {
        var bytes = new byte[Bytes];
        bytes.AsSpan().Fill(0xAA);
        WeightCodec.Encode(TensorDType.Q4_K, new float[256], bytes);
        Assert.All(bytes, b => Assert.Equal(0, b));
    }

    /// <summary>
    /// Element i of a Q4_K row: super-block b = i / 256, sub-block j = i % 256 / 32; bytes 0–1 d, 2–3 dmin, 4–15 the
    /// scales: for j &lt; 4, scale = low 6 bits of byte 4 + j and min = low 6 bits of byte 8 + j; for j ≥ 4, the low 4
    /// bits come from the nibbles of byte 8 + j (scale low, min high) and the top 2 bits from bits 6–7 of bytes j and
    /// 4 + j. Quants from byte 16: 64-value group g's 32 bytes, element 64g + l low nibble, 64g + 32 + l high.
    /// </summary>
    private static double LayoutFormula(byte[] row, int i)
    {
        int b0 = i / 256 * Bytes;
        int e = i % 256;
        int j = e / 32;
        double d = (double)BinaryPrimitives.ReadHalfLittleEndian(row.AsSpan(b0));
        double dmin = (double)BinaryPrimitives.ReadHalfLittleEndian(row.AsSpan(b0 + 2));
        int Byte(int k) => row[b0 + 4 + k];
        int sc = j < 4 ? Byte(j) % 64 : (Byte(j + 4) % 16) + (Byte(j - 4) / 64 * 16);
        int m = j < 4 ? Byte(j + 4) % 64 : (Byte(j + 4) / 16) + (Byte(j) / 64 * 16);
        int pair = row[b0 + 16 + (e / 64 * 32) + (e % 32)];
        int q = e % 64 < 32 ? pair % 16 : pair / 16;
        return (d * sc * q) - (dmin * m);
    }
}
