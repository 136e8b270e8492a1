using SharpServe.Engine.Cuda.Kernels;
using SharpServe.Engine.Loading;

namespace SharpServe.Engine.Cuda.Tests.Kernels;

/// <summary>Activations rounded to 16 bits for cuBLAS: the same bits as the kernels' own rounding, every element.</summary>
[Collection(SimulatedDeviceCollection.Name)]
public sealed class NarrowKernelTests(SimulatedDevice device)
{
    [Theory]
    [InlineData(TensorDType.BF16, 37)]
    [InlineData(TensorDType.F16, 37)]
    [InlineData(TensorDType.BF16, 5001)] // more elements than the launch has threads: the grid-stride loop must cover them
    [InlineData(TensorDType.F16, 5001)]
    public void RoundsEachElementToNearestEven(TensorDType type, int count)
    {
        var x = TestData.Floats(count, 41, 70_000f);
        float[] specials = [1f + MathF.Pow(2, -8), 1f + (3 * MathF.Pow(2, -8)), 1f + MathF.Pow(2, -11), 65520f, -1e-7f, MathF.Pow(2, -25), float.NaN, float.NegativeInfinity, -0f];
        specials.CopyTo(x, 0);
        using var dx = device.Upload(x);
        using var dy = device.Upload(new ushort[count]);

        device.Kernels.Narrow(device.Stream, type, dx.View, dy.View);
        var actual = device.Download(dy);

        var expected = x.Select(v => type == TensorDType.BF16 ? DeviceNumbers.FloatToBf16(v) : DeviceNumbers.FloatToF16(v)).ToArray();
        Assert.Equal(expected, actual);
        if (type == TensorDType.F16)
        {
            // And what the card's own cvt.rn.f16.f32 gives, as System.Half rounds (NaN payloads aside).
            Assert.Equal(x.Where(v => !float.IsNaN(v)).Select(v => BitConverter.HalfToUInt16Bits((Half)v)), actual.Where((_, i) => !float.IsNaN(x[i])));
        }
    }

    [Fact]
    public void RefusesF32()
    {
        using var dx = device.Upload(new float[4]);
        using var dy = device.Upload(new ushort[4]);

        var error = Assert.Throws<NotSupportedException>(() => device.Kernels.Narrow(device.Stream, TensorDType.F32, dx.View, dy.View));
        Assert.Equal("activations narrow to F16 or BF16, not F32", error.Message);
    }
}
