using System.Reflection;
using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Runtime.Cuda;

namespace SharpServe.Engine.Cuda;

/// <summary>One CUDA card as the driver reports it.</summary>
public sealed record CudaCard(int Index, string Name, long TotalBytes, string Architecture);

/// <summary>What this process found of NVIDIA's driver and cards; <see cref="Summary"/> says why when nothing is usable.</summary>
public sealed record CudaProbe(bool Usable, string Summary, IReadOnlyList<CudaCard> Cards);

/// <summary>
/// Finds the NVIDIA driver the way the backend will load it. ILGPU imports the driver API as "cuda", which .NET resolves to
/// libcuda.so — a name only the CUDA toolkit's development files provide; the driver installs libcuda.so.1. Without a
/// resolver a machine with a driver but no toolkit silently shows no device, so one is registered for ILGPU's assembly,
/// once per process (the runtime allows one per assembly).
/// </summary>
public static class CudaDriver
{
    private static readonly string[] DriverNames = ["libcuda.so.1", "libcuda.so"];
    private static readonly Lazy<bool> ResolverRegistered = new(RegisterResolver);

    public static CudaProbe Probe()
    {
        if (!OperatingSystem.IsLinux())
        {
            return new CudaProbe(false, "the CUDA backend supports Linux only", []);
        }

        _ = ResolverRegistered.Value;
        if (LoadDriver() == IntPtr.Zero)
        {
            return new CudaProbe(false, $"no NVIDIA driver: none of {string.Join(", ", DriverNames)} could be loaded", []);
        }

        using var context = DeviceContext.CreateCuda();
        var cards = new List<CudaCard>();
        foreach (var device in context.GetCudaDevices())
        {
            cards.Add(new CudaCard(cards.Count, device.Name, device.MemorySize, device.Architecture?.ToString() ?? "unknown"));
        }

        return cards.Count == 0
            ? new CudaProbe(false, "the NVIDIA driver loaded but reports no CUDA device", cards)
            : new CudaProbe(true, string.Join("; ", cards.Select(c => $"cuda:{c.Index} {c.Name}, {c.TotalBytes / (1L << 20)} MiB, {c.Architecture}")), cards);
    }

    private static bool RegisterResolver()
    {
        NativeLibrary.SetDllImportResolver(typeof(Context).Assembly, Resolve);
        return true;
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath) =>
        name == "cuda" ? LoadDriver() : IntPtr.Zero;

    internal static IntPtr LoadDriver()
    {
        foreach (string name in DriverNames)
        {
            if (NativeLibrary.TryLoad(name, out var handle))
            {
                return handle;
            }
        }

        return IntPtr.Zero;
    }
}
