using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using SharpServe.Engine.Loading;

namespace SharpServe.Engine.Cuda.Native;

/// <summary>
/// Prefill matmuls through cuBLAS on the backend's ILGPU stream, so they queue between its kernels without any
/// synchronization. Owns one cuBLAS handle, created in the accelerator's context and destroyed before it.
/// </summary>
internal sealed class CublasGemm : IDisposable
{
    private readonly CudaAccelerator _accelerator;
    private readonly IntPtr _handle;
    private bool _disposed;

    private CublasGemm(CudaAccelerator accelerator, IntPtr handle, string library)
    {
        _accelerator = accelerator;
        _handle = handle;
        Library = library;
    }

    /// <summary>The file the handle's library was loaded from (for the startup log).</summary>
    public string Library { get; }

    /// <summary>A handle on <paramref name="stream"/>, or null and why not (no library, or it would not start).</summary>
    public static CublasGemm? TryCreate(CudaAccelerator accelerator, CudaStream stream, out string unavailable)
    {
        NativeImports.EnsureRegistered();
        var load = CublasLibrary.Load();
        if (load.Handle == IntPtr.Zero)
        {
            unavailable = load.Description;
            return null;
        }

        // The handle belongs to the context current on this thread: ILGPU's, not a runtime primary context.
        accelerator.Bind();
        int status = CublasApi.Create(out var handle);
        if (status != 0)
        {
            unavailable = $"{load.Description} loaded, but cublasCreate_v2 returned {CublasApi.StatusName(status)}";
            return null;
        }

        status = CublasApi.SetStream(handle, stream.StreamPtr);
        if (status != 0)
        {
            _ = CublasApi.Destroy(handle);
            unavailable = $"{load.Description} loaded, but cublasSetStream_v2 returned {CublasApi.StatusName(status)}";
            return null;
        }

        unavailable = "";
        return new CublasGemm(accelerator, handle, load.Description);
    }

    /// <summary>
    /// y[tokens, rows] = x[tokens, columns] · W[rows, columns]ᵀ, queued on the stream. weights and x hold
    /// <paramref name="type"/> elements (F32, F16 or BF16: cuBLAS needs A and B of one type); y is f32, accumulated in f32.
    /// </summary>
    public void Multiply(TensorDType type, ArrayView<byte> weights, ArrayView<byte> x, ArrayView<float> y, int rows, int columns, int tokens)
    {
        var dataType = type switch
        {
            TensorDType.F32 => CudaDataType.R32F,
            TensorDType.F16 => CudaDataType.R16F,
            TensorDType.BF16 => CudaDataType.R16BF,
            _ => throw new NotSupportedException($"cuBLAS multiplies F32, F16 or BF16 matrices here, not {type}"),
        };
        var shape = GemmShape.For(rows, columns, tokens);
        _accelerator.Bind(); // a serving thread other than the one that opened the card
        CublasApi.Check("cublasGemmEx", CublasApi.GemmEx(
            _handle, shape.TransA, shape.TransB, shape.M, shape.N, shape.K,
            1f, weights.LoadEffectiveAddressAsPtr(), dataType, shape.Lda, x.LoadEffectiveAddressAsPtr(), dataType, shape.Ldb,
            0f, y.LoadEffectiveAddressAsPtr(), CudaDataType.R32F, shape.Ldc, CublasApi.Compute32F, CublasApi.GemmDefault));
    }

    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _accelerator.Bind();
            _ = CublasApi.Destroy(_handle);
        }
    }
}
