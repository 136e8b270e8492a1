namespace SharpServe.Engine.Loading;

/// <summary>
/// <c>--quantization int8</c>: the matrices of a BF16/F16/F32 checkpoint re-encoded as ggml Q8_0 (blocks of 32
/// int8 values with one f16 scale, 34 bytes: 53 % of BF16), so the existing Q8_0 kernels — tuned, and bit-exact
/// against llama.cpp — run them unchanged; per-channel scales would have needed new kernels and a new oracle. The
/// embedding table is quantized too, as llama.cpp's Q8_0 files do: it is only gathered (one row per token), so
/// its precision costs nothing per step, it is lm_head itself when tied, and it is a quarter of the 1.5B model's
/// bytes. Norms and biases stay as stored.
/// <para>
/// The result is a GGUF file in the user cache named after the source's identity (resolved path, size and mtime
/// of each weight file, plus <see cref="FormatVersion"/>), written under a unique temporary name and renamed into
/// place, so an instance never maps half a file; then mapped read-only, so the next start and every other
/// instance share its pages. A cache file that does not parse or does not match the source is rebuilt. Instances
/// that find no valid file take <see cref="CacheEntryLock"/> first, so on a cold cache one quantizes and the rest
/// wait for it and map its file.
/// </para>
/// </summary>
public static class QuantizedWeightCache
{
    /// <summary>Change this when the cache's layout or the quantizer changes: old files then no longer match.</summary>
    public const string FormatVersion = "sharpserve int8 q8_0 v1";

    public const string SourceIdentityKey = "sharpserve.quantization.source";

    /// <summary>
    /// Long enough for another instance to quantize a 7B checkpoint on a few cores (the 1.5B distill takes ≈ 25 s on 2);
    /// a holder that is killed releases the lock at once, so this bounds only a live builder that is stuck.
    /// </summary>
    public static readonly TimeSpan DefaultLockWait = TimeSpan.FromMinutes(10);

    /// <summary><c>quantized/</c> under the user cache (created if needed).</summary>
    public static string DefaultDirectory => UserCache.SubDirectory("quantized");

    /// <summary>The cache file a checkpoint at <paramref name="checkpointPath"/> maps to, as it is now.</summary>
    public static string CacheFile(string checkpointPath, string cacheDirectory) =>
        Path.Combine(cacheDirectory, WeightSourceIdentity.Key(WeightSourceIdentity.Describe(checkpointPath, FormatVersion)) + ".gguf");

    /// <summary>
    /// The int8 checkpoint of <paramref name="source"/>, mapped from the cache (built first when missing or stale).
    /// Takes ownership of <paramref name="source"/> and disposes it: the result needs none of its pages.
    /// </summary>
    /// <param name="lockWait">
    /// How long to wait for an instance that is building the same cache file (see <see cref="CacheEntryLock"/>) before
    /// building a copy anyway; null means <see cref="DefaultLockWait"/>.
    /// </param>
    /// <exception cref="ModelFormatException">The source is already quantized, or its rows are not whole blocks of 32.</exception>
    public static ModelCheckpoint Int8(ModelCheckpoint source, string cacheDirectory, int threads, TimeSpan? lockWait = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threads);
        using (source)
        {
            var matrices = MatrixNames(source);
            CheckConvertible(source, matrices);
            string identity = WeightSourceIdentity.Describe(source.Path, FormatVersion);
            Directory.CreateDirectory(cacheDirectory);
            string file = Path.Combine(cacheDirectory, WeightSourceIdentity.Key(identity) + ".gguf");
            bool built = false;
            GgufFile? cached = TryOpen(file, identity, source, matrices);
            if (cached is null)
            {
                using (CacheEntryLock.TryAcquire(file, lockWait ?? DefaultLockWait))
                {
                    // Another instance may have built it while this one waited for the lock: then only map it.
                    cached = TryOpen(file, identity, source, matrices);
                    if (cached is null)
                    {
                        Build(source, file, identity, matrices, threads);
                        built = true;
                        cached = TryOpen(file, identity, source, matrices)
                            ?? throw new ModelFormatException(file, "the int8 cache file just written does not match its source (was it replaced meanwhile?)");
                    }
                }
            }

            var sourceType = source.Tensors.Values.Where(t => matrices.Contains(t.Name))
                .GroupBy(t => t.Type).MaxBy(group => group.Sum(t => (long)t.Data.Length))!.Key;
            var report = new QuantizationReport(
                WeightQuantization.Int8, sourceType, source.Tensors.Values.Sum(t => (long)t.Data.Length), file, built);
            return new ModelCheckpoint(source.Path, source.Config, cached.Tensors, source.Names, source.Tokenizer, source.Generation, [cached])
            {
                Quantization = report,
            };
        }
    }

    /// <summary>
    /// Bytes of <paramref name="source"/>'s tensors once its matrices are Q8_0: what an int8 load keeps resident,
    /// known before building the cache (a fleet plans its instances' memory with it).
    /// </summary>
    public static long Int8WeightBytes(ModelCheckpoint source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var matrices = MatrixNames(source);
        return source.Tensors.Values.Sum(t => matrices.Contains(t.Name) ? TensorDTypeInfo.ByteSize(TensorDType.Q8_0, t.ElementCount) : (long)t.Data.Length);
    }

    /// <summary>The tensors the kernels multiply by (or gather from): every 2-D weight of the architecture.</summary>
    private static HashSet<string> MatrixNames(ModelCheckpoint source)
    {
        var names = source.Names;
        var matrices = new HashSet<string>(StringComparer.Ordinal) { names.TokenEmbedding, names.LmHead };
        LayerTensor[] projections =
        [
            LayerTensor.QWeight, LayerTensor.KWeight, LayerTensor.VWeight, LayerTensor.OWeight,
            LayerTensor.GateWeight, LayerTensor.UpWeight, LayerTensor.DownWeight,
        ];
        for (int layer = 0; layer < source.Config.NumHiddenLayers; layer++)
        {
            foreach (var projection in projections)
            {
                matrices.Add(names.Layer(layer, projection));
            }
        }

        matrices.IntersectWith(source.Tensors.Keys); // lm_head is absent when tied; a missing layer is the binder's error
        return matrices;
    }

    private static void CheckConvertible(ModelCheckpoint source, HashSet<string> matrices)
    {
        if (source.Tensors.Values.FirstOrDefault(t => TensorDTypeInfo.IsQuantized(t.Type)) is { } quantized)
        {
            throw new ModelFormatException(source.Path,
                $"--quantization int8 converts bf16, f16 and f32 weights, but this checkpoint is already quantized ({quantized.Name} is {quantized.Type.ToString().ToLowerInvariant()}); "
                + "serve it without --quantization int8");
        }

        foreach (string name in matrices)
        {
            var tensor = source.Tensors[name];
            if (tensor.Shape.Length != 2 || tensor.Columns % TensorDTypeInfo.Q8_0BlockSize != 0)
            {
                throw new ModelFormatException(source.Path,
                    $"--quantization int8 stores rows in blocks of {TensorDTypeInfo.Q8_0BlockSize} values, but {tensor} has rows of {tensor.Columns}");
            }
        }
    }

    private static void Build(ModelCheckpoint source, string file, string identity, HashSet<string> matrices, int threads)
    {
        var writer = new GgufWriter();
        writer.AddString(SourceIdentityKey, identity);
        foreach (var tensor in source.Tensors.Values)
        {
            if (matrices.Contains(tensor.Name))
            {
                writer.AddTensor(tensor.Name, TensorDType.Q8_0, tensor.Shape, stream => Q8_0Conversion.Write(tensor, stream, threads));
            }
            else
            {
                writer.AddTensor(tensor.Name, tensor.Type, tensor.Shape, stream => stream.Write(tensor.Data.Span));
            }
        }

        // A name of our own: an instance that gave up waiting for the lock may build at the same time as its holder.
        // The rename is atomic; an instance that mapped an earlier copy keeps its pages until it exits.
        string temporary = $"{file}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            writer.Write(temporary);
            File.Move(temporary, file, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>The cache file if it parses and holds exactly the source's tensors as int8 would store them; else null.</summary>
    private static GgufFile? TryOpen(string file, string identity, ModelCheckpoint source, HashSet<string> matrices)
    {
        if (!File.Exists(file))
        {
            return null;
        }

        GgufFile cached;
        try
        {
            cached = GgufReader.Open(file);
        }
        catch (ModelFormatException)
        {
            return null; // truncated or damaged: rebuilt over it
        }

        if (Matches(cached, identity, source, matrices))
        {
            return cached;
        }

        cached.Dispose();
        return null;
    }

    private static bool Matches(GgufFile cached, string identity, ModelCheckpoint source, HashSet<string> matrices)
    {
        if (!cached.Metadata.Entries.TryGetValue(SourceIdentityKey, out var value) || value.Value is not string stored || stored != identity
            || cached.Tensors.Count != source.Tensors.Count)
        {
            return false;
        }

        foreach (var tensor in source.Tensors.Values)
        {
            var expectedType = matrices.Contains(tensor.Name) ? TensorDType.Q8_0 : tensor.Type;
            if (!cached.Tensors.TryGetValue(tensor.Name, out var copy) || copy.Type != expectedType || !copy.Shape.AsSpan().SequenceEqual(tensor.Shape))
            {
                return false;
            }
        }

        return true;
    }
}
