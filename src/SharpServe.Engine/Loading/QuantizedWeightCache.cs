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
/// <para>
/// <see cref="HeadTypes"/> (llama-quantize's --token-embedding-type / --output-tensor-type) uses the same machinery
/// with a <see cref="ConversionPlan"/> of just those tensors: its cache file holds only them.
/// </para>
/// </summary>
public static class QuantizedWeightCache
{
    /// <summary>Change this when the cache's layout or the quantizer changes: old files then no longer match.</summary>
    public const string FormatVersion = "sharpserve int8 q8_0 v1";

    /// <summary>The head types' cache files: the targets are appended, so each combination has its own file.</summary>
    private const string HeadFormatVersion = "sharpserve head types v1";

    public const string SourceIdentityKey = "sharpserve.quantization.source";

    /// <summary>
    /// Long enough for another instance to quantize a 7B checkpoint on a few cores (the 1.5B distill takes ≈ 25 s on 2);
    /// a holder that is killed releases the lock at once, so this bounds only a live builder that is stuck.
    /// </summary>
    public static readonly TimeSpan DefaultLockWait = TimeSpan.FromMinutes(10);

    /// <summary><c>quantized/</c> under the user cache (created if needed).</summary>
    public static string DefaultDirectory => UserCache.SubDirectory("quantized");

    /// <summary>The int8 cache file a checkpoint at <paramref name="checkpointPath"/> maps to, as it is now.</summary>
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
            var plan = Int8Plan(source);
            CheckConvertible(source, plan.Targets.Keys);
            var (cached, file, built) = MapOrBuild(source, plan, cacheDirectory, threads, lockWait, "int8");
            var sourceType = source.Tensors.Values.Where(t => plan.Targets.ContainsKey(t.Name))
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
        var plan = Int8Plan(source);
        return source.Tensors.Values.Sum(plan.BytesOf);
    }

    /// <summary>
    /// <paramref name="source"/> with its token embedding and/or lm_head re-encoded as llama-quantize's
    /// --token-embedding-type / --output-tensor-type ask (see <see cref="HeadTensorTypes"/>), mapped from a cache file
    /// that holds only those tensors (built first when missing or stale). Every other tensor stays the source's own,
    /// so the result keeps <paramref name="source"/> open and disposes it with itself; the source's f32/f16/bf16 head
    /// tensors are never read again, so their pages are never faulted in. Takes ownership of <paramref name="source"/>
    /// (disposed on failure too).
    /// </summary>
    /// <param name="tokenEmbeddingType">Null leaves the token embedding as stored.</param>
    /// <param name="outputTensorType">Null leaves lm_head as stored; on a tied checkpoint it converts the shared tensor.</param>
    /// <exception cref="ModelFormatException">
    /// A head tensor that is already quantized, rows that are not whole blocks of the type, or --token-embedding-type on
    /// a tied checkpoint.
    /// </exception>
    public static ModelCheckpoint HeadTypes(
        ModelCheckpoint source, TensorDType? tokenEmbeddingType, TensorDType? outputTensorType, string cacheDirectory, int threads, TimeSpan? lockWait = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threads);
        try
        {
            var plan = HeadPlan(source, tokenEmbeddingType, outputTensorType);
            var (cached, file, built) = MapOrBuild(source, plan, cacheDirectory, threads, lockWait, "head-type");
            var tensors = new Dictionary<string, WeightTensor>(source.Tensors, StringComparer.Ordinal);
            foreach (string name in plan.Targets.Keys)
            {
                tensors[name] = cached.Tensors[name];
            }

            long sourceBytes = plan.Targets.Keys.Sum(name => (long)source.Tensors[name].Data.Length);
            return new ModelCheckpoint(source.Path, source.Config, tensors, source.Names, source.Tokenizer, source.Generation, [cached, source])
            {
                HeadTypes = new HeadTypesReport(plan.Targets, sourceBytes, file, built),
            };
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }

    /// <summary>Bytes of <paramref name="source"/>'s tensors once the head types are applied: known before building the cache.</summary>
    /// <exception cref="ModelFormatException">As <see cref="HeadTypes"/>.</exception>
    public static long HeadTypesWeightBytes(ModelCheckpoint source, TensorDType? tokenEmbeddingType, TensorDType? outputTensorType)
    {
        ArgumentNullException.ThrowIfNull(source);
        var plan = HeadPlan(source, tokenEmbeddingType, outputTensorType);
        return source.Tensors.Values.Sum(plan.BytesOf);
    }

    private static ConversionPlan Int8Plan(ModelCheckpoint source) =>
        new(FormatVersion, MatrixNames(source).ToDictionary(name => name, _ => TensorDType.Q8_0, StringComparer.Ordinal), IncludesUnconverted: true);

    /// <summary>The head tensors to convert, each checked: a float source, a 2-D shape, rows of whole blocks.</summary>
    private static ConversionPlan HeadPlan(ModelCheckpoint source, TensorDType? tokenEmbeddingType, TensorDType? outputTensorType)
    {
        var names = source.Names;
        bool tied = source.Config.TieWordEmbeddings || !source.Tensors.ContainsKey(names.LmHead); // as Qwen2WeightBinder decides
        var targets = new Dictionary<string, TensorDType>(StringComparer.Ordinal);
        if (tokenEmbeddingType is { } embeddingType)
        {
            if (tied)
            {
                throw new ModelFormatException(source.Path,
                    $"{HeadTensorTypes.TokenEmbeddingFlag}: this checkpoint ties lm_head to {names.TokenEmbedding}, and as in llama-quantize the shared tensor "
                    + $"is the output: convert it with {HeadTensorTypes.OutputTensorFlag} {HeadTensorTypes.Name(embeddingType)} instead");
            }

            targets[Checked(source, names.TokenEmbedding, embeddingType, HeadTensorTypes.TokenEmbeddingFlag)] = embeddingType;
        }

        if (outputTensorType is { } outputType)
        {
            targets[Checked(source, tied ? names.TokenEmbedding : names.LmHead, outputType, HeadTensorTypes.OutputTensorFlag)] = outputType;
        }

        string version = HeadFormatVersion + ": " + string.Join(", ", targets.OrderBy(pair => pair.Key, StringComparer.Ordinal)
            .Select(pair => $"{pair.Key}={HeadTensorTypes.Name(pair.Value)}"));
        return new ConversionPlan(version, targets, IncludesUnconverted: false);
    }

    /// <summary><paramref name="name"/> when it can be stored as <paramref name="type"/>; else the error naming the tensor and the reason.</summary>
    private static string Checked(ModelCheckpoint source, string name, TensorDType type, string flag)
    {
        string asked = $"{flag} {HeadTensorTypes.Name(type)}";
        if (!source.Tensors.TryGetValue(name, out var tensor))
        {
            throw new ModelFormatException(source.Path, $"{asked}: the checkpoint has no tensor {name}");
        }

        if (tensor.Type is not (TensorDType.F32 or TensorDType.F16 or TensorDType.BF16))
        {
            throw new ModelFormatException(source.Path,
                $"{asked}: {name} is already quantized ({HeadTensorTypes.Name(tensor.Type)}); the flag converts f32, f16 and bf16 tensors only");
        }

        int block = TensorDTypeInfo.BlockSize(type);
        if (tensor.Shape.Length != 2 || tensor.Columns % block != 0)
        {
            throw new ModelFormatException(source.Path,
                $"{asked}: {HeadTensorTypes.Name(type)} stores rows in blocks of {block} values, but {tensor} has rows of {tensor.Columns}");
        }

        return name;
    }

    /// <summary>
    /// The cache file of <paramref name="plan"/> over <paramref name="source"/>, mapped: an existing valid one, else one
    /// this call builds under <see cref="CacheEntryLock"/> (or finds built by the instance that held it).
    /// </summary>
    private static (GgufFile Cached, string File, bool Built) MapOrBuild(
        ModelCheckpoint source, ConversionPlan plan, string cacheDirectory, int threads, TimeSpan? lockWait, string what)
    {
        string identity = WeightSourceIdentity.Describe(source.Path, plan.Version);
        Directory.CreateDirectory(cacheDirectory);
        string file = Path.Combine(cacheDirectory, WeightSourceIdentity.Key(identity) + ".gguf");
        GgufFile? cached = TryOpen(file, identity, source, plan);
        if (cached is not null)
        {
            return (cached, file, false);
        }

        using (CacheEntryLock.TryAcquire(file, lockWait ?? DefaultLockWait))
        {
            // Another instance may have built it while this one waited for the lock: then only map it.
            cached = TryOpen(file, identity, source, plan);
            if (cached is not null)
            {
                return (cached, file, false);
            }

            Build(source, file, identity, plan, threads);
            cached = TryOpen(file, identity, source, plan)
                ?? throw new ModelFormatException(file, $"the {what} cache file just written does not match its source (was it replaced meanwhile?)");
            return (cached, file, true);
        }
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

    private static void CheckConvertible(ModelCheckpoint source, IEnumerable<string> matrices)
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

    private static void Build(ModelCheckpoint source, string file, string identity, ConversionPlan plan, int threads)
    {
        var writer = new GgufWriter();
        writer.AddString(SourceIdentityKey, identity);
        foreach (var tensor in source.Tensors.Values)
        {
            if (plan.Targets.TryGetValue(tensor.Name, out var target))
            {
                writer.AddTensor(tensor.Name, target, tensor.Shape, stream => TensorConversion.Write(tensor, target, stream, threads));
            }
            else if (plan.IncludesUnconverted)
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

    /// <summary>The cache file if it parses and holds exactly the tensors <paramref name="plan"/> stores; else null.</summary>
    private static GgufFile? TryOpen(string file, string identity, ModelCheckpoint source, ConversionPlan plan)
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

        if (Matches(cached, identity, source, plan))
        {
            return cached;
        }

        cached.Dispose();
        return null;
    }

    private static bool Matches(GgufFile cached, string identity, ModelCheckpoint source, ConversionPlan plan)
    {
        var expected = plan.IncludesUnconverted ? source.Tensors.Values : plan.Targets.Keys.Select(name => source.Tensors[name]);
        if (!cached.Metadata.Entries.TryGetValue(SourceIdentityKey, out var value) || value.Value is not string stored || stored != identity
            || cached.Tensors.Count != expected.Count())
        {
            return false;
        }

        foreach (var tensor in expected)
        {
            var expectedType = plan.Targets.GetValueOrDefault(tensor.Name, tensor.Type);
            if (!cached.Tensors.TryGetValue(tensor.Name, out var copy) || copy.Type != expectedType || !copy.Shape.AsSpan().SequenceEqual(tensor.Shape))
            {
                return false;
            }
        }

        return true;
    }
}
