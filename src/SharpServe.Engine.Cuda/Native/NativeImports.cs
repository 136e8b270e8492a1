using System.Reflection;
using System.Runtime.InteropServices;

namespace SharpServe.Engine.Cuda.Native;

/// <summary>
/// Resolves the native names this assembly's own imports use: "cuda" is NVIDIA's driver (libcuda.so.1, as
/// <see cref="CudaDriver"/> loads it for ILGPU) and "cublas" the first loadable of <see cref="CublasLibrary.Candidates"/>.
/// The runtime takes one resolver per assembly, so it is registered once per process, before the first import is called.
/// </summary>
internal static class NativeImports
{
    public const string Driver = "cuda";
    public const string Cublas = "cublas";

    private static readonly Lazy<bool> Registered = new(() =>
    {
        NativeLibrary.SetDllImportResolver(typeof(NativeImports).Assembly, Resolve);
        return true;
    });

    public static void EnsureRegistered() => _ = Registered.Value;

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath) => name switch
    {
        Driver => CudaDriver.LoadDriver(),
        Cublas => CublasLibrary.Load().Handle,
        _ => IntPtr.Zero,
    };
}
