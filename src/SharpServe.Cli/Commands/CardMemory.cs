using SharpServe.Engine.Cuda;
using SharpServe.Engine.Models;

namespace SharpServe.Cli.Commands;

/// <summary>
/// What a memory utilization is a share of: the card's memory when the model runs on one, else the host's (null: detect
/// it); and on a card, what is free, which the plan must fit.
/// </summary>
internal static class CardMemory
{
    public static long? TotalBytes(LoadedModel model) => model.Backend is CudaBackend card ? card.TotalMemoryBytes : null;

    /// <summary>The card's free memory now (read before the engine allocates its cache); null on the host.</summary>
    public static long? FreeBytes(LoadedModel model) => model.Backend is CudaBackend card ? card.FreeMemoryBytes : null;
}
