using SharpServe.Engine.Cuda;
using SharpServe.Engine.Loading;
using SharpServe.Engine.Memory;

namespace SharpServe.Cli.Commands;

/// <summary>
/// Where a fleet's instances compute, decided once by the parent so every child starts with the same --device: the CPU
/// (fractions of the host's memory) or CUDA card 0 (fractions of the card's memory).
/// </summary>
/// <param name="Asked">The --device flag: auto, cpu or cuda.</param>
/// <param name="Card">Null: the CPU.</param>
/// <param name="Note">Why auto chose the CPU, for the log; null otherwise.</param>
internal sealed record FleetDevice(string Asked, CudaCard? Card, string? Note)
{
    /// <summary>The --device every instance gets.</summary>
    public string Name => Card is null ? "cpu" : "cuda";

    /// <summary>
    /// The driver's answer, before the model is read: cuda without a driver or card is an <see cref="ArgumentException"/>
    /// saying what is missing, so no instance starts; auto falls back to the CPU.
    /// </summary>
    public static FleetDevice Probe(string device)
    {
        if (!ComputeDevice.Names.Contains(device))
        {
            throw new ArgumentException($"--device {device}: expected one of {string.Join(", ", ComputeDevice.Names)}");
        }

        if (device == "cpu")
        {
            return new FleetDevice(device, null, null);
        }

        var probe = CudaDriver.Probe();
        return probe.Usable ? new FleetDevice(device, probe.Cards[0], null) : Unusable(device, probe.Summary);
    }

    /// <summary>On a card, whether the kernels run the weight types of the checkpoint <paramref name="load"/> loads as the instances will.</summary>
    public FleetDevice CheckWeights(Func<ModelCheckpoint> load)
    {
        if (Card is null)
        {
            return this;
        }

        using var checkpoint = load();
        string? unusable = ComputeDevice.WhyNotCuda(checkpoint, out _);
        return unusable is null ? this : Unusable(Asked, unusable);
    }

    /// <summary>What the instances' fractions are of: the card's memory, or the host's.</summary>
    public long TotalBytes() => Card?.TotalBytes ?? DeviceMemory.DetectHost().TotalBytes;

    private static FleetDevice Unusable(string device, string why) => device == "cuda"
        ? throw new ArgumentException($"fleet --device cuda: {why}; no instance was started")
        : new FleetDevice(device, null, $"auto: {why}");
}
