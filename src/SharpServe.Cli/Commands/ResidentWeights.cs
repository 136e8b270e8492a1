using System.Globalization;
using SharpServe.Engine.Loading;
using SharpServe.Engine.Models;

namespace SharpServe.Cli.Commands;

/// <summary>The startup log's account of weight memory: what the kernels keep resident, and what it came from when quantized at load.</summary>
internal static class ResidentWeights
{
    /// <summary>
    /// E.g. "1.79 GiB resident (int8 from bf16, source 3.55 GiB)", "3.55 GiB resident", or with head types
    /// "1.01 GiB resident (heads converted: model.embed_tokens.weight q4_k, lm_head.weight q6_k, source 888.0 MiB, from the cache)".
    /// </summary>
    public static string Describe(LoadedModel loaded)
    {
        ArgumentNullException.ThrowIfNull(loaded);
        string resident = $"{Size(loaded.ResidentWeightBytes)} resident";
        if (loaded.Checkpoint.Quantization is { } report)
        {
            return $"{resident} ({report.Quantization.ToString().ToLowerInvariant()} from {report.SourceType.ToString().ToLowerInvariant()}, source {Size(report.SourceWeightBytes)}{Cache(report.Built)})";
        }

        if (loaded.Checkpoint.HeadTypes is { } heads)
        {
            string converted = string.Join(", ", heads.Converted.OrderBy(pair => pair.Key, StringComparer.Ordinal).Select(pair => $"{pair.Key} {HeadTensorTypes.Name(pair.Value)}"));
            return $"{resident} (heads converted: {converted}, source {Size(heads.SourceBytes)}{Cache(heads.Built)})";
        }

        return resident;
    }

    private static string Cache(bool built) => built ? ", quantized now" : ", from the cache";

    /// <summary>GiB with two decimals above 1 GiB, else MiB: the tiny test models weigh a few MiB.</summary>
    private static string Size(long bytes) => bytes >= 1L << 30
        ? string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):F2} GiB")
        : string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 20):F1} MiB");
}
