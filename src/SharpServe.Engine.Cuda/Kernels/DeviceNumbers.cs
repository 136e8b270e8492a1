using ILGPU;

namespace SharpServe.Engine.Cuda.Kernels;

/// <summary>16-bit float conversions inside kernels, rounding as the CPU engine does (ggml's fp32_to_bf16, IEEE RNE for f16).</summary>
internal static class DeviceNumbers
{
    public static float Bf16ToFloat(ushort bits) => Interop.IntAsFloat((uint)bits << 16);

    /// <summary>Round to nearest even; NaN stays NaN (quieted), as ggml's fp32_to_bf16 and the CPU engine's codec.</summary>
    public static ushort FloatToBf16(float value)
    {
        uint bits = Interop.FloatAsInt(value);
        if ((bits & 0x7FFFFFFF) > 0x7F800000)
        {
            return (ushort)((bits >> 16) | 0x40);
        }

        return (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
    }

    public static float F16ToFloat(ushort bits) => (float)Interop.IntAsFloat(bits);

    /// <summary>
    /// Round to nearest even, as System.Half and PTX's cvt.rn.f16.f32: in integer steps, because ILGPU's own Half
    /// conversion truncates on the CPU accelerator. NaN stays NaN (quieted, top payload bits kept), overflow gives infinity.
    /// </summary>
    public static ushort FloatToF16(float value)
    {
        uint bits = Interop.FloatAsInt(value);
        uint sign = (bits >> 16) & 0x8000;
        uint magnitude = bits & 0x7FFFFFFF;
        if (magnitude > 0x7F800000)
        {
            return (ushort)(sign | 0x7E00 | ((magnitude >> 13) & 0x3FF));
        }

        if (magnitude >= 0x477FF000)
        {
            return (ushort)(sign | 0x7C00); // from 65520 up (and infinity): beyond the largest half, 65504
        }

        if (magnitude < 0x38800000)
        {
            // Below 2^-14: a half subnormal, counted in units of 2^-24 (2^-25 itself is a tie and goes to zero).
            if (magnitude <= 0x33000000)
            {
                return (ushort)sign;
            }

            int shift = 126 - (int)(magnitude >> 23);
            uint significand = (magnitude & 0x7FFFFF) | 0x800000;
            uint units = significand >> shift;
            uint rest = significand & ((1u << shift) - 1);
            uint halfway = 1u << (shift - 1);
            if (rest > halfway || (rest == halfway && (units & 1) != 0))
            {
                units++;
            }

            return (ushort)(sign | units);
        }

        // A normal half: round at bit 13, then move the exponent bias from 127 to 15.
        uint rounded = magnitude + 0xFFF + ((magnitude >> 13) & 1);
        return (ushort)(sign | ((rounded - 0x38000000) >> 13));
    }
}
