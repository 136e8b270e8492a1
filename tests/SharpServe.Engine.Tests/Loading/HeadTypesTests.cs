using SharpServe.Engine.Kernels;
using SharpServe.Engine.Loading;
using SharpServe.Engine.Memory;
using SharpServe.Engine.Models;
using SharpServe.Engine.Tests.TestSupport;
using Xunit.Abstractions;

namespace SharpServe.Engine.Tests.Loading;

/// <summary>llama-quantize's --token-embedding-type / --output-tensor-type at load: the head tensors re-encoded, cached on disk and mapped.</summary>
public sealed class HeadTypesTests(ITestOutputHelper output)
{
    /// <summary>(model, --token-embedding-type, --output-tensor-type): AWQ (f16 heads, untied), a bf16 and an f16 GGUF, and a tied bf16 GGUF.</summary>
    public static TheoryData<string, TensorDType?, TensorDType?> Conversions => new()
    {
        { "awq", TensorDType.Q4_K, TensorDType.Q6_K },
        { "kquant-bf16", TensorDType.Q4_0, TensorDType.Q8_0 },
        { "kquant-f16", null, TensorDType.Q4_K },
        { "kquant-f16", TensorDType.Q6_K, null },
        { "wide-tied-bf16", null, TensorDType.Q4_K },
    };

    [Theory]
    [MemberData(nameof(Conversions))]
    public void HeadTensors_AreTheEncodingOfTheSourceRows_ByteForByte_AndEveryOtherTensorIsTheSources(string model, TensorDType? embedding, TensorDType? head)
    {
        using var cache = new TempDirectory();
        string path = Model(model);
        using var source = ModelLoader.Load(path);
        using var converted = ModelLoader.Load(path, Options(cache, embedding, head), threads: 2);

        var names = source.Names;
        bool tied = !source.Tensors.ContainsKey(names.LmHead);
        var expectedTargets = new Dictionary<string, TensorDType>();
        if (embedding is { } e)
        {
            expectedTargets[names.TokenEmbedding] = e;
        }

        if (head is { } h)
        {
            expectedTargets[tied ? names.TokenEmbedding : names.LmHead] = h;
        }

        Assert.Equal(expectedTargets.OrderBy(p => p.Key), converted.HeadTypes!.Converted.OrderBy(p => p.Key));
        Assert.Equal(source.Tensors.Keys.Order(), converted.Tensors.Keys.Order());
        foreach (var tensor in source.Tensors.Values)
        {
            var now = converted.Tensors[tensor.Name];
            Assert.Equal(tensor.Shape, now.Shape);
            if (expectedTargets.TryGetValue(tensor.Name, out var target))
            {
                var expected = new byte[TensorDTypeInfo.ByteSize(target, tensor.ElementCount)];
                WeightCodec.Encode(target, WeightCodec.ToFloat(tensor), expected);
                Assert.Equal(target, now.Type);
                Assert.True(expected.AsSpan().SequenceEqual(now.Data.Span), $"{tensor.Name} differs from its {target} encoding");
            }
            else
            {
                Assert.Equal(tensor.Type, now.Type);
                Assert.True(tensor.Data.Span.SequenceEqual(now.Data.Span), $"{tensor.Name} is not the source's");
            }
        }

        // The cache file holds the converted tensors only: the rest (AWQ's repacked layers among them) stays the source's.
        using var file = GgufReader.Open(converted.HeadTypes.CacheFile);
        Assert.Equal(expectedTargets.Keys.Order(), file.Tensors.Keys.Order());
    }

    [Fact]
    public void SecondLoad_MapsTheCacheFile_WithoutConvertingAgain_AndOtherTypesGetTheirOwnFile()
    {
        using var cache = new TempDirectory();
        string model = TestModels.AwqShapeHf(TensorDType.Awq4);
        HeadTypesReport first, second, other;
        using (var checkpoint = ModelLoader.Load(model, Options(cache, TensorDType.Q4_K, TensorDType.Q6_K), threads: 2))
        {
            first = checkpoint.HeadTypes!;
        }

        DateTime written = File.GetLastWriteTimeUtc(first.CacheFile);
        using (var checkpoint = ModelLoader.Load(model, Options(cache, TensorDType.Q4_K, TensorDType.Q6_K), threads: 2))
        {
            second = checkpoint.HeadTypes!;
        }

        using (var checkpoint = ModelLoader.Load(model, Options(cache, TensorDType.Q4_K, TensorDType.Q8_0), threads: 2))
        {
            other = checkpoint.HeadTypes!;
        }

        Assert.True(first.Built);
        Assert.False(second.Built);
        Assert.Equal(first.CacheFile, second.CacheFile);
        Assert.Equal(written, File.GetLastWriteTimeUtc(second.CacheFile));
        Assert.True(other.Built);
        Assert.NotEqual(first.CacheFile, other.CacheFile);
        string[] expected = [first.CacheFile, CacheEntryLock.PathFor(first.CacheFile), other.CacheFile, CacheEntryLock.PathFor(other.CacheFile)];
        Assert.Equal(expected.Order(), Directory.GetFiles(cache.Path).Order()); // no temporary file left behind
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("garbage header")]
    [InlineData("a tensor of the wrong type")]
    public void DamagedCacheFile_IsDetectedAndRebuilt(string damage)
    {
        using var cache = new TempDirectory();
        string model = TestModels.Gguf("kquant", TensorDType.BF16);
        var options = Options(cache, TensorDType.Q4_K, TensorDType.Q6_K);
        string file;
        using (var checkpoint = ModelLoader.Load(model, options, threads: 2))
        {
            file = checkpoint.HeadTypes!.CacheFile;
        }

        byte[] good = File.ReadAllBytes(file);
        if (!CacheFileDamage.TryApply(file, good, damage))
        {
            // Same identity and names, but output.weight stored as Q8_0: only the per-tensor check can tell.
            string relabelled = file + ".relabelled";
            using (var cached = GgufReader.Open(file))
            {
                string identity = (string)cached.Metadata.Entries[QuantizedWeightCache.SourceIdentityKey].Value!;
                var writer = new GgufWriter();
                writer.AddString(QuantizedWeightCache.SourceIdentityKey, identity);
                foreach (var tensor in cached.Tensors.Values)
                {
                    var type = tensor.Name == "output.weight" ? TensorDType.Q8_0 : tensor.Type;
                    writer.AddTensor(tensor.Name, type, tensor.Shape, stream => stream.Write(new byte[TensorDTypeInfo.ByteSize(type, tensor.ElementCount)]));
                }

                writer.Write(relabelled);
            }

            File.Move(relabelled, file, overwrite: true);
        }

        using var rebuilt = ModelLoader.Load(model, options, threads: 2);
        Assert.True(rebuilt.HeadTypes!.Built);
        Assert.Equal(file, rebuilt.HeadTypes.CacheFile);
        Assert.Equal(good, File.ReadAllBytes(file));
    }

    /// <summary>
    /// AWQ's f16 embedding and lm_head as llama.cpp's Q4_K_M stores them (Q4_K, Q6_K): resident bytes fall by exactly the
    /// difference of the two encodings, and the fleet's estimate before loading (HeadTypesWeightBytes) is the same number.
    /// </summary>
    [Fact]
    public void ResidentWeightBytes_ShrinkByExactlyTheHeadTensorsSavings()
    {
        using var cache = new TempDirectory();
        string model = TestModels.AwqShapeHf(TensorDType.Awq4);
        using var f16Heads = LoadedModel.Open(model, threads: 1);
        using var quantizedHeads = LoadedModel.Open(model, Options(cache, TensorDType.Q4_K, TensorDType.Q6_K), threads: 1);

        var c = TestModels.AwqShape;
        long values = (long)c.VocabSize * c.HiddenSize;
        Assert.Equal(TensorDType.F16, f16Heads.Checkpoint.Tensors[WeightNames.HuggingFace.LmHead].Type);
        long saved = (2 * 2 * values) - TensorDTypeInfo.ByteSize(TensorDType.Q4_K, values) - TensorDTypeInfo.ByteSize(TensorDType.Q6_K, values);
        output.WriteLine($"resident: f16 heads {f16Heads.ResidentWeightBytes} B, q4_k/q6_k heads {quantizedHeads.ResidentWeightBytes} B");
        Assert.Equal(f16Heads.ResidentWeightBytes - saved, quantizedHeads.ResidentWeightBytes);

        using var source = ModelLoader.Load(model);
        Assert.Equal(ModelMemory.WeightBytes(quantizedHeads.Checkpoint), QuantizedWeightCache.HeadTypesWeightBytes(source, TensorDType.Q4_K, TensorDType.Q6_K));
    }

    [Fact]
    public void AQuantizedHeadTensor_IsRefused_NamingIt_AndNothingIsWritten()
    {
        using var cache = new TempDirectory();
        var error = Assert.Throws<ModelFormatException>(() => ModelLoader.Load(TestModels.Gguf("kquant", TensorDType.Q8_0), Options(cache, null, TensorDType.Q4_0), threads: 1));
        Assert.Contains("--output-tensor-type q4_0: output.weight is already quantized (q8_0)", error.Message);
        Assert.Empty(Directory.GetFileSystemEntries(cache.Path));
    }

    [Fact]
    public void KQuantRowsThatAreNotWholeBlocks_AreRefused_NamingTheTensor()
    {
        using var cache = new TempDirectory();
        // The odd shape's rows are 96 values: whole Q8_0 blocks, not 256-value K-quant blocks.
        var error = Assert.Throws<ModelFormatException>(() => ModelLoader.Load(TestModels.OddGguf(TensorDType.F32), Options(cache, TensorDType.Q4_K, null), threads: 1));
        Assert.Contains("--token-embedding-type q4_k: q4_k stores rows in blocks of 256 values, but token_embd.weight", error.Message);
        Assert.Contains("rows of 96", error.Message);
        Assert.Empty(Directory.GetFileSystemEntries(cache.Path));
    }

    [Fact]
    public void TokenEmbeddingType_OnATiedCheckpoint_IsRefused_PointingAtOutputTensorType()
    {
        using var cache = new TempDirectory();
        var error = Assert.Throws<ModelFormatException>(() => ModelLoader.Load(TestModels.WideHeadGguf(TensorDType.BF16), Options(cache, TensorDType.Q4_K, null), threads: 1));
        Assert.Contains("ties lm_head to token_embd.weight", error.Message);
        Assert.Contains("--output-tensor-type q4_k", error.Message);
    }

    [Fact]
    public void HeadTypes_WithInt8_AreRefused_BeforeLoading()
    {
        var options = new ModelLoadOptions(WeightQuantization.Int8, TokenEmbeddingType: null, OutputTensorType: TensorDType.Q6_K);
        var error = Assert.Throws<ArgumentException>(() => ModelLoader.Load("/no/such/model", options, threads: 1));
        Assert.Contains("--output-tensor-type cannot be combined with --quantization int8", error.Message);
    }

    private static string Model(string name) => name switch
    {
        "awq" => TestModels.AwqShapeHf(TensorDType.Awq4),
        "kquant-bf16" => TestModels.Gguf("kquant", TensorDType.BF16),
        "kquant-f16" => TestModels.Gguf("kquant", TensorDType.F16),
        "wide-tied-bf16" => TestModels.WideHeadGguf(TensorDType.BF16),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    private static ModelLoadOptions Options(TempDirectory cache, TensorDType? embedding, TensorDType? head) =>
        new(WeightQuantization.None, cache.Path, embedding, head);
}
