using System.Runtime.InteropServices;

namespace SharpServe.Engine.Cuda.Native;

/// <summary>The cuBLAS library this process found, or why none (<see cref="Handle"/> zero).</summary>
internal sealed record CublasLoad(IntPtr Handle, string Description);

/// <summary>Finds cuBLAS: CUDA 13's soname first, then CUDA 12's.</summary>
internal static class CublasLibrary
{
    private static readonly Lazy<CublasLoad> Loaded = new(LoadFirst);

    public static IReadOnlyList<string> Candidates() => ["libcublas.so.13", "libcublas.so.12"];

    public static CublasLoad Load() => Loaded.Value;

    private static CublasLoad LoadFirst()
    {
        foreach (string candidate in Candidates())
        {
            if (NativeLibrary.TryLoad(candidate, out var handle))
            {
                return new CublasLoad(handle, candidate);
            }
        }

        return new CublasLoad(IntPtr.Zero, $"no cuBLAS: none of {string.Join(", ", Candidates())} could be loaded");
    }
}
