using System.Reflection;
using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime.Cuda;

namespace SharpServe.Engine.Cuda;

/// <summary>
/// Compiles kernels to PTX without a GPU (ILGPU's PTX backend needs no driver), so CI proves every kernel compiles for the
/// architectures the backend targets. ILGPU 1.5.3 emits ".target sm_80" for SM_90 too (no wgmma/TMA): the PTX is the
/// same, and the driver JIT-compiles it for the card it finds.
/// </summary>
internal sealed class PtxCompiler : IDisposable
{
    private readonly Context _context = DeviceContext.CreateCuda();

    public string Compile(MethodInfo kernel, CudaArchitecture architecture)
    {
        using var backend = new PTXBackend(_context, new CudaCapabilityContext(architecture), architecture, CudaInstructionSet.ISA_80, nvvmAPI: null);
        var entry = EntryPointDescription.FromExplicitlyGroupedKernel(kernel);
        var compiled = (PTXCompiledKernel)backend.Compile(entry, default);
        return compiled.PTXAssembly;
    }

    public void Dispose() => _context.Dispose();
}
