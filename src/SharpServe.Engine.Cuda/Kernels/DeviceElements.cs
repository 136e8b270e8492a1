using ILGPU;

namespace SharpServe.Engine.Cuda.Kernels;

/// <summary>
/// A flat device array read (and, for the KV cache, written) as f32 whatever it stores: kernels are generic over it, so one
/// kernel body serves f32, f16 and bf16 weights and caches. 16-bit data travels as ushort and is widened in the kernel.
/// </summary>
internal interface IDeviceElements
{
    float Load(long index);

    /// <summary>Stores <paramref name="value"/> rounded to nearest even in the element type.</summary>
    void Store(long index, float value);
}

internal readonly struct F32Elements(ArrayView<float> data) : IDeviceElements
{
    private readonly ArrayView<float> _data = data;

    public float Load(long index) => _data[index];

    public void Store(long index, float value) => _data[index] = value;
}

internal readonly struct F16Elements(ArrayView<ushort> data) : IDeviceElements
{
    private readonly ArrayView<ushort> _data = data;

    public float Load(long index) => DeviceNumbers.F16ToFloat(_data[index]);

    public void Store(long index, float value) => _data[index] = DeviceNumbers.FloatToF16(value);
}

internal readonly struct Bf16Elements(ArrayView<ushort> data) : IDeviceElements
{
    private readonly ArrayView<ushort> _data = data;

    public float Load(long index) => DeviceNumbers.Bf16ToFloat(_data[index]);

    public void Store(long index, float value) => _data[index] = DeviceNumbers.FloatToBf16(value);
}
