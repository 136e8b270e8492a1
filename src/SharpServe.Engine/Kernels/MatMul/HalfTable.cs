using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SharpServe.Engine.Kernels.MatMul;

/// <summary>
/// f32 value of every fp16 bit pattern (256 KiB), like ggml's table: a Q8_0 block scale costs one load
/// instead of a branchy software conversion. Only the few patterns real scales use stay in cache.
/// </summary>
internal static unsafe class HalfTable
{
    private static readonly float[] Values = Build();

    public static float* Pointer => (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(Values));

    /// <summary>The f32 of the fp16 in the low half of each dword, 8 lookups in one gather (AVX2); lanes where <paramref name="keep"/> is 0 become 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> GatherLow(Vector256<int> dwords, Vector256<int> keep) =>
        (Avx2.GatherVector256(Pointer, dwords & Vector256.Create(0xFFFF), 4).AsInt32() & keep).AsSingle();

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
