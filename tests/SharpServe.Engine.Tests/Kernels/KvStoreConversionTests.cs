using System.Buffers.Binary;
using SharpServe.Engine.Kernels;
using SharpServe.Engine.KvCache;
using SharpServe.Engine.Memory;

namespace SharpServe.Engine.Tests.Kernels;

/// <summary>StoreKv's f32 → f16 / bf16 rounding, bit for bit, on random bit patterns and the edge cases.</summary>
public sealed class KvStoreConversionTests
{
    private const int KvDim = 64;

    /// <summary>Zeros, subnormals of both formats, rounding ties and overflow boundaries, infinities and NaNs.</summary>
    private static readonly float[] EdgeCases =
    [
        0f, -0f, float.Epsilon, -float.Epsilon, 1e-40f, -1e-40f,
        5.9604645e-8f,          // smallest f16 subnormal
        2.9802322e-8f,          // half of it: a tie that rounds to +0
        4.4703484e-8f,          // 0.75 of it: rounds up to the subnormal
        6.097555e-5f,           // largest f16 subnormal
        6.1035156e-5f,          // smallest f16 normal
        65504f, -65504f,        // largest f16
        65519.996f,             // just below the f16 overflow threshold: rounds to 65504
        65520f, -65520f,        // the threshold: rounds to ±inf
        1e6f, -3e38f, float.MaxValue, float.MinValue,
        1.0009766f,             // 1 + 2^-10: exactly an f16
        1.00048828125f,         // 1 + 2^-11: an f16 tie, rounds to even (1)
        1.00146484375f,         // 1 + 3·2^-11: an f16 tie, rounds to even (1 + 2^-9)
        BitConverter.UInt32BitsToSingle(0x3F808000), // 1 + 2^-8: a bf16 tie, rounds to even (1)
        BitConverter.UInt32BitsToSingle(0x3F818000), // a bf16 tie that rounds up
        BitConverter.UInt32BitsToSingle(0x7F7FFFFF), // float max: rounds to bf16 inf
        float.PositiveInfinity, float.NegativeInfinity,
        float.NaN, BitConverter.UInt32BitsToSingle(0x7F800001), BitConverter.UInt32BitsToSingle(0xFFC00001),
    ];

    [Fact]
    public void Float16_StoresWhatHalfConversionGives()
    {
        foreach (var (value, stored) in StoreAll(KvCacheDType.Float16))
        {
            ushort expected = BitConverter.HalfToUInt16Bits((Half)value);
            Assert.True(expected == stored, $"{value:R} (0x{BitConverter.SingleToUInt32Bits(value):X8}): expected 0x{expected:X4}, stored 0x{stored:X4}");
        }
    }

    [Fact]
    public void BFloat16_RoundsToNearestEven()
    {
        foreach (var (value, stored) in StoreAll(KvCacheDType.BFloat16))
        {
            if (float.IsNaN(value))
            {
                Assert.True((stored & 0x7F80) == 0x7F80 && (stored & 0x7F) != 0, $"NaN 0x{BitConverter.SingleToUInt32Bits(value):X8} stored as non-NaN 0x{stored:X4}");
                continue;
            }

            ushort expected = RoundToBFloat16(value);
            Assert.True(expected == stored, $"{value:R} (0x{BitConverter.SingleToUInt32Bits(value):X8}): expected 0x{expected:X4}, stored 0x{stored:X4}");
        }
    }

    /// <summary>Keep the top 16 bits; add one ulp when the dropped bits are over half, or exactly half and the kept value is odd.</summary>
    private static ushort RoundToBFloat16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        uint kept = bits >> 16;
        uint dropped = bits & 0xFFFF;
        bool up = dropped > 0x8000 || (dropped == 0x8000 && (kept & 1) == 1);
        return (ushort)(up ? kept + 1 : kept);
    }

    /// <summary>
    /// Random bit patterns (every exponent, NaNs included), values around f16's range and the edge cases, stored
    /// as K (and, reversed, as V) of one token per slot; returns each value with the 16 bits stored for it.
    /// </summary>
    private static List<(float Value, ushort Stored)> StoreAll(KvCacheDType dtype)
    {
        var random = new Random(11);
        var values = new List<float>(EdgeCases);
        for (int i = 0; i < 4000; i++)
        {
            values.Add(BitConverter.UInt32BitsToSingle((uint)random.NextInt64(0, 1L << 32)));
            values.Add((float)((random.NextDouble() - 0.5) * Math.Pow(2, random.Next(-30, 20))));
        }

        while (values.Count % KvDim != 0)
        {
            values.Add(random.NextSingle());
        }

        int tokens = values.Count / KvDim;
        var keys = values.ToArray();
        var reversed = Enumerable.Reverse(keys).ToArray();
        var metadata = new AttentionMetadata(blockSize: 16);
        metadata.AddSequence(tokens, 0, [.. Enumerable.Range(0, (tokens + 15) / 16)]);
        var cache = new KvLayerCache(tokens + 15, KvDim, dtype);
        using (var backend = new CpuBackend(1))
        {
            backend.StoreKv(keys, reversed, metadata, cache);
        }

        var valueRow = new byte[cache.SlotBytes];
        var stored = new List<(float, ushort)>();
        for (int i = 0; i < keys.Length; i++)
        {
            cache.ReadValueRow(i / KvDim, valueRow);
            stored.Add((keys[i], BinaryPrimitives.ReadUInt16LittleEndian(cache.Keys.AsSpan(2 * i))));
            stored.Add((reversed[i], BinaryPrimitives.ReadUInt16LittleEndian(valueRow.AsSpan(2 * (i % KvDim)))));
        }

        return stored;
    }
}
