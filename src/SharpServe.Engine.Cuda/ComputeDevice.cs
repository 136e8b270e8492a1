using System.Globalization;
using SharpServe.Engine.Kernels;
using SharpServe.Engine.Loading;

namespace SharpServe.Engine.Cuda;

/// <summary>The backend a process computes on, and what it is in words (for the startup log).</summary>
public sealed record OpenedDevice(IComputeBackend Backend, string Description);

/// <summary>
/// <c>--device auto|cpu|cuda</c>: cpu is the CPU backend; cuda is card 0, and an error saying what is missing when the
/// driver, a card or support for the checkpoint's weight types is; auto takes cuda when all three are there and says why
/// not otherwise.
/// </summary>
public static class ComputeDevice
{
    public static readonly IReadOnlyList<string> Names = ["auto", "cpu", "cuda"];

    /// <summary>Opens the backend for <paramref name="device"/>. Throws <see cref="ArgumentException"/> naming the reason when it cannot.</summary>
    public static OpenedDevice Open(string device, ModelCheckpoint checkpoint, int threads)
    {
        if (!Names.Contains(device))
        {
            throw new ArgumentException($"--device {device}: expected one of {string.Join(", ", Names)}");
        }

        if (device == "cpu")
        {
            return Cpu(threads, "cpu");
        }

        string? unusable = WhyNotCuda(checkpoint, out var card);
        if (unusable is null)
        {
            var backend = CudaBackend.Open(card!.Index);
            return new OpenedDevice(backend, Describe(card, backend.FreeMemoryBytes, backend.GemmDescription));
        }

        return device == "cuda"
            ? throw new ArgumentException($"--device cuda: {unusable}")
            : Cpu(threads, $"cpu (auto: {unusable})");
    }

    /// <summary>
    /// The startup log's device line for a card: its name, total memory and what was free when this process opened it
    /// (other processes' allocations and this context's own are already gone; the weights are not yet), architecture and GEMM.
    /// </summary>
    public static string Describe(CudaCard card, long freeBytes, string gemm)
    {
        ArgumentNullException.ThrowIfNull(card);
        return string.Create(
            CultureInfo.InvariantCulture,
            $"cuda:{card.Index} {card.Name}, {card.TotalBytes >> 20} MiB total, {freeBytes >> 20} MiB free at open, {card.Architecture}, GEMM: {gemm}");
    }

    private static OpenedDevice Cpu(int threads, string description) => new(new CpuBackend(threads), $"{description}, {threads} threads");

    /// <summary>Null when card 0 can run <paramref name="checkpoint"/> (<paramref name="card"/> is it), else why not, in words.</summary>
    public static string? WhyNotCuda(ModelCheckpoint checkpoint, out CudaCard? card)
    {
        var probe = CudaDriver.Probe();
        card = probe.Cards.FirstOrDefault();
        if (!probe.Usable || card is null)
        {
            return probe.Summary;
        }

        var unsupported = CudaBackend.UnsupportedTypes(checkpoint);
        return unsupported.Count == 0 ? null
            : $"cuda:0 ({card.Name}) is there, but the CUDA kernels do not run {string.Join(", ", unsupported)} weights yet; they run {string.Join(", ", CudaBackend.SupportedWeightTypes)}";
    }
}
