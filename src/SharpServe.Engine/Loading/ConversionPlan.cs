namespace SharpServe.Engine.Loading;

/// <summary>
/// What a <see cref="QuantizedWeightCache"/> file holds: which source tensors are re-encoded to which ggml type, and
/// whether the source's other tensors are copied in too (int8 replaces the whole checkpoint, so it copies them; the
/// head types convert two tensors of a checkpoint whose other tensors stay where they are, e.g. AWQ layers that
/// AwqRepacker repacked in memory and no GGUF can hold).
/// </summary>
/// <param name="Version">Part of the cache identity: changing the layout, the quantizer or the targets gives another file.</param>
/// <param name="Targets">Source tensor name → the type it is stored as in the cache.</param>
internal sealed record ConversionPlan(string Version, IReadOnlyDictionary<string, TensorDType> Targets, bool IncludesUnconverted)
{
    /// <summary>The bytes of <paramref name="tensor"/> once the plan is applied (as stored when it is not a target).</summary>
    public long BytesOf(WeightTensor tensor) =>
        Targets.TryGetValue(tensor.Name, out var target) ? TensorDTypeInfo.ByteSize(target, tensor.ElementCount) : tensor.Data.Length;
}
