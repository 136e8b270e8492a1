using SharpServe.Engine.Tests.TestSupport;
using System.Buffers.Binary;
using SharpServe.Engine.Loading;

namespace SharpServe.Engine.Tests.Loading;

public sealed class GgufRoundTripTests
{
    [Fact]
    public void MetadataOfEveryTypeRoundTrips()
    {
        using var dir = new TempDirectory();
        object[] values =
        [
            (byte)200, (sbyte)-100, (ushort)60000, (short)-30000, 4000000000u, -2000000000, 1.5f, true, "héllo ｜ wörld",
            ulong.MaxValue, long.MinValue, Math.PI,
            new byte[] { 1, 2, 255 }, new sbyte[] { -1, 2 }, new ushort[] { 1, 65535 }, new short[] { -5, 5 }, new uint[] { 7, 8, 9 },
            new[] { -1, 0, 1 }, new[] { 0.25f, -2f }, new[] { true, false, true }, new[] { "a", "", "<｜User｜>" },
            new[] { 1UL << 40 }, new[] { -(1L << 40) }, new[] { 1e300, -0.5 }, Array.Empty<int>(), Array.Empty<string>(),
        ];
        var writer = new GgufWriter();
        for (int i = 0; i < values.Length; i++)
        {
            writer.Add($"test.key{i}", GgufValue.From(values[i]));
        }

        writer.AddString("c.string", "s");
        writer.AddUInt32("c.u32", 3);
        writer.AddInt32("c.i32", -3);
        writer.AddFloat32("c.f32", 0.5f);
        writer.AddBool("c.bool", true);
        writer.AddStringArray("c.strings", ["x", "y"]);
        writer.AddInt32Array("c.ints", [4, 5]);
        writer.Write(dir.File("m.gguf"));

        using var file = GgufReader.Open(dir.File("m.gguf"));
        Assert.Equal(3u, file.Version);
        Assert.Equal(values.Length + 7, file.Metadata.Entries.Count);
        Assert.Equal(Enumerable.Range(0, values.Length).Select(i => $"test.key{i}"), file.Metadata.Entries.Keys.Take(values.Length));
        for (int i = 0; i < values.Length; i++)
        {
            var read = file.Metadata.Entries[$"test.key{i}"];
            Assert.Equal(values[i].GetType(), read.Value.GetType());
            Assert.Equal(values[i], read.Value);
        }

        Assert.Equal(GgufValueType.Array, file.Metadata.Entries["c.strings"].Type);
        Assert.Equal(GgufValueType.String, file.Metadata.Entries["c.strings"].ElementType);
        Assert.Equal("s", file.Metadata.Get<string>("c.string"));
        Assert.Equal(3u, file.Metadata.Get<uint>("c.u32"));
        Assert.Equal(-3, file.Metadata.Get<int>("c.i32"));
        Assert.Equal(0.5f, file.Metadata.Get<float>("c.f32"));
        Assert.True(file.Metadata.Get<bool>("c.bool"));
        Assert.Equal(["x", "y"], file.Metadata.Get<string[]>("c.strings"));
        Assert.Equal([4, 5], file.Metadata.Get<int[]>("c.ints"));
        Assert.Empty(file.Tensors);
    }

    [Fact]
    public void TypedLookupsAreStrictExceptGetInteger()
    {
        using var dir = new TempDirectory();
        var writer = new GgufWriter();
        writer.AddUInt32("a.u32", 7);
        writer.AddInt32("a.i32", -7);
        writer.Add("a.u8", GgufValue.From((byte)7));
        writer.Add("a.big", GgufValue.From(ulong.MaxValue));
        writer.AddString("a.s", "x");
        writer.Write(dir.File("m.gguf"));

        using var file = GgufReader.Open(dir.File("m.gguf"));
        var metadata = file.Metadata;
        Assert.Equal(7, metadata.GetInteger("a.u32"));
        Assert.Equal(-7, metadata.GetInteger("a.i32"));
        Assert.Equal(7, metadata.GetInteger("a.u8"));
        Assert.False(metadata.TryGet<uint>("a.missing", out _));
        Assert.False(metadata.TryGetInteger("a.missing", out _));
        var wrongType = Assert.Throws<ModelFormatException>(() => metadata.Get<uint>("a.i32"));
        Assert.Contains("'a.i32' is int32, expected uint32", wrongType.Message, StringComparison.Ordinal);
        Assert.Contains("expected array of string", Assert.Throws<ModelFormatException>(() => metadata.Get<string[]>("a.s")).Message, StringComparison.Ordinal);
        Assert.Contains("'a.missing' is missing", Assert.Throws<ModelFormatException>(() => metadata.Get<string>("a.missing")).Message, StringComparison.Ordinal);
        Assert.Contains("expected an integer", Assert.Throws<ModelFormatException>(() => metadata.GetInteger("a.s")).Message, StringComparison.Ordinal);
        Assert.Contains("out of range", Assert.Throws<ModelFormatException>(() => metadata.GetInteger("a.big")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TensorsOfEveryDTypeRoundTripAlignedAndInOrder()
    {
        using var dir = new TempDirectory();
        var rng = new Random(5);
        TensorData[] tensors =
        [
            new("a.f32", TensorDType.F32, [3, 5], TinyQwen2.RandomData(TensorDType.F32, 15, rng)),
            new("b.f16", TensorDType.F16, [2, 3, 7], TinyQwen2.RandomData(TensorDType.F16, 42, rng)),
            new("c.bf16", TensorDType.BF16, [7], TinyQwen2.RandomData(TensorDType.BF16, 7, rng)),
            new("d.q8", TensorDType.Q8_0, [3, 64], TinyQwen2.RandomData(TensorDType.Q8_0, 192, rng)),
            new("d.q4", TensorDType.Q4_0, [5, 32], TinyQwen2.RandomData(TensorDType.Q4_0, 160, rng)),
            new("d.q6k", TensorDType.Q6_K, [3, 512], TinyQwen2.RandomData(TensorDType.Q6_K, 1536, rng)),
            new("e.4d", TensorDType.F32, [1, 2, 1, 3], TinyQwen2.RandomData(TensorDType.F32, 6, rng)),
            new("f.empty", TensorDType.F16, [0, 4], []),
        ];
        string path = dir.File("t.gguf");
        TinyQwen2.WriteGguf(path, TinyQwen2.Config(), tensors, tokenizer: null, metadata: w => w.AddString("general.architecture", "test"));

        using var file = GgufReader.Open(path);
        Assert.Equal(32u, file.Alignment);
        Assert.Equal(0, file.DataOffset % 32);
        Assert.Equal(tensors.Select(t => t.Name), file.Tensors.Keys);
        long expectedLength = file.DataOffset;
        foreach (var t in tensors)
        {
            var read = file.Tensors[t.Name];
            Assert.Equal(t.Type, read.Type);
            Assert.Equal(t.Shape, read.Shape);
            Assert.Equal(t.Bytes, read.Data.ToArray());
            expectedLength += (t.Bytes.Length + 31) / 32 * 32;
        }

        // Each tensor padded to the alignment, the last one included (as gguf-py writes).
        Assert.Equal(expectedLength, new FileInfo(path).Length);
    }

    [Fact]
    public void HeaderIsGgufV3WithReversedDimensions()
    {
        using var dir = new TempDirectory();
        var writer = new GgufWriter();
        writer.AddTensor("w", TensorDType.F32, [2, 3], s => s.Write(new byte[24]));
        writer.Write(dir.File("h.gguf"));

        byte[] bytes = File.ReadAllBytes(dir.File("h.gguf"));
        Assert.Equal("GGUF"u8.ToArray(), bytes[..4]);
        Assert.Equal(3u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(4)));
        Assert.Equal(1ul, BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(8)));
        Assert.Equal(0ul, BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(16)));
        // name "w", n_dims 2, ne = [3, 2] (innermost first), type F32 = 0, offset 0.
        int info = 24 + 8 + 1;
        Assert.Equal(2u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(info)));
        Assert.Equal(3ul, BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(info + 4)));
        Assert.Equal(2ul, BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(info + 12)));
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(info + 20)));
    }

    [Fact]
    public void ExplicitAlignmentIsHonoured()
    {
        using var dir = new TempDirectory();
        var writer = new GgufWriter();
        writer.AddUInt32("general.alignment", 64);
        writer.AddTensor("a", TensorDType.F32, [3], s => s.Write(new byte[12]));
        writer.AddTensor("b", TensorDType.F32, [5], s => s.Write(Enumerable.Repeat((byte)9, 20).ToArray()));
        writer.Write(dir.File("a.gguf"));

        using var file = GgufReader.Open(dir.File("a.gguf"));
        Assert.Equal(64u, file.Alignment);
        Assert.Equal(0, file.DataOffset % 64);
        Assert.All(file.Tensors["b"].Data.ToArray(), b => Assert.Equal(9, b));
        Assert.Equal(file.DataOffset + 128, new FileInfo(dir.File("a.gguf")).Length);
    }

    [Fact]
    public void QwenMetadataUsesLlamaCppKeyTypes()
    {
        using var dir = new TempDirectory();
        var config = TinyQwen2.Config();
        var writer = new GgufWriter();
        GgufQwen2Metadata.Write(writer, config, TinyQwen2.Tokenizer(config.VocabSize));
        writer.Write(dir.File("q.gguf"));

        using var file = GgufReader.Open(dir.File("q.gguf"));
        var entries = file.Metadata.Entries;
        Assert.Equal("qwen2", entries["general.architecture"].Value);
        Assert.Equal(32u, entries["general.alignment"].Value);
        foreach (string key in new[] { "context_length", "embedding_length", "block_count", "feed_forward_length", "attention.head_count", "attention.head_count_kv" })
        {
            Assert.Equal(GgufValueType.UInt32, entries["qwen2." + key].Type);
        }

        Assert.Equal(64u, entries["qwen2.embedding_length"].Value);
        Assert.Equal(2u, entries["qwen2.attention.head_count_kv"].Value);
        Assert.Equal(1e-6f, entries["qwen2.attention.layer_norm_rms_epsilon"].Value);
        Assert.Equal(10000f, entries["qwen2.rope.freq_base"].Value);
        Assert.Equal("gpt2", entries["tokenizer.ggml.model"].Value);
        Assert.Equal("deepseek-r1-qwen", entries["tokenizer.ggml.pre"].Value);
        Assert.Equal(GgufValueType.Int32, entries["tokenizer.ggml.token_type"].ElementType);
        Assert.Equal(GgufValueType.String, entries["tokenizer.ggml.tokens"].ElementType);
        Assert.Equal(GgufValueType.String, entries["tokenizer.ggml.merges"].ElementType);
        Assert.Equal(298u, entries["tokenizer.ggml.bos_token_id"].Value);
        Assert.Equal(297u, entries["tokenizer.ggml.eos_token_id"].Value);
        Assert.Equal(297u, entries["tokenizer.ggml.padding_token_id"].Value);
        Assert.Equal(true, entries["tokenizer.ggml.add_bos_token"].Value);
        Assert.IsType<string>(entries["tokenizer.chat_template"].Value);
    }

    [Theory]
    [InlineData(23)]
    [InlineData(25)]
    public void WriterRefusesACallbackThatWritesTheWrongSizeAndLeavesNoFile(int bytesWritten)
    {
        using var dir = new TempDirectory();
        var writer = new GgufWriter();
        writer.AddTensor("w", TensorDType.F32, [2, 3], s => s.Write(new byte[bytesWritten]));

        var e = Assert.Throws<InvalidOperationException>(() => writer.Write(dir.File("x.gguf")));
        Assert.Contains("tensor w", e.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void WriterRefusesBadArguments()
    {
        var writer = new GgufWriter();
        writer.AddString("k", "v");
        writer.AddTensor("t", TensorDType.F32, [1], _ => { });
        Assert.Throws<ArgumentException>(() => writer.AddString("k", "again"));
        Assert.Throws<ArgumentException>(() => writer.AddTensor("t", TensorDType.F32, [1], _ => { }));
        Assert.Throws<ArgumentException>(() => writer.AddTensor("q", TensorDType.Q8_0, [2, 48], _ => { }));
        Assert.Throws<ArgumentException>(() => writer.AddTensor("q4", TensorDType.Q4_0, [2, 48], _ => { }));
        Assert.Throws<ArgumentException>(() => writer.AddTensor("q6k", TensorDType.Q6_K, [2, 288], _ => { }));
        Assert.Throws<ArgumentException>(() => writer.AddTensor(new string('n', 64), TensorDType.F32, [1], _ => { }));
        Assert.Throws<ArgumentException>(() => writer.AddTensor("five", TensorDType.F32, [1, 1, 1, 1, 1], _ => { }));
        Assert.Throws<ArgumentException>(() => writer.AddTensor("neg", TensorDType.F32, [-1], _ => { }));
        Assert.Throws<ArgumentException>(() => writer.AddUInt32("general.alignment", 48));
        Assert.Throws<ArgumentException>(() => writer.AddInt32("general.alignment", 32));
        Assert.Throws<ArgumentException>(() => GgufValue.From(new object()));
        Assert.Throws<ArgumentException>(() => GgufValue.From(new[] { new[] { 1 } }));
    }
}
