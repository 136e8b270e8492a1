using SharpServe.Engine.Tests.TestSupport;
using System.Buffers.Binary;
using System.Text;
using SharpServe.Engine.Loading;

namespace SharpServe.Engine.Tests.Loading;

/// <summary>Each malformed safetensors file or sharded checkpoint is refused with a message naming the file and the problem.</summary>
public sealed class SafetensorsReaderErrorTests : IDisposable
{
    private const string OneF32 = """{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""";
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void AValidRawFileLoads()
    {
        using var file = SafetensorsReader.Open(Raw(OneF32, 8));
        Assert.Equal([2], file.Tensors["w"].Shape);
    }

    [Fact]
    public void ShorterThanTheLengthField()
    {
        File.WriteAllBytes(_dir.File("s.safetensors"), [1, 2, 3]);
        Refused(_dir.File("s.safetensors"), "truncated: 3 bytes");
    }

    [Fact]
    public void MissingFile() => Refused(_dir.File("none.safetensors"), "file not found");

    [Fact]
    public void HeaderLengthLargerThanTheFile() => Refused(Raw(OneF32, 8, headerLength: 1000), "header length 1000 is larger than the rest of the file");

    [Fact]
    public void HeaderLengthAbsurd() => Refused(Raw(OneF32, 8, headerLength: ulong.MaxValue), "header length 18446744073709551615 is over the");

    [Fact]
    public void InvalidJson() => Refused(Raw("""{"w":{"dtype":"F32",""", 0), "the header is not valid JSON");

    [Fact]
    public void HeaderNotAnObject() => Refused(Raw("[1,2]", 0), "the header is not a JSON object");

    [Fact]
    public void NonUtf8Header() => Refused(RawBytes([.. "{\""u8, 0xff, 0xfe, .. "\":{}}"u8], 0), "not valid UTF-8");

    [Fact]
    public void UnsupportedDTypeIsNamed() =>
        Refused(Raw("""{"model.embed_tokens.weight":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}""", 8), "tensor model.embed_tokens.weight has dtype I64, not supported");

    [Fact]
    public void DataOffsetsDisagreeWithShape() =>
        Refused(Raw("""{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", 8), "tensor w: F32 [3] needs 12 bytes, but data_offsets [0, 8) hold 8");

    [Fact]
    public void OverlappingTensors() =>
        Refused(Raw("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", 12), "overlaps the previous tensor");

    [Fact]
    public void GapBetweenTensors() =>
        Refused(Raw("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}""", 12), "leaving a gap");

    [Fact]
    public void OffsetsPastTheEnd() =>
        Refused(Raw("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[1000000,1000008]}}""", 8), "truncated: tensor w data [1000000, 1000008) runs past");

    [Fact]
    public void TruncatedData() => Refused(Raw(OneF32, 5), "truncated: tensor w data [0, 8) runs past the end of the data (5 bytes)");

    [Fact]
    public void TrailingBytes() => Refused(Raw(OneF32, 12), "4 bytes follow the last tensor's data");

    [Fact]
    public void DuplicateTensorName() =>
        Refused(Raw("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8), "tensor w appears twice");

    [Theory]
    [InlineData("""{"w":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}""", "scalars are not supported")]
    [InlineData("""{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}""", "shape entry -1 is not")]
    [InlineData("""{"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}""", "shape entry 1.5 is not")]
    [InlineData("""{"w":{"dtype":"F32","shape":[4294967296],"data_offsets":[0,4]}}""", "shape entry 4294967296 is not")]
    [InlineData("""{"w":{"dtype":"F32","shape":[2147483647,2147483647,2147483647],"data_offsets":[0,4]}}""", "is larger than the file's data")]
    [InlineData("""{"w":{"dtype":"F32","shape":[1]}}""", "'data_offsets' must be")]
    [InlineData("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}""", "'data_offsets' must be")]
    [InlineData("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,"4"]}}""", "'data_offsets' must be")]
    [InlineData("""{"w":{"shape":[1],"data_offsets":[0,4]}}""", "'dtype' is missing")]
    [InlineData("""{"w":[1]}""", "not an object")]
    public void MalformedEntries(string header, string problem) => Refused(Raw(header, 4), problem);

    [Fact]
    public void MetadataIsIgnored()
    {
        using var file = SafetensorsReader.Open(Raw("""{"__metadata__":{"format":"pt","x":"y"},"w":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}}""", 4));
        Assert.Equal(["w"], file.Tensors.Keys);
    }

    [Fact]
    public void NoWeightsInDirectory()
    {
        var e = Assert.Throws<ModelFormatException>(() => SafetensorsWeights.Open(_dir.Path));
        Assert.Contains("neither model.safetensors nor model.safetensors.index.json", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingShard()
    {
        WriteShards();
        File.Delete(_dir.File("model-00002-of-00002.safetensors"));
        var e = Assert.Throws<ModelFormatException>(() => SafetensorsWeights.Open(_dir.Path));
        Assert.Equal(_dir.File("model-00002-of-00002.safetensors"), e.FilePath);
        Assert.Contains("missing: model.safetensors.index.json lists it for tensor b", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void IndexPlacesATensorInTheWrongShard()
    {
        WriteShards();
        RewriteIndex(i => i.Replace("\"b\": \"model-00002", "\"b\": \"model-00001", StringComparison.Ordinal));
        var e = Assert.Throws<ModelFormatException>(() => SafetensorsWeights.Open(_dir.Path));
        Assert.Contains("places tensor b in this shard, but it is not there", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void ShardOutsideTheDirectory()
    {
        WriteShards();
        RewriteIndex(i => i.Replace("\"b\": \"model-00002", "\"b\": \"../model-00002", StringComparison.Ordinal));
        var e = Assert.Throws<ModelFormatException>(() => SafetensorsWeights.Open(_dir.Path));
        Assert.Contains("is not a file name in the model directory", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void TensorInTwoShards()
    {
        WriteShards();
        File.Copy(_dir.File("model-00001-of-00002.safetensors"), _dir.File("model-00002-of-00002.safetensors"), overwrite: true);
        RewriteIndex(i => i.Replace("\"b\": \"model-00002-of-00002.safetensors\"", "\"c\": \"model-00002-of-00002.safetensors\"", StringComparison.Ordinal));
        var e = Assert.Throws<ModelFormatException>(() => SafetensorsWeights.Open(_dir.Path));
        Assert.Contains("tensor a is also in another shard", e.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{not json", "invalid JSON")]
    [InlineData("[]", "the JSON root is not an object")]
    [InlineData("{\"metadata\":{}}", "'weight_map' is missing")]
    [InlineData("{\"weight_map\":{\"a\":3}}", "weight_map entry for a is not a file name")]
    public void BadIndex(string index, string problem)
    {
        File.WriteAllText(_dir.File("model.safetensors.index.json"), index);
        var e = Assert.Throws<ModelFormatException>(() => SafetensorsWeights.Open(_dir.Path));
        Assert.Equal(_dir.File("model.safetensors.index.json"), e.FilePath);
        Assert.Contains(problem, e.Problem, StringComparison.Ordinal);
    }

    private void WriteShards()
    {
        var writer = new SafetensorsWriter();
        writer.AddTensor("a", TensorDType.F32, [4], s => s.Write(new byte[16]));
        writer.AddTensor("b", TensorDType.F32, [4], s => s.Write(new byte[16]));
        writer.WriteSharded(_dir.Path, 16);
    }

    private void RewriteIndex(Func<string, string> edit)
    {
        string path = _dir.File("model.safetensors.index.json");
        File.WriteAllText(path, edit(File.ReadAllText(path)));
    }

    private string Raw(string header, int dataBytes, ulong? headerLength = null) => RawBytes(Encoding.UTF8.GetBytes(header), dataBytes, headerLength);

    private string RawBytes(byte[] header, int dataBytes, ulong? headerLength = null)
    {
        var bytes = new byte[8 + header.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, headerLength ?? (ulong)header.Length);
        header.CopyTo(bytes, 8);
        string path = _dir.File($"{Guid.NewGuid():N}.safetensors");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static void Refused(string path, string problem)
    {
        var e = Assert.Throws<ModelFormatException>(() => SafetensorsReader.Open(path).Dispose());
        Assert.Equal(path, e.FilePath);
        Assert.Contains(problem, e.Problem, StringComparison.Ordinal);
    }
}
