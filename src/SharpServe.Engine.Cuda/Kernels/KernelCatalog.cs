using System.Reflection;

namespace SharpServe.Engine.Cuda.Kernels;

/// <summary>
/// Every kernel entry point, generic ones once per element type: what <see cref="PtxCompiler"/> must be able to compile and
/// <see cref="DeviceKernels"/> loads.
/// </summary>
internal static class KernelCatalog
{
    /// <summary>The element types generic kernels are instantiated with (f32, f16, bf16 weights and caches).</summary>
    public static IReadOnlyList<Type> ElementTypes { get; } = [typeof(F32Elements), typeof(F16Elements), typeof(Bf16Elements)];

    /// <summary>The classes holding kernels: each has public static kernels (methods returning nothing).</summary>
    public static IReadOnlyList<Type> KernelClasses { get; } =
        [typeof(ElementwiseKernels), typeof(RmsNormKernel), typeof(RopeKernel), typeof(EmbeddingKernel), typeof(GemvKernel), typeof(GemmKernel), typeof(Q8Kernels), typeof(StoreKvKernel), typeof(PagedAttentionKernel), typeof(NarrowKernel), typeof(SamplingKernels)];

    public static IEnumerable<(string Name, MethodInfo Method)> EntryPoints()
    {
        foreach (var type in KernelClasses)
        {
            foreach (var method in type.GetMethods(BindingFlags.Public | BindingFlags.Static).Where(IsKernel))
            {
                if (!method.IsGenericMethodDefinition)
                {
                    yield return ($"{type.Name}.{method.Name}", method);
                    continue;
                }

                foreach (var element in ElementTypes)
                {
                    yield return ($"{type.Name}.{method.Name}<{element.Name}>", method.MakeGenericMethod(element));
                }
            }
        }
    }

    /// <summary>Kernels return nothing and take device views; helpers such as <see cref="RopeKernel.Reduce"/> return a value.</summary>
    private static bool IsKernel(MethodInfo method) => method.ReturnType == typeof(void);
}
