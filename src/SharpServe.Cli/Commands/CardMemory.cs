using SharpServe.Engine.Cuda;
using SharpServe.Engine.Models;

namespace SharpServe.Cli.Commands;

/// <summary>What a memory utilization is a share of: the card's memory when the model runs on one, else the host's (null: detect it).</summary>
internal static class CardMemory
{
    public static long? TotalBytes(LoadedModel model) => model.Backend is CudaBackend card ? card.TotalMemoryBytes : null;
}
