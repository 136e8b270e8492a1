using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace SharpServe.Engine.Kernels.MatMul;

/// <summary>
/// f32 value of every fp16 bit pattern (256 KiB), like ggml's table: a Q8_0 block scale costs one load
/// instead of a branchy software conversion. Only the few patterns real scales use stay in cache.
/// </summary>
internal static unsafe class HalfTable
{
    private static readonly float[] Values = Build();

    public static float* Pointer => (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(Values));

    private static float[] Build()
    {
        var values = GC.AllocateUninitializedArray<float>(65536, pinned: true);
        for (int bits = 0; bits < values.Length; bits++)
        {
            values[bits] = (float)BitConverter.UInt16BitsToHalf((ushort)bits);
        }

        return values;
    }
}
