using SharpServe.Engine.Cuda.Sharing;
using SharpServe.Engine.Kernels;
using SharpServe.Engine.Loading;
using SharpServe.Engine.Models;
using SharpServe.Engine.Creation;
using SharpServe.Engine.Cuda.Tests.Models;

namespace SharpServe.Engine.Cuda.Tests.Sharing;

/// <summary>The manifest a weight holder writes: its file round trip, the structure checks on reading, and the match against an instance.</summary>
public sealed class SharedWeightsManifestTests : IDisposable
{
    private const string Card = "GPU-0a1b2c3d-0000-1111-2222-333344445555";
    private const string Identity = "sharpserve shared weights 1\n/models/small|1000|638000000000000000\n";
    private readonly string _folder = Directory.CreateTempSubdirectory("sharpserve-manifest-").FullName;
    private readonly WeightArenaLayout _layout = WeightArenaLayout.Of(WeightArenaLayoutTests.Weights(layers: 2, tied: false));

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Manifest_RoundTripsThroughItsFile()
    {
        var written = Manifest();
        string path = Write(written);

        var read = SharedWeightsManifestFile.Read(path);

        Assert.Equal((written.Version, written.Card, written.Model, written.ModelIdentity, written.HolderPid, written.TotalBytes),
            (read.Version, read.Card, read.Model, read.ModelIdentity, read.HolderPid, read.TotalBytes));
        Assert.Equal(written.Handle, read.Handle);
        Assert.Equal(written.Entries, read.Entries);
        Assert.Contains("\"kind\": \"vector\"", File.ReadAllText(path), StringComparison.Ordinal);
        Assert.False(File.Exists(path + ".partial"));
        read.CheckMatches(Card, Identity, _layout);
    }

    [Fact]
    public void CheckMatches_AnotherCard_NamesBothCards()
    {
        var error = Assert.Throws<SharedWeightsException>(() => Manifest().CheckMatches("GPU-ffffffff-0000-1111-2222-333344445555", Identity, _layout));

        Assert.Contains($"held on card {Card}, but this instance runs on GPU-ffffffff", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckMatches_AChangedModelFile_SaysWhichLineDiffers()
    {
        string changed = Identity.Replace("|1000|", "|1001|", StringComparison.Ordinal);

        var error = Assert.Throws<SharedWeightsException>(() => Manifest().CheckMatches(Card, changed, _layout));

        Assert.Contains("the model changed since the weights were uploaded from /models/small", error.Message, StringComparison.Ordinal);
        Assert.Contains("the holder saw '/models/small|1000|638000000000000000', this instance sees '/models/small|1001|638000000000000000'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckMatches_ARenamedEntry_SaysWhichEntry()
    {
        var entries = _layout.Entries.ToList();
        entries[3] = entries[3] with { Name = "layers.0.q_proj" };

        var error = Assert.Throws<SharedWeightsException>(() => (Manifest() with { Entries = entries }).CheckMatches(Card, Identity, _layout));

        Assert.Contains("weight 3 differs: the shared arena has layers.0.q_proj (vector F32, 28 bytes at ", error.Message, StringComparison.Ordinal);
        Assert.Contains("this model binds layers.0.q_bias (vector F32, 28 bytes at ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckMatches_AnEntryOfAnotherSizeOrDType_SaysWhichEntry()
    {
        var entries = _layout.Entries.ToList();
        entries[2] = entries[2] with { DType = "Q8_0", Bytes = 34 };

        var error = Assert.Throws<SharedWeightsException>(() => (Manifest() with { Entries = entries }).CheckMatches(Card, Identity, _layout));

        Assert.Contains("the shared arena has layers.0.q (matrix Q8_0, 34 bytes at 512), this model binds layers.0.q (matrix BF16, 60 bytes at 512)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckMatches_ADifferentNumberOfWeights_SaysBothCounts()
    {
        var other = WeightArenaLayout.Of(WeightArenaLayoutTests.Weights(layers: 3, tied: false));

        var error = Assert.Throws<SharedWeightsException>(() => Manifest().CheckMatches(Card, Identity, other));

        Assert.Contains($"the shared arena has 27 weights in {_layout.TotalBytes} bytes, this model binds 39 in {other.TotalBytes}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_AMissingFile_SaysSo()
    {
        string path = Path.Combine(_folder, "absent.json");

        var error = Assert.Throws<SharedWeightsException>(() => SharedWeightsManifestFile.Read(path));

        Assert.StartsWith($"shared weights manifest {path}: ", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{ \"version\": 1 }", "is not a manifest")]
    [InlineData("not json", "is not a manifest")]
    [InlineData("null", "it is empty")]
    public void Read_NotAManifest_SaysSo(string text, string expected)
    {
        string path = Path.Combine(_folder, "bad.json");
        File.WriteAllText(path, text);

        var error = Assert.Throws<SharedWeightsException>(() => SharedWeightsManifestFile.Read(path));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_ANullField_IsNotAManifest()
    {
        string path = Write(Manifest());
        File.WriteAllText(path, File.ReadAllText(path).Replace($"\"{Card}\"", "null", StringComparison.Ordinal));

        var error = Assert.Throws<SharedWeightsException>(() => SharedWeightsManifestFile.Read(path));

        Assert.Contains("is not a manifest", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_AnotherVersion_AsksForOneBuild()
    {
        var error = Assert.Throws<SharedWeightsException>(() => SharedWeightsManifestFile.Read(Write(Manifest() with { Version = 2 })));

        Assert.Contains("version 2, this sharpserve reads version 1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_AHandleOfTheWrongSize_SaysTheSizes()
    {
        var error = Assert.Throws<SharedWeightsException>(() => SharedWeightsManifestFile.Read(Write(Manifest() with { Handle = new byte[63] })));

        Assert.Contains("the IPC handle is 63 bytes, a CUDA IPC handle is 64", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1, 100, 0)]      // misaligned
    [InlineData(2, 0, 0)]        // overlaps the previous entry (at 256, 60 bytes)
    [InlineData(26, 0, 1 << 20)] // past the arena's end
    public void Read_AnEntryOutOfPlace_NamesIt(int index, long offsetShift, long bytes)
    {
        var entries = _layout.Entries.ToList();
        entries[index] = entries[index] with
        {
            Offset = index == 2 ? entries[1].Offset : entries[index].Offset + offsetShift,
            Bytes = bytes > 0 ? bytes : entries[index].Bytes,
        };

        var error = Assert.Throws<SharedWeightsException>(() => SharedWeightsManifestFile.Read(Write(Manifest() with { Entries = entries })));

        Assert.Contains($"weight {entries[index].Name} (", error.Message, StringComparison.Ordinal);
        Assert.Contains("is not a 256-byte aligned range after the previous weight", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Import_OnTheCpuBackend_AsksForTheCardBeforeReadingTheManifest()
    {
        using var model = LoadedModel.FromCheckpoint(ModelLoader.Load(SmallModels.Write(ModelFileFormat.Gguf, TensorDType.F32)), new CpuBackend(1));

        var error = Assert.Throws<SharedWeightsException>(() => SharedWeightsImport.Import(model, Path.Combine(_folder, "absent.json")));

        Assert.Contains("--shared-weights maps weights held on a CUDA card, but this instance computes on CpuBackend: run it with --device cuda", error.Message, StringComparison.Ordinal);
    }

    private SharedWeightsManifest Manifest() => new()
    {
        Version = SharedWeightsManifest.CurrentVersion,
        Card = Card,
        Model = "/models/small",
        ModelIdentity = Identity,
        HolderPid = 4242,
        TotalBytes = _layout.TotalBytes,
        Handle = [.. Enumerable.Range(0, 64).Select(i => (byte)(i * 7))],
        Entries = _layout.Entries,
    };

    private string Write(SharedWeightsManifest manifest)
    {
        string path = Path.Combine(_folder, $"manifest-{Guid.NewGuid():N}.json");
        SharedWeightsManifestFile.Write(path, manifest);
        return path;
    }
}
