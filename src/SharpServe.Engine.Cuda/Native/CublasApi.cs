using System.Runtime.InteropServices;

namespace SharpServe.Engine.Cuda.Native;

/// <summary>cublasOperation_t (cublas_api.h).</summary>
internal enum CublasOperation
{
    None = 0,      // CUBLAS_OP_N
    Transpose = 1, // CUBLAS_OP_T
}

/// <summary>cudaDataType_t (library_types.h): the element types of GemmEx's matrices.</summary>
internal enum CudaDataType
{
    R32F = 0,  // CUDA_R_32F
    R16F = 2,  // CUDA_R_16F
    R16BF = 14, // CUDA_R_16BF
}

/// <summary>
/// The few cuBLAS entry points the backend calls, resolved by <see cref="NativeImports"/> to the library
/// <see cref="CublasLibrary"/> found. Every call returns a cublasStatus_t, turned into an exception by <see cref="Check"/>.
/// </summary>
internal static partial class CublasApi
{
    /// <summary>cublasComputeType_t CUBLAS_COMPUTE_32F: f32 accumulation, no TF32 or 16-bit shortcuts.</summary>
    public const int Compute32F = 68;

    /// <summary>cublasGemmAlgo_t CUBLAS_GEMM_DEFAULT: cuBLAS's heuristic picks the kernel (tensor cores where the types allow).</summary>
    public const int GemmDefault = -1;

    private const int Success = 0;

    [LibraryImport(NativeImports.Cublas, EntryPoint = "cublasCreate_v2")]
    public static partial int Create(out IntPtr handle);

    [LibraryImport(NativeImports.Cublas, EntryPoint = "cublasDestroy_v2")]
    public static partial int Destroy(IntPtr handle);

    /// <summary><paramref name="stream"/> is a CUstream (the driver's and the runtime's stream handles are the same).</summary>
    [LibraryImport(NativeImports.Cublas, EntryPoint = "cublasSetStream_v2")]
    public static partial int SetStream(IntPtr handle, IntPtr stream);

    /// <summary>C = alpha · op(A) · op(B) + beta · C, column-major; alpha and beta on the host (the default pointer mode).</summary>
    [LibraryImport(NativeImports.Cublas, EntryPoint = "cublasGemmEx")]
    public static partial int GemmEx(
        IntPtr handle, CublasOperation transa, CublasOperation transb, int m, int n, int k,
        in float alpha, IntPtr a, CudaDataType aType, int lda, IntPtr b, CudaDataType bType, int ldb,
        in float beta, IntPtr c, CudaDataType cType, int ldc, int computeType, int algo);

    /// <summary>Throws naming <paramref name="call"/> and the status when <paramref name="status"/> is not CUBLAS_STATUS_SUCCESS.</summary>
    public static void Check(string call, int status)
    {
        if (status != Success)
        {
            throw new InvalidOperationException($"{call} failed: {StatusName(status)}");
        }
    }

    /// <summary>cublasStatus_t's name (cublas_api.h).</summary>
    public static string StatusName(int status) => status switch
    {
        0 => "CUBLAS_STATUS_SUCCESS",
        1 => "CUBLAS_STATUS_NOT_INITIALIZED",
        3 => "CUBLAS_STATUS_ALLOC_FAILED",
        7 => "CUBLAS_STATUS_INVALID_VALUE",
        8 => "CUBLAS_STATUS_ARCH_MISMATCH",
        11 => "CUBLAS_STATUS_MAPPING_ERROR",
        13 => "CUBLAS_STATUS_EXECUTION_FAILED",
        14 => "CUBLAS_STATUS_INTERNAL_ERROR",
        15 => "CUBLAS_STATUS_NOT_SUPPORTED",
        16 => "CUBLAS_STATUS_LICENSE_ERROR",
        _ => $"cublasStatus_t {status}",
    };
}
