using ILGPU.Runtime.Cuda;
using SharpServe.Engine.Cuda.Kernels;

namespace SharpServe.Engine.Cuda.Tests;

/// <summary>Every kernel compiles to PTX for the cards the backend targets, with no GPU or driver on the machine.</summary>
public sealed class PtxCompilationTests
{
    public static TheoryData<string> Kernels => [.. KernelCatalog.EntryPoints().Select(e => e.Name)];

    [Theory]
    [MemberData(nameof(Kernels))]
    public void CompilesForSm80AndSm90(string name)
    {
        var kernel = KernelCatalog.EntryPoints().Single(e => e.Name == name).Method;
        using var compiler = new PtxCompiler();
        foreach (var architecture in new[] { CudaArchitecture.SM_80, CudaArchitecture.SM_90 })
        {
            string ptx = compiler.Compile(kernel, architecture);

            Assert.Contains(".entry", ptx);
            Assert.Contains(".target sm_80", ptx); // ILGPU 1.5.3 emits sm_80 code for SM_90 too
        }
    }

    [Fact]
    public void CatalogListsEveryKernelClassAndElementType()
    {
        var kernelClasses = typeof(KernelCatalog).Assembly.GetTypes()
            .Where(t => t.Namespace == typeof(KernelCatalog).Namespace && (t.Name.EndsWith("Kernel", StringComparison.Ordinal) || t.Name.EndsWith("Kernels", StringComparison.Ordinal)))
            .Where(t => t.IsAbstract && t.IsSealed && t != typeof(DeviceKernels))
            .ToHashSet();
        Assert.Equal(kernelClasses.OrderBy(t => t.Name), KernelCatalog.KernelClasses.OrderBy(t => t.Name));

        var elementTypes = typeof(KernelCatalog).Assembly.GetTypes().Where(t => t.IsValueType && t.GetInterfaces().Contains(typeof(IDeviceElements)));
        Assert.Equal(elementTypes.OrderBy(t => t.Name), KernelCatalog.ElementTypes.OrderBy(t => t.Name));
        Assert.Equal(14 + (6 * KernelCatalog.ElementTypes.Count), KernelCatalog.EntryPoints().Count());
    }
}
