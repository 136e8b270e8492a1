using SharpServe.Engine.Creation;
using SharpServe.Engine.Kernels;
using SharpServe.Engine.Loading;
using SharpServe.Engine.Models;
using SharpServe.Engine.Tests.TestSupport;
using Xunit.Abstractions;
using static SharpServe.Engine.Tests.TestSupport.EngineHarness;

namespace SharpServe.Engine.Tests.Loading;

/// <summary><c>--quantization int8</c>: Q8_0 matrices quantized at load, cached on disk and mapped.</summary>
public sealed class Int8QuantizationTests(ITestOutputHelper output)
{
    private static readonly int[] Prompt = RandomPrompt(24, seed: 5);

    [Theory]
    [InlineData(TensorDType.F32)]
    [InlineData(TensorDType.BF16)]
    [InlineData(TensorDType.F16)]
    public void Matrices_AreTheQ8_0EncodingOfTheSource_ByteForByte_AndTheRestIsCopied(TensorDType type)
    {
        using var cache = new TempDirectory();
        using var source = ModelLoader.Load(TestModels.TinyHf(type));
        using var int8 = ModelLoader.Load(TestModels.TinyHf(type), Int8(cache), threads: 2);

        Assert.Equal(source.Tensors.Keys.Order(), int8.Tensors.Keys.Order());
        int matrices = 0;
        foreach (var tensor in source.Tensors.Values)
        {
            var converted = int8.Tensors[tensor.Name];
            Assert.Equal(tensor.Shape, converted.Shape);
            if (tensor.Shape.Length == 2)
            {
                var expected = new byte[TensorDTypeInfo.ByteSize(TensorDType.Q8_0, tensor.ElementCount)];
                WeightCodec.Encode(TensorDType.Q8_0, WeightCodec.ToFloat(tensor), expected);
                Assert.Equal(TensorDType.Q8_0, converted.Type);
                Assert.True(expected.AsSpan().SequenceEqual(converted.Data.Span), $"{tensor.Name} differs from its Q8_0 encoding");
                matrices++;
            }
            else
            {
                Assert.Equal(tensor.Type, converted.Type);
                Assert.True(tensor.Data.Span.SequenceEqual(converted.Data.Span), $"{tensor.Name} was not copied as stored");
            }
        }

        Assert.Equal((7 * ModelPresets.Tiny.NumHiddenLayers) + 1, matrices); // tied: the embedding is lm_head
        Assert.Equal(type, int8.Quantization!.SourceType);
    }

    /// <summary>Same bytes as create-model's Q8_0 GGUF, same kernels: identical logits, which ties int8 to the Q8_0 llama.cpp oracle.</summary>
    [Theory]
    [InlineData("tiny-hf")]
    [InlineData("odd-gguf")]
    public void LogitsOfAnF32SourceQuantizedAtLoad_EqualThoseOfTheQ8_0GgufOfTheSameModel(string which)
    {
        using var cache = new TempDirectory();
        (string f32, string q8) = which == "tiny-hf"
            ? (TestModels.TinyHf(TensorDType.F32), TestModels.TinyGguf(TensorDType.Q8_0))
            : (TestModels.OddGguf(TensorDType.F32), TestModels.OddGguf(TensorDType.Q8_0));
        using var atLoad = LoadedModel.Open(f32, Int8(cache), threads: 2);
        using var written = LoadedModel.Open(q8, threads: 2);
        float diff = MaxAbsDiff(PromptLogits(atLoad, Prompt, 7), PromptLogits(written, Prompt, 7));
        output.WriteLine($"{which}: int8 at load vs create-model q8_0: max |Δlogit| = {diff}");
        Assert.Equal(0f, diff);
    }

    [Fact]
    public void SecondLoad_MapsTheCacheFile_WithoutQuantizingAgain()
    {
        using var cache = new TempDirectory();
        string model = TestModels.TinyHf(TensorDType.BF16);
        QuantizationReport first, second;
        using (var checkpoint = ModelLoader.Load(model, Int8(cache), threads: 2))
        {
            first = checkpoint.Quantization!;
        }

        DateTime written = File.GetLastWriteTimeUtc(first.CacheFile);
        using (var checkpoint = ModelLoader.Load(model, Int8(cache), threads: 2))
        {
            second = checkpoint.Quantization!;
        }

        Assert.True(first.Built);
        Assert.False(second.Built);
        Assert.Equal(first.CacheFile, second.CacheFile);
        Assert.Equal(written, File.GetLastWriteTimeUtc(second.CacheFile));
        Assert.Equal([first.CacheFile, CacheEntryLock.PathFor(first.CacheFile)], Directory.GetFiles(cache.Path).Order()); // no temporary file left behind
    }

    [Fact]
    public void ChangedSource_IsQuantizedAgain_IntoAnotherCacheFile()
    {
        using var cache = new TempDirectory();
        using var models = new TempDirectory();
        string model = Path.Combine(models.Path, "m");
        RandomModelWriter.Write(new RandomModelSpec(ModelPresets.Tiny, ModelFileFormat.Hf, TensorDType.BF16, Seed: 1, Tokenizer: null), model);
        string before;
        float[][] logitsBefore;
        using (var loaded = LoadedModel.Open(model, Int8(cache), threads: 2))
        {
            before = loaded.Checkpoint.Quantization!.CacheFile;
            logitsBefore = PromptLogits(loaded, Prompt, 24);
        }

        // Other weights in the same place: a new size or mtime is a new source.
        RandomModelWriter.Write(new RandomModelSpec(ModelPresets.Tiny, ModelFileFormat.Hf, TensorDType.BF16, Seed: 2, Tokenizer: null), model);
        File.SetLastWriteTimeUtc(Path.Combine(model, SafetensorsWeights.SingleFileName), DateTime.UtcNow.AddMinutes(1));
        using var after = LoadedModel.Open(model, Int8(cache), threads: 2);
        Assert.True(after.Checkpoint.Quantization!.Built);
        Assert.NotEqual(before, after.Checkpoint.Quantization.CacheFile);
        Assert.NotEqual(0f, MaxAbsDiff(logitsBefore, PromptLogits(after, Prompt, 24)));
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("garbage header")]
    [InlineData("another source's identity")]
    public void DamagedCacheFile_IsDetectedAndRebuilt(string damage)
    {
        using var cache = new TempDirectory();
        string model = TestModels.TinyHf(TensorDType.F32);
        string file;
        byte[] good;
        using (var checkpoint = ModelLoader.Load(model, Int8(cache), threads: 2))
        {
            file = checkpoint.Quantization!.CacheFile;
        }

        good = File.ReadAllBytes(file);
        if (!CacheFileDamage.TryApply(file, good, damage))
        {
            // A well-formed file that claims another source: written by hand with a different identity string.
            var writer = new GgufWriter();
            writer.AddString(QuantizedWeightCache.SourceIdentityKey, "some other model");
            writer.AddTensor("x", TensorDType.F32, [1], s => s.Write(new byte[4]));
            writer.Write(file);
        }

        using var rebuilt = ModelLoader.Load(model, Int8(cache), threads: 2);
        Assert.True(rebuilt.Quantization!.Built);
        Assert.Equal(file, rebuilt.Quantization.CacheFile);
        Assert.Equal(good, File.ReadAllBytes(file));
    }

    /// <summary>
    /// The cache's own tensors, names, types and shapes all match: only the stored identity differs (as a file
    /// built from an older source of the same shape would), so only the identity check can tell it is stale.
    /// </summary>
    [Fact]
    public void CacheFileWithMatchingTensorsButAnotherIdentity_IsRebuilt()
    {
        using var cache = new TempDirectory();
        string model = TestModels.TinyHf(TensorDType.F32);
        string file;
        using (var checkpoint = ModelLoader.Load(model, Int8(cache), threads: 2))
        {
            file = checkpoint.Quantization!.CacheFile;
        }

        byte[] good = File.ReadAllBytes(file);
        string relabelled = Path.Combine(cache.Path, "relabelled.gguf");
        using (var cached = GgufReader.Open(file))
        {
            var writer = new GgufWriter();
            writer.AddString(QuantizedWeightCache.SourceIdentityKey, "an older source of the same shape");
            foreach (var tensor in cached.Tensors.Values)
            {
                writer.AddTensor(tensor.Name, tensor.Type, tensor.Shape, stream => stream.Write(tensor.Data.Span));
            }

            writer.Write(relabelled);
        }

        File.Move(relabelled, file, overwrite: true);
        using var rebuilt = ModelLoader.Load(model, Int8(cache), threads: 2);
        Assert.True(rebuilt.Quantization!.Built);
        Assert.Equal(good, File.ReadAllBytes(file));
    }

    [Theory]
    [InlineData(TensorDType.Q8_0)]
    [InlineData(TensorDType.Q4_0)]
    public void AlreadyQuantizedSource_IsRefused_AndNothingIsWritten(TensorDType type)
    {
        using var cache = new TempDirectory();
        var error = Assert.Throws<ModelFormatException>(() => ModelLoader.Load(TestModels.TinyGguf(type), Int8(cache), threads: 2));
        Assert.Contains("already quantized", error.Message);
        Assert.Contains(type.ToString().ToLowerInvariant(), error.Message);
        Assert.Empty(Directory.GetFileSystemEntries(cache.Path));
    }

    [Fact]
    public void ResidentWeightBytes_OfInt8_AreAtMost55PercentOfBf16()
    {
        using var cache = new TempDirectory();
        using var bf16 = LoadedModel.Open(TestModels.TinyHf(TensorDType.BF16), threads: 1);
        using var int8 = LoadedModel.Open(TestModels.TinyHf(TensorDType.BF16), Int8(cache), threads: 1);
        double ratio = (double)int8.ResidentWeightBytes / bf16.ResidentWeightBytes;
        output.WriteLine($"resident: bf16 {bf16.ResidentWeightBytes} B, int8 {int8.ResidentWeightBytes} B ({ratio:P1})");
        Assert.True(ratio <= 0.55, $"int8 is {ratio:P1} of bf16");

        // What the kernels read: every matrix once (tied lm_head is the embedding), plus f32 norms and biases.
        var c = ModelPresets.Tiny;
        long matrixValues = ((long)c.VocabSize * c.HiddenSize) + (c.NumHiddenLayers * (long)c.HiddenSize
            * ((2L * c.NumAttentionHeads * c.HeadDim) + (2L * c.KvDim) + (3L * c.IntermediateSize)));
        long vectorBytes = 4L * (c.HiddenSize + (c.NumHiddenLayers * ((2L * c.HiddenSize) + (c.NumAttentionHeads * c.HeadDim) + (2L * c.KvDim))));
        Assert.Equal(TensorDTypeInfo.ByteSize(TensorDType.Q8_0, matrixValues) + vectorBytes, int8.ResidentWeightBytes);
        Assert.Equal((2 * matrixValues) + vectorBytes, bf16.ResidentWeightBytes);
    }

    private static ModelLoadOptions Int8(TempDirectory cache) => new(WeightQuantization.Int8, cache.Path);
}
