using System.Globalization;
using SharpServe.Engine.Loading;
using SharpServe.Engine.Models;

namespace SharpServe.Cli.Commands;

/// <summary>The startup log's account of weight memory: what the kernels keep resident, and what it came from when quantized at load.</summary>
internal static class ResidentWeights
{
    /// <summary>E.g. "1.79 GiB resident (int8 from bf16, source 3.55 GiB)" or "3.55 GiB resident".</summary>
    public static string Describe(LoadedModel loaded)
    {
        ArgumentNullException.ThrowIfNull(loaded);
        string resident = $"{Size(loaded.ResidentWeightBytes)} resident";
        return loaded.Checkpoint.Quantization is { } report
            ? $"{resident} ({report.Quantization.ToString().ToLowerInvariant()} from {report.SourceType.ToString().ToLowerInvariant()}, source {Size(report.SourceWeightBytes)}{(report.Built ? ", quantized now" : ", from the cache")})"
            : resident;
    }

    /// <summary>GiB with two decimals above 1 GiB, else MiB: the tiny test models weigh a few MiB.</summary>
    private static string Size(long bytes) => bytes >= 1L << 30
        ? string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):F2} GiB")
        : string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 20):F1} MiB");
}
