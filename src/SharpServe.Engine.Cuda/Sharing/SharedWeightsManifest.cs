using System.Globalization;

namespace SharpServe.Engine.Cuda.Sharing;

/// <summary>
/// What a process holding a model's weight arena publishes so instances on the same card can map it instead of uploading
/// their own copy: the card (UUID), the model (path and <see cref="Loading.WeightSourceIdentity"/>: each weight file's
/// resolved path, size and mtime; hashing gigabytes at every start would cost more than the upload it saves, and the entry
/// list below catches a different dtype or shape), the arena's size, its 64-byte IPC handle and its entries.
/// </summary>
public sealed record SharedWeightsManifest
{
    public const int CurrentVersion = 1;

    public required int Version { get; init; }

    /// <summary>The holder's card, as <c>nvidia-smi -L</c> names it (GPU-…).</summary>
    public required string Card { get; init; }

    /// <summary>The model path the holder loaded, for messages.</summary>
    public required string Model { get; init; }

    public required string ModelIdentity { get; init; }

    /// <summary>The holding process, for messages when the handle no longer opens.</summary>
    public required int HolderPid { get; init; }

    public required long TotalBytes { get; init; }

    /// <summary>The CUDA IPC handle of the arena's allocation: <see cref="HandleSize"/> opaque bytes.</summary>
    public required byte[] Handle { get; init; }

    public required IReadOnlyList<WeightArenaEntry> Entries { get; init; }

    public static int HandleSize => Native.CudaIpcApi.HandleSize;

    /// <summary>
    /// Throws <see cref="SharedWeightsException"/> unless this manifest's arena is usable by a process on card
    /// <paramref name="card"/> that loaded a model of identity <paramref name="modelIdentity"/> and laid its weights out as
    /// <paramref name="layout"/>; the message names the first difference.
    /// </summary>
    public void CheckMatches(string card, string modelIdentity, WeightArenaLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        if (card != Card)
        {
            throw new SharedWeightsException($"the weights are held on card {Card}, but this instance runs on {card}: CUDA IPC shares memory within one card (check CUDA_VISIBLE_DEVICES)");
        }

        if (modelIdentity != ModelIdentity)
        {
            throw new SharedWeightsException($"the model changed since the weights were uploaded from {Model}: {FirstDifference(ModelIdentity, modelIdentity)}; restart the fleet to upload them again");
        }

        if (layout.Entries.Count != Entries.Count || layout.TotalBytes != TotalBytes)
        {
            throw new SharedWeightsException(Invariant(
                $"the shared arena has {Entries.Count} weights in {TotalBytes} bytes, this model binds {layout.Entries.Count} in {layout.TotalBytes}: not the same model or load options"));
        }

        for (int i = 0; i < Entries.Count; i++)
        {
            if (Entries[i] != layout.Entries[i])
            {
                throw new SharedWeightsException($"weight {i} differs: the shared arena has {Describe(Entries[i])}, this model binds {Describe(layout.Entries[i])}");
            }
        }
    }

    private static string Describe(WeightArenaEntry entry) =>
        Invariant($"{entry.Name} ({entry.Kind.ToString().ToLowerInvariant()} {entry.DType}, {entry.Bytes} bytes at {entry.Offset})");

    private static string FirstDifference(string held, string here)
    {
        string[] heldLines = held.Split('\n');
        string[] hereLines = here.Split('\n');
        for (int i = 0; i < Math.Max(heldLines.Length, hereLines.Length); i++)
        {
            string a = i < heldLines.Length ? heldLines[i] : "(nothing)";
            string b = i < hereLines.Length ? hereLines[i] : "(nothing)";
            if (a != b)
            {
                return $"the holder saw '{a}', this instance sees '{b}'";
            }
        }

        return "the identities differ";
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
