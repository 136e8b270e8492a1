using SharpServe.Engine.Tests.TestSupport;
using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using SharpServe.Engine.Loading;

namespace SharpServe.Engine.Tests.Loading;

public sealed class SafetensorsRoundTripTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void EveryDTypeRoundTrips()
    {
        var rng = new Random(3);
        TensorData[] tensors =
        [
            new("z.f16", TensorDType.F16, [3, 5], TinyQwen2.RandomData(TensorDType.F16, 15, rng)),
            new("a.bf16", TensorDType.BF16, [2, 3, 4], TinyQwen2.RandomData(TensorDType.BF16, 24, rng)),
            new("m.f32", TensorDType.F32, [7], TinyQwen2.RandomData(TensorDType.F32, 7, rng)),
            new("b.f32", TensorDType.F32, [1, 1, 2, 1, 3], TinyQwen2.RandomData(TensorDType.F32, 6, rng)),
            new("e.empty", TensorDType.F32, [0, 3], []),
        ];
        string path = Write(tensors, _dir.File("m.safetensors"));

        using var file = SafetensorsReader.Open(path);
        Assert.Equal(tensors.Length, file.Tensors.Count);
        foreach (var t in tensors)
        {
            var read = file.Tensors[t.Name];
            Assert.Equal(t.Type, read.Type);
            Assert.Equal(t.Shape, read.Shape);
            Assert.Equal(t.Bytes, read.Data.ToArray());
        }
    }

    [Fact]
    public void LayoutMatchesTheReferenceWriter()
    {
        TensorData[] tensors =
        [
            new("h", TensorDType.F16, [1], new byte[2]),
            new("b", TensorDType.BF16, [1], new byte[2]),
            new("attn.0", TensorDType.F32, [1, 2, 3], Enumerable.Range(0, 24).Select(i => (byte)i).ToArray()),
            new("a", TensorDType.F32, [1], new byte[4]),
        ];
        byte[] bytes = File.ReadAllBytes(Write(tensors, _dir.File("r.safetensors")));

        // Sorted by descending dtype (F32, BF16, F16), then name; data in the same order.
        const string json = """{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[4,28]},"b":{"dtype":"BF16","shape":[1],"data_offsets":[28,30]},"h":{"dtype":"F16","shape":[1],"data_offsets":[30,32]}}""";
        int headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, headerLength % 8);
        Assert.Equal(json + new string(' ', headerLength - json.Length), Encoding.UTF8.GetString(bytes, 8, headerLength));
        Assert.Equal(8 + headerLength + 32, bytes.Length);
        Assert.Equal(tensors[2].Bytes, bytes[(8 + headerLength + 4)..(8 + headerLength + 28)]);
    }

    [Fact]
    public void ShardedCheckpointRoundTripsWithTransformersIndex()
    {
        var rng = new Random(9);
        var tensors = Enumerable.Range(0, 7)
            .Select(i => new TensorData($"t{i}", TensorDType.F32, [i == 3 ? 600 : 100], TinyQwen2.RandomData(TensorDType.F32, i == 3 ? 600 : 100, rng)))
            .ToArray();
        var writer = new SafetensorsWriter();
        Array.ForEach(tensors, t => writer.AddTensor(t.Name, t.Type, t.Shape, s => s.Write(t.Bytes)));

        // 400-byte tensors, shards of at most 1000 bytes: [t0 t1] [t3 alone, 2400 bytes] [t2 t4] [t5 t6] - the oversized
        // tensor becomes its own shard at once while t2's shard stays open, as huggingface_hub does.
        writer.WriteSharded(_dir.Path, 1000);

        string[] files = Directory.GetFiles(_dir.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;
        Assert.Equal(
            ["model-00001-of-00004.safetensors", "model-00002-of-00004.safetensors", "model-00003-of-00004.safetensors", "model-00004-of-00004.safetensors", "model.safetensors.index.json"],
            files);
        string index = File.ReadAllText(_dir.File("model.safetensors.index.json"));
        Assert.StartsWith("{\n  \"metadata\": {\n    \"total_size\": 4800\n  },\n  \"weight_map\": {\n    \"t0\": \"model-00001-of-00004.safetensors\",", index, StringComparison.Ordinal);
        Assert.EndsWith("\n  }\n}\n", index, StringComparison.Ordinal);
        using var document = JsonDocument.Parse(index);
        var map = document.RootElement.GetProperty("weight_map");
        Assert.Equal(["t0", "t1", "t2", "t3", "t4", "t5", "t6"], map.EnumerateObject().Select(p => p.Name));
        Assert.Equal("model-00002-of-00004.safetensors", map.GetProperty("t3").GetString());
        Assert.Equal("model-00003-of-00004.safetensors", map.GetProperty("t4").GetString());

        using var weights = SafetensorsWeights.Open(_dir.Path);
        Assert.Equal(4, weights.Files.Count);
        Assert.All(tensors, t => Assert.Equal(t.Bytes, weights.Tensors[t.Name].Data.ToArray()));
    }

    [Fact]
    public void ASingleShardIsWrittenAsModelSafetensors()
    {
        var writer = new SafetensorsWriter();
        writer.AddTensor("w", TensorDType.BF16, [4], s => s.Write(new byte[8]));
        writer.WriteSharded(_dir.Path, 1 << 20);

        Assert.Equal(["model.safetensors"], Directory.GetFiles(_dir.Path).Select(Path.GetFileName));
        using var weights = SafetensorsWeights.Open(_dir.Path);
        Assert.Equal([4], weights.Tensors["w"].Shape);
    }

    [Fact]
    public void WriterRefusesQ8AndWrongSizedData()
    {
        var writer = new SafetensorsWriter();
        Assert.Throws<ArgumentException>(() => writer.AddTensor("q", TensorDType.Q8_0, [32], _ => { }));
        Assert.Throws<ArgumentException>(() => writer.AddTensor("s", TensorDType.F32, [], _ => { }));
        writer.AddTensor("w", TensorDType.F32, [2], s => s.Write(new byte[7]));
        Assert.Throws<ArgumentException>(() => writer.AddTensor("w", TensorDType.F32, [2], _ => { }));

        Assert.Throws<InvalidOperationException>(() => writer.Write(_dir.File("x.safetensors")));
        Assert.Empty(Directory.GetFiles(_dir.Path));
    }

    private static string Write(IEnumerable<TensorData> tensors, string path)
    {
        var writer = new SafetensorsWriter();
        foreach (var t in tensors)
        {
            writer.AddTensor(t.Name, t.Type, t.Shape, s => s.Write(t.Bytes));
        }

        writer.Write(path);
        return path;
    }
}
