using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace SharpServe.Engine.Cuda.Native;

/// <summary>CUipcMemHandle: 64 opaque bytes (CU_IPC_HANDLE_SIZE) naming a device allocation to other processes.</summary>
[InlineArray(CudaIpcApi.HandleSize)]
internal struct IpcMemHandle
{
    private byte _first;
}

/// <summary>CUuuid: a card's 16-byte UUID, the one nvidia-smi -L prints.</summary>
[InlineArray(16)]
internal struct CardUuid
{
    private byte _first;
}

/// <summary>
/// The driver API calls for sharing device memory between processes, which ILGPU does not bind: export a cuMemAlloc'd
/// allocation as a handle, open another process's handle as a device pointer in this context, close it, and name the
/// card (so the importer can tell it is on the holder's card). Symbol names as libcuda exports them: cuda.h maps
/// cuIpcOpenMemHandle to cuIpcOpenMemHandle_v2 and cuDeviceGetUuid_v2 to itself. Each call needs a current context: the
/// caller binds the ILGPU accelerator first.
/// </summary>
internal static partial class CudaIpcApi
{
    public const int HandleSize = 64;

    /// <summary>CU_IPC_MEM_LAZY_ENABLE_PEER_ACCESS: the only flag, and what every importer passes (it is a no-op on the holder's own card).</summary>
    private const uint LazyEnablePeerAccess = 1;

    public static IpcMemHandle GetMemHandle(IntPtr basePointer)
    {
        NativeImports.EnsureRegistered();
        Check(cuIpcGetMemHandle(out var handle, (ulong)basePointer), "cuIpcGetMemHandle");
        return handle;
    }

    public static IntPtr OpenMemHandle(IpcMemHandle handle)
    {
        NativeImports.EnsureRegistered();
        Check(cuIpcOpenMemHandle_v2(out ulong pointer, handle, LazyEnablePeerAccess), "cuIpcOpenMemHandle");
        return (IntPtr)pointer;
    }

    public static void CloseMemHandle(IntPtr pointer)
    {
        NativeImports.EnsureRegistered();
        Check(cuIpcCloseMemHandle((ulong)pointer), "cuIpcCloseMemHandle");
    }

    /// <summary>Card <paramref name="ordinal"/>'s UUID as nvidia-smi prints it: GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx.</summary>
    public static string DeviceUuid(int ordinal)
    {
        NativeImports.EnsureRegistered();
        Check(cuDeviceGet(out int device, ordinal), "cuDeviceGet");
        Check(cuDeviceGetUuid_v2(out var uuid, device), "cuDeviceGetUuid_v2");
        string hex = Convert.ToHexStringLower(uuid);
        return string.Create(CultureInfo.InvariantCulture, $"GPU-{hex[..8]}-{hex[8..12]}-{hex[12..16]}-{hex[16..20]}-{hex[20..]}");
    }

    /// <summary>A failed call as an exception naming the call and the driver's error name (e.g. CUDA_ERROR_INVALID_VALUE).</summary>
    private static void Check(int result, string call)
    {
        if (result == 0)
        {
            return;
        }

        string name = cuGetErrorName(result, out var text) == 0 && Marshal.PtrToStringAnsi(text) is { } found
            ? found
            : string.Create(CultureInfo.InvariantCulture, $"CUresult {result}");
        throw new InvalidOperationException($"{call} failed: {name}");
    }

    [LibraryImport(NativeImports.Driver)]
    private static partial int cuIpcGetMemHandle(out IpcMemHandle handle, ulong pointer);

    [LibraryImport(NativeImports.Driver)]
    private static partial int cuIpcOpenMemHandle_v2(out ulong pointer, IpcMemHandle handle, uint flags);

    [LibraryImport(NativeImports.Driver)]
    private static partial int cuIpcCloseMemHandle(ulong pointer);

    [LibraryImport(NativeImports.Driver)]
    private static partial int cuDeviceGet(out int device, int ordinal);

    [LibraryImport(NativeImports.Driver)]
    private static partial int cuDeviceGetUuid_v2(out CardUuid uuid, int device);

    [LibraryImport(NativeImports.Driver)]
    private static partial int cuGetErrorName(int error, out IntPtr name);
}
