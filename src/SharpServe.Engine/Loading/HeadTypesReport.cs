namespace SharpServe.Engine.Loading;

/// <summary>Which head tensors were converted at load (<see cref="HeadTensorTypes"/>), what from, and whether the cache had them.</summary>
/// <param name="Converted">Tensor name (the checkpoint's own) → the type it is now.</param>
/// <param name="SourceBytes">Bytes of those tensors as stored in the source.</param>
/// <param name="CacheFile">The GGUF the converted tensors are mapped from.</param>
/// <param name="Built">True when this load converted them (no valid cache file); false when it only mapped the cache.</param>
public sealed record HeadTypesReport(IReadOnlyDictionary<string, TensorDType> Converted, long SourceBytes, string CacheFile, bool Built);
