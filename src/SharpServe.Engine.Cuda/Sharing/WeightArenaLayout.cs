using System.Runtime.InteropServices;
using SharpServe.Engine.Loading;
using SharpServe.Engine.Models;

namespace SharpServe.Engine.Cuda.Sharing;

/// <summary>Matrices are stored bytes in their checkpoint dtype; vectors (norms, biases) are f32, as the backend reads them.</summary>
public enum WeightArenaKind
{
    Matrix,
    Vector,
}

/// <summary>One weight's place in the arena: <paramref name="Bytes"/> bytes at <paramref name="Offset"/>, a multiple of <see cref="WeightArenaLayout.Alignment"/>.</summary>
public sealed record WeightArenaEntry(string Name, WeightArenaKind Kind, string DType, long Offset, long Bytes);

/// <summary>
/// Where each of a bound model's device weights sits in one allocation: every matrix's stored bytes and every norm and bias
/// as f32, in the order the model binds them (token embedding; per layer attn_norm, q, q_bias, k, k_bias, v, v_bias, o,
/// ffn_norm, gate, up, down; final_norm; lm_head unless it is the embedding itself). The order and names depend only on the
/// config and dtypes, so a process that loads the same model computes the same layout and can check it against a manifest.
/// Offsets are 256-byte aligned: cudaMalloc's own alignment, and more than any kernel's widest load.
/// </summary>
public sealed class WeightArenaLayout
{
    public const int Alignment = 256;

    private readonly Dictionary<object, WeightArenaEntry> _byHost = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<WeightArenaEntry, object> _hostOf = new(ReferenceEqualityComparer.Instance);

    private WeightArenaLayout(List<WeightArenaEntry> entries, List<object> hosts, long totalBytes)
    {
        Entries = entries;
        TotalBytes = totalBytes;
        for (int i = 0; i < entries.Count; i++)
        {
            _byHost[hosts[i]] = entries[i];
            _hostOf[entries[i]] = hosts[i];
        }
    }

    public IReadOnlyList<WeightArenaEntry> Entries { get; }

    /// <summary>The allocation's size: the last entry's end, rounded up to <see cref="Alignment"/> (at least one alignment unit).</summary>
    public long TotalBytes { get; }

    public static WeightArenaLayout Of(Qwen2Weights weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var builder = new Builder();
        builder.Add("token_embedding", weights.TokenEmbedding);
        for (int i = 0; i < weights.Layers.Count; i++)
        {
            var layer = weights.Layers[i];
            string prefix = $"layers.{i}.";
            builder.Add(prefix + "attn_norm", layer.AttnNorm);
            builder.Add(prefix + "q", layer.Q);
            builder.Add(prefix + "q_bias", layer.QBias);
            builder.Add(prefix + "k", layer.K);
            builder.Add(prefix + "k_bias", layer.KBias);
            builder.Add(prefix + "v", layer.V);
            builder.Add(prefix + "v_bias", layer.VBias);
            builder.Add(prefix + "o", layer.O);
            builder.Add(prefix + "ffn_norm", layer.FfnNorm);
            builder.Add(prefix + "gate", layer.Gate);
            builder.Add(prefix + "up", layer.Up);
            builder.Add(prefix + "down", layer.Down);
        }

        builder.Add("final_norm", weights.FinalNorm);
        builder.Add("lm_head", weights.LmHead);
        return builder.Build();
    }

    /// <summary>The entry of <paramref name="host"/> (a <see cref="WeightTensor"/> or a norm/bias <c>float[]</c> of the bound model).</summary>
    public WeightArenaEntry Find(object host) => _byHost.TryGetValue(host, out var entry)
        ? entry
        : throw new InvalidOperationException($"{Describe(host)} is not one of the bound model's weights, so it has no place in the shared weight arena");

    /// <summary>The bytes the device holds for <paramref name="entry"/>: a matrix's stored bytes, or a vector's f32 values.</summary>
    public ReadOnlySpan<byte> HostBytes(WeightArenaEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        object host = _hostOf.TryGetValue(entry, out var found) ? found : throw new ArgumentException($"{entry.Name} is not an entry of this layout", nameof(entry));
        return host switch
        {
            WeightTensor tensor => tensor.Data.Span,
            float[] values => MemoryMarshal.AsBytes(values.AsSpan()),
            var other => throw new InvalidOperationException($"unexpected host weight {other.GetType().Name}"),
        };
    }

    private static string Describe(object host) => host switch
    {
        WeightTensor tensor => tensor.ToString(),
        float[] values => $"a vector of {values.Length} values",
        _ => host.GetType().Name,
    };

    private static long AlignUp(long bytes) => (bytes + Alignment - 1) / Alignment * Alignment;

    private sealed class Builder
    {
        private readonly List<WeightArenaEntry> _entries = [];
        private readonly List<object> _hosts = [];
        private readonly HashSet<object> _seen = new(ReferenceEqualityComparer.Instance);
        private long _end;

        public void Add(string name, WeightTensor tensor) => Add(name, tensor, WeightArenaKind.Matrix, tensor.Type.ToString(), tensor.Data.Length);

        public void Add(string name, float[] values) => Add(name, values, WeightArenaKind.Vector, nameof(TensorDType.F32), (long)values.Length * sizeof(float));

        public WeightArenaLayout Build() => new(_entries, _hosts, Math.Max(AlignUp(_end), Alignment));

        // A tied lm_head is the embedding object: it keeps the embedding's one entry.
        private void Add(string name, object host, WeightArenaKind kind, string dtype, long bytes)
        {
            if (!_seen.Add(host))
            {
                return;
            }

            long offset = AlignUp(_end);
            _entries.Add(new WeightArenaEntry(name, kind, dtype, offset, bytes));
            _hosts.Add(host);
            _end = offset + bytes;
        }
    }
}
